import { z } from 'zod';
import { hintedCheck } from './zod-helpers';
import { closestName } from './zod-issues';

/** Wall-clock fields of an instant in a time zone. */
export interface WallTime {
  readonly year: number;
  readonly month: number; // 1..12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly weekday: number; // 0 = Sunday
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAY_INDEX: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** Zone names as tzdata spells them, by their lower-case form ('UTC' is not in Intl's list). */
let spellings: Map<string, string> | undefined;

/**
 * How tzdata spells a zone name given in other letter case (`europe/prague`), or undefined.
 * Intl matches zone names whatever their case, but systemd and Kubernetes open the tzdata file
 * of that name, which on Linux must match it letter for letter.
 */
function tzdataSpelling(timeZone: string): string | undefined {
  spellings ??= new Map([...Intl.supportedValuesOf('timeZone'), 'UTC'].map((z) => [z.toLowerCase(), z]));
  return spellings.get(timeZone.toLowerCase());
}

/**
 * True when the IANA zone name is known to this runtime and written as tzdata spells it: a
 * known zone in other letter case, or a name without capitals (no tzdata zone has none), is
 * refused.
 */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
  } catch {
    return false;
  }
  const spelling = tzdataSpelling(timeZone);
  return spelling === undefined ? /[A-Z]/.test(timeZone) : spelling === timeZone;
}

/**
 * The zone a misspelt or partial name most likely meant (`Europe/Prauge`, `prague`), from the
 * zones this runtime knows, as a hint; undefined when none is close.
 */
export function timeZoneHint(timeZone: string): string | undefined {
  if (typeof timeZone !== 'string' || timeZone.trim() === '') return undefined;
  const spelling = tzdataSpelling(timeZone.trim());
  if (spelling !== undefined && spelling !== timeZone.trim()) return `write it as ${spelling}: zone names are case-sensitive on the host`;
  const zones = [...Intl.supportedValuesOf('timeZone'), 'UTC'];
  const text = timeZone.trim().replace(/ /g, '_');
  const city = zones.filter((z) => z.split('/').pop()?.toLowerCase() === text.split('/').pop()?.toLowerCase());
  const meant = closestName(text, zones) ?? (city.length === 1 ? city[0] : undefined);
  return meant && meant !== timeZone ? `did you mean ${meant}?` : undefined;
}

/** An IANA time zone prop; a misspelt one gets the zone it most likely meant as its hint. */
export const TIME_ZONE = z.string().check(hintedCheck(isValidTimeZone, 'expected an IANA time zone such as Europe/Prague', timeZoneHint));

function isUtc(timeZone: string): boolean {
  return timeZone === 'UTC' || timeZone === 'Etc/UTC';
}

export function wallTimeOf(instantMs: number, timeZone: string): WallTime {
  if (isUtc(timeZone)) {
    // Intl is slow and UTC needs no zone rules
    const d = new Date(instantMs);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), weekday: d.getUTCDay() };
  }
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instantMs))) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: WEEKDAY_INDEX[parts.weekday],
  };
}

/**
 * All instants whose wall-clock time in the zone is the given one: none in a daylight-saving
 * gap, two when clocks go back, one otherwise.
 */
export function instantsOf(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number[] {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  if (isUtc(timeZone)) return [asUtc];
  const offsets = new Set<number>();
  for (const probe of [asUtc - 36 * 3600_000, asUtc - 12 * 3600_000, asUtc + 12 * 3600_000, asUtc + 36 * 3600_000]) {
    offsets.add(offsetMs(probe, timeZone));
  }
  const found = new Set<number>();
  for (const off of offsets) {
    const candidate = asUtc - off;
    const w = wallTimeOf(candidate, timeZone);
    if (w.year === year && w.month === month && w.day === day && w.hour === hour && w.minute === minute) found.add(candidate);
  }
  return [...found].sort((a, b) => a - b);
}

/** The zone's offset from UTC at an instant, in milliseconds. */
export function offsetMs(instantMs: number, timeZone: string): number {
  if (isUtc(timeZone)) return 0;
  const w = wallTimeOf(instantMs, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  return asUtc - Math.floor(instantMs / 60_000) * 60_000;
}
