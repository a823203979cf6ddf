import { Duration } from './duration';
import { BackupConfigError, Problem } from './errors';
import { hintForRawValue } from './private/zod-helpers';
import { closestName, closestValue } from './private/zod-issues';
import { instantsOf, isValidTimeZone, offsetMs, timeZoneHint, wallTimeOf } from './private/tz';

/** Periods by calendar fields: many jobs share a schedule shape. */
const PERIOD_CACHE = new Map<string, number>();
/** Runs per window by calendar fields and window length. */
const RUNS_WITHIN_CACHE = new Map<string, number>();

/** Weekday names as Proxmox and systemd spell them (lower case here). */
export type Weekday = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';
const WEEKDAYS: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The calendar fields of a schedule; an omitted list means "every". */
export interface ScheduleFields {
  /** @default - every day of the week */
  readonly weekdays?: readonly Weekday[];
  /** Days of the month, 1..31. @default - every day of the month */
  readonly monthDays?: readonly number[];
  /** Months, 1..12 (a quarterly restore drill). @default - every month */
  readonly months?: readonly number[];
  /** Hours, 0..23. */
  readonly hours: readonly number[];
  /** Minutes, 0..59. */
  readonly minutes: readonly number[];
}

/** One planned run and whether daylight-saving time moves it. */
export interface ScheduledRun {
  /** The instant the run happens. */
  readonly at: Date;
  /** Wall-clock time the schedule asked for, `YYYY-MM-DD HH:MM`. */
  readonly wallTime: string;
  /**
   * `gap`: the wall time does not exist that day (clocks jump) and the run is skipped;
   * `repeat`: the wall time happens twice and the run happens at the first.
   * @default - neither: daylight-saving time does not touch the run
   */
  readonly daylightSaving?: 'gap' | 'repeat';
}

/** Options for listing runs. */
export interface NextRunsOptions {
  /**
   * Zone used when the schedule has none (it then runs in the host's zone).
   * @default 'UTC'
   */
  readonly hostTimeZone?: string;
  /**
   * Also list runs that a spring-forward change skips (flagged `gap`); systemd skips them.
   * @default false
   */
  readonly includeSkipped?: boolean;
  /**
   * Stop at this instant: runs at or after it are not listed (reports over a week would
   * otherwise walk years of days to fill `count` for a daily job).
   * @default - no bound but `count`
   */
  readonly before?: Date;
}

/**
 * When a job runs: one object that renders to a Proxmox calendar event, a systemd
 * `OnCalendar=` expression and a Kubernetes cron expression, and lists its next runs.
 *
 * A schedule runs in its host's time zone unless one is given with `inTimeZone`.
 *
 * @see https://pve.proxmox.com/pve-docs/pve-admin-guide.html#chapter_calendar_events
 * @see https://www.freedesktop.org/software/systemd/man/latest/systemd.time.html#Calendar%20Events
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
 */
export class Schedule {
  /** Every day at `HH:MM`. */
  static daily(time: string): Schedule {
    const { hour, minute } = parseTime(time, 'time');
    return new Schedule({ hours: [hour], minutes: [minute] });
  }

  /** On the given weekday(s) at `HH:MM`, e.g. `Schedule.weekly('sun', '04:00')`. */
  static weekly(days: Weekday | readonly Weekday[], time: string): Schedule {
    const { hour, minute } = parseTime(time, 'time');
    return new Schedule({ weekdays: typeof days === 'string' ? [days] : days, hours: [hour], minutes: [minute] });
  }

  /** Monday to Friday at `HH:MM`. */
  static workdays(time: string): Schedule {
    return Schedule.weekly(['mon', 'tue', 'wed', 'thu', 'fri'], time);
  }

  /** On one day of every month at `HH:MM`; the day must be one every month has (1 to 28). */
  static monthly(dayOfMonth: number, time: string): Schedule {
    const { hour, minute } = parseTime(time, 'time');
    checkDayInEveryMonth(dayOfMonth, ALL_MONTHS, hour, minute);
    return new Schedule({ monthDays: [dayOfMonth], hours: [hour], minutes: [minute] });
  }

  /** On one day of January, April, July and October at `HH:MM` (e.g. restore drills); the day must be one April has. */
  static quarterly(dayOfMonth: number, time: string): Schedule {
    const { hour, minute } = parseTime(time, 'time');
    checkDayInEveryMonth(dayOfMonth, QUARTER_MONTHS, hour, minute);
    return new Schedule({ months: QUARTER_MONTHS, monthDays: [dayOfMonth], hours: [hour], minutes: [minute] });
  }

  /** On the first given weekday of every month, e.g. the first Sunday at 04:00. */
  static firstWeekdayOfMonth(day: Weekday, time: string): Schedule {
    const { hour, minute } = parseTime(time, 'time');
    return new Schedule({ weekdays: [day], monthDays: [1, 2, 3, 4, 5, 6, 7], hours: [hour], minutes: [minute] });
  }

  /** Every `n` hours from midnight, at the given minute; `n` must divide 24 so runs are evenly spaced. */
  static everyHours(n: number, minute = 0): Schedule {
    if (!Number.isInteger(n) || n < 1 || 24 % n !== 0) {
      throw new BackupConfigError('Schedule', [
        { field: 'everyHours', message: `expected a whole number of hours that divides 24 (1, 2, 3, 4, 6, 8, 12, 24), got ${n}`, hint: 'runs restart at midnight, so other values give uneven gaps; use Schedule.explicit' },
      ]);
    }
    const hours = Array.from({ length: 24 / n }, (_, i) => i * n);
    return new Schedule({ hours, minutes: [minute] });
  }

  /** Any combination of weekdays, month days, hours and minutes. */
  static explicit(fields: ScheduleFields): Schedule {
    return new Schedule(fields);
  }

  /**
   * A five-field cron expression (numbers, `*`, lists, ranges and steps). Refuses an
   * expression that restricts both day-of-month and day-of-week: cron joins those with OR,
   * Proxmox and systemd with AND, so one object could not mean the same thing everywhere.
   */
  static cron(expression: string): Schedule {
    return parseCron(expression);
  }

  readonly weekdays: readonly number[] | undefined;
  readonly monthDays: readonly number[] | undefined;
  readonly months: readonly number[] | undefined;
  readonly hours: readonly number[];
  readonly minutes: readonly number[];
  /** IANA zone; undefined means the host's own zone. */
  readonly timeZone: string | undefined;

  private constructor(fields: ScheduleFields, timeZone?: string) {
    const problems = fieldShapeProblems(fields);
    if (problems.length > 0) throw new BackupConfigError('Schedule', problems);
    const weekdays = fields.weekdays?.map((d) => {
      const i = WEEKDAYS.indexOf(String(d).toLowerCase() as Weekday);
      if (i < 0) {
        const meant = closestValue(String(d), WEEKDAYS);
        problems.push({ field: 'weekdays', message: `expected one of ${WEEKDAYS.join(', ')}, got ${JSON.stringify(d)}`, hint: meant ? `did you mean ${meant}?` : undefined });
      }
      return i;
    });
    checkRange(problems, 'monthDays', fields.monthDays, 1, 31);
    checkRange(problems, 'months', fields.months, 1, 12);
    if (fields.months && fields.months.length === 0) problems.push({ field: 'months', message: 'expected at least one month, got none', hint: 'omit months to run every month' });
    checkRange(problems, 'hours', fields.hours, 0, 23);
    checkRange(problems, 'minutes', fields.minutes, 0, 59);
    if (fields.hours.length === 0) problems.push({ field: 'hours', message: 'expected at least one hour, got none' });
    if (fields.minutes.length === 0) problems.push({ field: 'minutes', message: 'expected at least one minute, got none' });
    if (weekdays && weekdays.length === 0) problems.push({ field: 'weekdays', message: 'expected at least one weekday, got none', hint: 'omit weekdays to run every day' });
    if (fields.monthDays && fields.monthDays.length === 0) problems.push({ field: 'monthDays', message: 'expected at least one day, got none', hint: 'omit monthDays to run every day' });
    if (problems.length === 0 && fields.months && fields.monthDays && !fields.months.some((m) => fields.monthDays?.some((d) => d <= DAYS_IN_MONTH[m - 1]))) {
      const leapOnly = fields.months.includes(2) && fields.monthDays.includes(29);
      problems.push({
        field: 'monthDays',
        message: `expected a day that exists in ${fields.months.map((m) => MONTHS[m - 1]).join(', ')}, got day ${fields.monthDays.join(', ')}: the job would ${leapOnly ? 'run only in leap years' : 'never run'}`,
        hint: 'use days that every listed month has (February has 28; April, June, September and November 30)',
      });
    }
    if (timeZone !== undefined && !isValidTimeZone(timeZone)) {
      problems.push({ field: 'timeZone', message: `expected an IANA time zone such as Europe/Prague, got ${JSON.stringify(timeZone)}`, hint: timeZoneHint(timeZone) });
    }
    if (problems.length > 0) throw new BackupConfigError('Schedule', problems);
    this.weekdays = weekdays ? uniqueSorted(weekdays) : undefined;
    this.monthDays = fields.monthDays ? uniqueSorted(fields.monthDays) : undefined;
    this.months = fields.months ? uniqueSorted(fields.months) : undefined;
    this.hours = uniqueSorted(fields.hours);
    this.minutes = uniqueSorted(fields.minutes);
    this.timeZone = timeZone;
  }

  /**
   * The same schedule in an explicit IANA time zone instead of the host's, spelt as tzdata
   * spells it (`Europe/Prague`, `UTC`): `europe/prague` is refused, since systemd and
   * Kubernetes open the zone file of that name.
   */
  inTimeZone(timeZone: string): Schedule {
    return new Schedule(this.fields(), timeZone);
  }

  /** The calendar fields, for serialization. */
  fields(): ScheduleFields {
    return {
      weekdays: this.weekdays?.map((i) => WEEKDAYS[i]),
      monthDays: this.monthDays,
      ...(this.months ? { months: this.months } : {}),
      hours: this.hours,
      minutes: this.minutes,
    };
  }

  /**
   * Proxmox calendar event (`03:00`, `sun 04:00`, `mon..fri 02:00`). Proxmox evaluates
   * events in the node's local time only, so a schedule with its own zone is refused unless
   * it is the host's.
   */
  toProxmox(hostTimeZone?: string): string {
    if (this.timeZone !== undefined && this.timeZone !== hostTimeZone) {
      throw new BackupConfigError('Schedule', [
        {
          field: 'timeZone',
          message: `Proxmox runs jobs in the node's local time and cannot express ${this.timeZone}${hostTimeZone ? ` on a host in ${hostTimeZone}` : ''}`,
          hint: "drop inTimeZone() or set the host's timeZone to the same zone",
        },
      ]);
    }
    const parts: string[] = [];
    if (this.weekdays) parts.push(weekdayList(this.weekdays, '..').toLowerCase());
    if (this.monthDays || this.months) parts.push(`*-${this.months ? numberList(this.months, '..', 2) : '*'}-${this.monthDays ? numberList(this.monthDays, '..', 2) : '*'}`);
    parts.push(`${numberList(this.hours, '..', 2)}:${numberList(this.minutes, '..', 2)}`);
    return parts.join(' ');
  }

  /** systemd `OnCalendar=` value, with the zone appended when the schedule has one. */
  toSystemd(): string {
    const day = this.weekdays ? `${weekdayList(this.weekdays, '..')} ` : '';
    const date = `*-${this.months ? numberList(this.months, '..', 2) : '*'}-${this.monthDays ? numberList(this.monthDays, '..', 2) : '*'}`;
    const time = `${numberList(this.hours, '..', 2)}:${numberList(this.minutes, '..', 2)}:00`;
    return `${day}${date} ${time}${this.timeZone ? ` ${this.timeZone}` : ''}`;
  }

  /** Kubernetes cron (`minute hour day-of-month month day-of-week`); the zone goes in the CronJob's `timeZone`. */
  /**
   * For a schedule restricting both weekday and day of month (the first Sunday): cron with
   * the month days only, and the weekdays (0 = Sunday) a job must check itself at start, in
   * the schedule's zone. Cron would join the two with OR.
   */
  toCronWithWeekdayGuard(): { readonly cron: string; readonly weekdays?: readonly number[] } {
    if (!(this.weekdays && this.monthDays)) return { cron: this.toCron() };
    const monthDaysOnly = new Schedule({ ...this.fields(), weekdays: undefined }, this.timeZone);
    return { cron: monthDaysOnly.toCron(), weekdays: this.weekdays };
  }

  toCron(): string {
    if (this.weekdays && this.monthDays) {
      throw new BackupConfigError('Schedule', [
        {
          field: 'schedule',
          message: `${this.toHumanString()} restricts both weekday and day of month, which cron would join with OR`,
          hint: 'use a schedule with only weekdays or only month days for Kubernetes jobs',
        },
      ]);
    }
    // a field that lists every value is written `*`, as people read cron
    return [
      this.minutes.length === 60 ? '*' : numberList(this.minutes, '-'),
      this.hours.length === 24 ? '*' : numberList(this.hours, '-'),
      this.monthDays ? numberList(this.monthDays, '-') : '*',
      this.months ? numberList(this.months, '-') : '*',
      this.weekdays ? numberList(this.weekdays, '-') : '*',
    ].join(' ');
  }

  /** For messages and REVIEW.md: `daily at 03:00`, `Sun at 04:00`, `Mon..Fri at 02:00`. */
  toHumanString(): string {
    const times = this.hours.flatMap((h) => this.minutes.map((m) => `${pad(h)}:${pad(m)}`));
    const at = times.length > 4 ? `${times.length} times a day (${times.slice(0, 3).join(', ')}, ...)` : `at ${times.join(', ')}`;
    let days = 'daily';
    if (this.weekdays && this.monthDays && sameList(this.monthDays, [1, 2, 3, 4, 5, 6, 7]) && this.weekdays.length === 1) {
      days = `first ${weekdayList(this.weekdays, '..')} of the month`;
    } else {
      const parts: string[] = [];
      if (this.weekdays) parts.push(weekdayList(this.weekdays, '..'));
      if (this.monthDays) parts.push(`day ${numberList(this.monthDays, '..')} of the month`);
      if (parts.length) days = parts.join(', ');
      if (this.months) days = `${days} in ${this.months.map((m) => MONTHS[m - 1]).join(',')}`;
    }
    const step = this.hourStep();
    if (days === 'daily' && step !== undefined && this.minutes.length === 1) {
      const every = step === 1 ? `hourly at :${pad(this.minutes[0])}` : `every ${step} hours (${times.slice(0, 4).join(', ')}${times.length > 4 ? ', ...' : ''})`;
      return `${every}${this.timeZone ? ` (${this.timeZone})` : ''}`;
    }
    return `${days} ${at}${this.timeZone ? ` (${this.timeZone})` : ''}`;
  }

  /** N when the runs are every N hours from midnight (N < 24), as Schedule.everyHours makes them. */
  private hourStep(): number | undefined {
    const n = this.hours.length > 1 ? this.hours[1] - this.hours[0] : undefined;
    return n && this.hours[0] === 0 && this.hours.length * n === 24 && this.hours.every((h, i) => h === i * n) ? n : undefined;
  }

  private periodSeconds: number | undefined;

  /** The next `count` runs strictly after `from`, with daylight-saving gaps and repeats flagged. */
  nextRuns(from: Date, count: number, opts: NextRunsOptions = {}): ScheduledRun[] {
    const zone = this.timeZone ?? opts.hostTimeZone ?? 'UTC';
    const runs: ScheduledRun[] = [];
    const start = wallTimeOf(from.getTime(), zone);
    // Walk calendar days in the zone; 4 years covers any valid day-of-month/weekday combination.
    let dayCursor = Date.UTC(start.year, start.month - 1, start.day);
    // A wall-clock day starts at most 14 hours before its UTC date does (UTC+14).
    const limit = Math.min(dayCursor + 4 * 366 * 86400_000, opts.before ? opts.before.getTime() + 86400_000 : Infinity);
    const before = opts.before?.getTime() ?? Infinity;
    while (runs.length < count && dayCursor <= limit) {
      const d = new Date(dayCursor);
      const y = d.getUTCFullYear();
      const mo = d.getUTCMonth() + 1;
      const da = d.getUTCDate();
      if (this.matchesDay(da, d.getUTCDay(), mo)) {
        for (const h of this.hours) {
          for (const mi of this.minutes) {
            const wallTime = `${y}-${pad(mo)}-${pad(da)} ${pad(h)}:${pad(mi)}`;
            const instants = instantsOf(y, mo, da, h, mi, zone);
            if (instants.length === 0) {
              // The wall time does not exist that night: systemd skips the run. When asked,
              // list it at the instant the offset before the jump gives (as mktime() would).
              const asUtc = Date.UTC(y, mo - 1, da, h, mi);
              const would = asUtc - offsetMs(asUtc - 12 * 3600_000, zone);
              if (opts.includeSkipped && would > from.getTime() && would < before) runs.push({ at: new Date(would), wallTime, daylightSaving: 'gap' });
            } else {
              const first = instants[0];
              if (first > from.getTime() && first < before) {
                runs.push(instants.length > 1 ? { at: new Date(first), wallTime, daylightSaving: 'repeat' } : { at: new Date(first), wallTime });
              }
            }
            if (runs.length >= count) return runs.slice(0, count);
          }
        }
      }
      dayCursor += 86400_000;
    }
    return runs;
  }

  /** Runs in the coming year (from `from`) that a daylight-saving change skips or repeats. */
  daylightSavingAnomalies(from: Date, opts: NextRunsOptions = {}): ScheduledRun[] {
    const zone = this.timeZone ?? opts.hostTimeZone ?? 'UTC';
    if (zone === 'UTC' || zone === 'Etc/UTC') return [];
    const end = from.getTime() + 366 * 86400_000;
    const out: ScheduledRun[] = [];
    const perDay = this.hours.length * this.minutes.length;
    for (const run of this.nextRuns(from, perDay * 367, { hostTimeZone: zone, includeSkipped: true })) {
      if (run.at.getTime() > end) break;
      if (run.daylightSaving) out.push(run);
    }
    return out;
  }

  /**
   * The longest gap between two consecutive runs (a month for a monthly job). Stale
   * thresholds are derived from it.
   */
  period(): Duration {
    // Schedules are immutable: the first answer is kept on the object, and shared by equal schedules.
    if (this.periodSeconds !== undefined) return Duration.seconds(this.periodSeconds);
    const key = this.calendarKey();
    let seconds = PERIOD_CACHE.get(key);
    if (seconds === undefined) {
      let previous: number | undefined;
      let longest = 0;
      for (const t of this.calendarRunMinutes()) {
        if (previous !== undefined) longest = Math.max(longest, t - previous);
        previous = t;
      }
      seconds = longest * 60;
      PERIOD_CACHE.set(key, seconds);
    }
    this.periodSeconds = seconds;
    return Duration.seconds(seconds);
  }

  /**
   * The fewest runs any window of `window` ending at a run holds, counting that run (14 for a
   * daily job and 14 days, 5 for a weekly one and 30 days): what a retention of that length
   * keeps after each run of a steady series, so rotations use it as a count floor.
   */
  runsWithin(window: Duration): number {
    const key = JSON.stringify([this.calendarKey(), window.toSeconds()]);
    let fewest = RUNS_WITHIN_CACHE.get(key);
    if (fewest === undefined) {
      // runs in (t - window, t] for each run t
      const runs = [...this.calendarRunMinutes()];
      const span = window.toSeconds() / 60;
      fewest = Infinity;
      let first = 0;
      for (let i = 0; i < runs.length; i++) {
        while (runs[first] <= runs[i] - span) first++;
        // windows reaching before the first listed run would count runs that are not listed
        if (runs[i] - span >= runs[0]) fewest = Math.min(fewest, i - first + 1);
      }
      // a window longer than the years listed: every listed run fits
      if (fewest === Infinity) fewest = runs.length;
      fewest = Math.max(1, fewest);
      RUNS_WITHIN_CACHE.set(key, fewest);
    }
    return fewest;
  }

  /** The calendar fields, as the key of the caches shared by equal schedules. */
  private calendarKey(): string {
    return JSON.stringify([this.weekdays, this.monthDays, this.hours, this.minutes, this.months]);
  }

  /**
   * Every run over four calendar years (every month length and a leap day), in minutes from
   * the first day: wall-clock arithmetic in UTC, without time-zone rules, since period and
   * runs per window are properties of the calendar fields.
   */
  private *calendarRunMinutes(): Generator<number> {
    const perDay = this.hours.flatMap((h) => this.minutes.map((m) => h * 60 + m));
    const start = Date.UTC(2025, 0, 1);
    for (let day = 0; day < 4 * 366; day++) {
      const d = new Date(start + day * 86400_000);
      if (!this.matchesDay(d.getUTCDate(), d.getUTCDay(), d.getUTCMonth() + 1)) continue;
      for (const minuteOfDay of perDay) yield day * 1440 + minuteOfDay;
    }
  }

  /** Stable, serializable description (used in model.json). */
  toJSON(): Record<string, unknown> {
    return {
      human: this.toHumanString(),
      systemd: this.toSystemd(),
      fields: this.fields(),
      timeZone: this.timeZone ?? 'host',
      periodSeconds: this.period().toSeconds(),
    };
  }

  private matchesDay(dayOfMonth: number, weekday: number, month: number): boolean {
    if (this.months && !this.months.includes(month)) return false;
    if (this.monthDays && !this.monthDays.includes(dayOfMonth)) return false;
    if (this.weekdays && !this.weekdays.includes(weekday)) return false;
    return true;
  }
}

/** Days of each month in a common year: a schedule must run every year. */
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ALL_MONTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
const QUARTER_MONTHS = [1, 4, 7, 10];

/**
 * `monthly` and `quarterly` promise a run in each of their months: a day some of them lack
 * (the 31st) would skip those months without a word, and the stale alert would wait for the
 * longer gap. A day outside 1..31 is left to the constructor's range check.
 */
function checkDayInEveryMonth(day: number, months: readonly number[], hour: number, minute: number): void {
  if (!Number.isInteger(day) || day < 1 || day > 31) return;
  const skipped = months.filter((m) => day > DAYS_IN_MONTH[m - 1]);
  if (skipped.length === 0) return;
  const last = Math.min(...months.map((m) => DAYS_IN_MONTH[m - 1]));
  throw new BackupConfigError('Schedule', [
    {
      field: 'dayOfMonth',
      message: `expected a day each of its months has (1 to ${last}), got ${day}: the job would skip ${skipped.map((m) => MONTHS[m - 1]).join(', ')}${skipped.includes(2) && day === 29 ? ' except in leap years' : ''}`,
      hint: `use a day from 1 to ${last}; if skipping those months is meant, write Schedule.explicit({ ${months.length < 12 ? `months: [${months.join(', ')}], ` : ''}monthDays: [${day}], hours: [${hour}], minutes: [${minute}] })`,
    },
  ]);
}

const FIELD_RANGES: Record<keyof ScheduleFields, string> = {
  weekdays: 'weekday names such as sun',
  monthDays: 'days of the month from 1 to 31',
  months: 'months from 1 to 12',
  hours: 'hours from 0 to 23',
  minutes: 'minutes from 0 to 59',
};

/** Fields that are not lists, missing hours or minutes, and misspelt field names (plain JavaScript callers). */
function fieldShapeProblems(fields: ScheduleFields): Problem[] {
  if (fields === null || typeof fields !== 'object') {
    return [{ field: 'fields', message: `expected an object with hours and minutes, got ${JSON.stringify(fields)}`, hint: 'e.g. Schedule.explicit({ hours: [3], minutes: [0] })' }];
  }
  const known = Object.keys(FIELD_RANGES);
  const problems: Problem[] = [];
  for (const key of Object.keys(fields)) {
    if (known.includes(key)) continue;
    const meant = closestName(key, known);
    problems.push({ field: key, message: 'not a known option', hint: meant ? `did you mean ${meant}?` : `known options here: ${known.join(', ')}` });
  }
  for (const [field, what] of Object.entries(FIELD_RANGES) as [keyof ScheduleFields, string][]) {
    const value = fields[field];
    const required = field === 'hours' || field === 'minutes';
    if (value === undefined && !required) continue;
    if (!Array.isArray(value)) {
      problems.push({ field, message: `${value === undefined ? 'required: ' : ''}expected a list of ${what}, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`, hint: `write it as a list, e.g. ${field}: [${field === 'weekdays' ? "'sun'" : field === 'hours' ? 3 : field === 'minutes' ? 0 : 1}]` });
    }
  }
  return problems;
}

function parseTime(time: string, field: string): { hour: number; minute: number } {
  const m = /^(\d{1,2}):(\d{2})$/.exec(String(time));
  const hour = m ? Number(m[1]) : NaN;
  const minute = m ? Number(m[2]) : NaN;
  if (!m || hour > 23 || minute > 59) {
    throw new BackupConfigError('Schedule', [
      { field, message: `expected a time of day as HH:MM (00:00 to 23:59), got ${JSON.stringify(time)}`, hint: "write '03:00' for three in the morning" },
    ]);
  }
  return { hour, minute };
}

function checkRange(problems: Problem[], field: string, values: readonly number[] | undefined, min: number, max: number): void {
  for (const v of values ?? []) {
    if (!Number.isInteger(v) || v < min || v > max) {
      problems.push({ field, message: `expected whole numbers from ${min} to ${max}, got ${JSON.stringify(v)}` });
    }
  }
}

function uniqueSorted(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `1,2,3,5` -> `1..3,5` (or `1-3,5` for cron); runs of three or more become ranges. */
function numberList(values: readonly number[], rangeSep: string, width = 1): string {
  const out: string[] = [];
  const fmt = (n: number) => String(n).padStart(width, '0');
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) j++;
    if (j - i >= 2) out.push(`${fmt(values[i])}${rangeSep}${fmt(values[j])}`);
    else for (let k = i; k <= j; k++) out.push(fmt(values[k]));
    i = j + 1;
  }
  return out.join(',');
}

function weekdayList(values: readonly number[], rangeSep: string): string {
  const names = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  return numberList(values, rangeSep)
    .split(',')
    .map((part) => part.split(rangeSep).map((n) => names[Number(n)]).join(rangeSep))
    .join(',');
}

function parseCron(expression: string): Schedule {
  const fields = String(expression).trim().split(/\s+/);
  const fail = (message: string): never => {
    throw new BackupConfigError('Schedule', [
      { field: 'cron', message: `${message} in ${JSON.stringify(expression)}`, hint: "use five fields: minute hour day-of-month month day-of-week, e.g. '0 3 * * *'" },
    ]);
  };
  if (fields.length !== 5) fail(`expected 5 fields, got ${fields.length}`);
  const [min, hour, dom, month, dow] = fields;
  const parse = (text: string, lo: number, hi: number, name: string): number[] | undefined => {
    if (text === '*') return undefined;
    const out: number[] = [];
    for (const part of text.split(',')) {
      const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
      if (!m) fail(`cannot read ${name} ${JSON.stringify(part)}`);
      const [, a, b, step] = m as RegExpExecArray;
      const start = a === '*' ? lo : Number(a);
      const end = b !== undefined ? Number(b) : a === '*' || step ? hi : start;
      const by = step ? Number(step) : 1;
      if (start < lo || end > hi || start > end || by < 1) fail(`${name} ${JSON.stringify(part)} is outside ${lo}..${hi}`);
      for (let v = start; v <= end; v += by) out.push(v);
    }
    return out;
  };
  const minutes = parse(min, 0, 59, 'minute') ?? Array.from({ length: 60 }, (_, i) => i);
  const hours = parse(hour, 0, 23, 'hour') ?? Array.from({ length: 24 }, (_, i) => i);
  const monthDays = parse(dom, 1, 31, 'day-of-month');
  const months = parse(month, 1, 12, 'month');
  // 0 and 7 are both Sunday, also inside a range (1-7)
  const dowParsed = parse(dow, 0, 7, 'day-of-week');
  const dowNums = dowParsed && [...new Set(dowParsed.map((d) => d % 7))].sort((x, y) => x - y);
  if (monthDays && dowNums) fail('both day-of-month and day-of-week are restricted (cron joins them with OR)');
  return Schedule.explicit({ minutes, hours, monthDays, months, weekdays: dowNums?.map((i) => WEEKDAYS[i]) });
}

// a time of day or a cron line given as text names the factory that reads it
hintForRawValue(Schedule, (v) => {
  if (typeof v !== 'string') return undefined;
  const text = v.trim();
  if (/^\d{1,2}:\d{2}$/.test(text)) return `Schedule.daily('${text}')`;
  if (text.split(/\s+/).length === 5) return `Schedule.cron('${text}')`;
  return undefined;
});
