import { z } from 'zod';
import { Duration } from './duration';
import { Classification, CLASSIFICATIONS } from './model/vocabulary';
import { instanceOf } from './private/zod-helpers';
import { Schedule } from './schedule';
import { positiveDuration } from './private/duration-schema';

/**
 * Options every host pipeline construct passes to its ScheduledHostJob: when it runs, how it
 * is watched, and how hard it may lean on the host.
 */
export interface HostJobOptions {
  /** @default - per construct (seed 002's job names) */
  readonly jobId?: string;
  /** @default - per construct (seed 002's schedules) */
  readonly schedule?: Schedule;
  /** PascalCase stem of the job's alerts (`WeeklyBackup` gives `WeeklyBackupStale`). @default - the job id in PascalCase */
  readonly alertName?: string;
  /** @default - one schedule period plus the larger of the expected duration and 2 hours */
  readonly staleAfter?: Duration;
  /** @default Duration.hours(1) */
  readonly expectedDuration?: Duration;
  /** systemd stops the run (SIGTERM, reported as a failure) after this long. @default - no limit */
  readonly timeout?: Duration;
  /** @default 10 */
  readonly nice?: number;
  /** @default 'idle' */
  readonly ioSchedulingClass?: 'idle' | 'best-effort' | 'realtime';
  /** @default - per construct */
  readonly classification?: Classification;
}

/** zod fields for {@link HostJobOptions}, spread into each construct's schema. */
export const hostJobOptionsShape = {
  jobId: z.string().regex(/^[a-z][a-z0-9-]{0,62}[a-z0-9]$/, 'expected a lower-case id of letters, digits and dashes, such as daily-backup').optional(),
  schedule: instanceOf(Schedule, "expected a Schedule, e.g. Schedule.daily('05:00')").optional(),
  alertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase name such as WeeklyBackup').optional(),
  staleAfter: instanceOf(Duration, 'expected a Duration, e.g. Duration.days(8)').optional(),
  expectedDuration: positiveDuration('Duration.hours(1)', 'the stale threshold and the overlap checks count on it').optional(),
  timeout: positiveDuration('Duration.hours(6)', 'TimeoutStartSec=0 turns the limit off; omit timeout for no limit').optional(),
  nice: z.number().int().min(-20).max(19).optional(),
  ioSchedulingClass: z.enum(['idle', 'best-effort', 'realtime']).optional(),
  classification: z.enum(CLASSIFICATIONS as [Classification, ...Classification[]]).optional(),
};

/** The ScheduledHostJob props these options map to (undefined ones left out). */
export function jobTuning(o: HostJobOptions): { alertName?: string; staleAfter?: Duration; expectedDuration?: Duration; timeout?: Duration; nice?: number; ioSchedulingClass?: 'idle' | 'best-effort' | 'realtime' } {
  const out: Record<string, unknown> = {};
  for (const k of ['alertName', 'staleAfter', 'expectedDuration', 'timeout', 'nice', 'ioSchedulingClass'] as const) {
    if (o[k] !== undefined) out[k] = o[k];
  }
  return out;
}

