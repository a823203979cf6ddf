import type { z } from 'zod';
import { Duration } from '../duration';
import { instanceOf } from './zod-helpers';

/**
 * A Duration prop that must be longer than zero: `Duration` itself allows 0, and for these
 * props 0 switches a safety off (`why` says which).
 */
export function positiveDuration(example: string, why: string): z.ZodType<Duration> {
  return instanceOf(Duration, `expected a Duration, e.g. ${example}`).refine((d) => !(d instanceof Duration) || d.toSeconds() > 0, `expected a Duration longer than 0: ${why}`);
}
