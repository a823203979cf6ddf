import { BackupConfigError } from './errors';
import { hintForRawValue } from './private/zod-helpers';

const UNITS = { seconds: 1, minutes: 60, hours: 3600, days: 86400 } as const;

/** A span of time, stored in whole seconds, with converters that refuse lossy results. */
export class Duration {
  static seconds(n: number): Duration {
    return new Duration(n, 'seconds');
  }
  static minutes(n: number): Duration {
    return new Duration(n, 'minutes');
  }
  static hours(n: number): Duration {
    return new Duration(n, 'hours');
  }
  static days(n: number): Duration {
    return new Duration(n, 'days');
  }

  /** Parses `30m`, `26h`, `7d`, `90s` or a combination such as `1h30m`. */
  static parse(text: string): Duration {
    const m = typeof text === 'string' ? /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim()) : null;
    if (!m || text.trim() === '') {
      throw new BackupConfigError('Duration', [
        { field: 'text', message: `expected a duration such as 30m, 26h or 7d, got ${JSON.stringify(text)}`, hint: "write it as text, e.g. Duration.parse('26h'), or use Duration.hours(26)" },
      ]);
    }
    const [d, h, mi, s] = m.slice(1).map((x) => (x ? Number(x) : 0));
    return Duration.seconds(d * 86400 + h * 3600 + mi * 60 + s);
  }

  private readonly totalSeconds: number;

  private constructor(amount: number, unit: keyof typeof UNITS) {
    if (!Number.isFinite(amount) || amount < 0) {
      throw new BackupConfigError('Duration', [
        { field: unit, message: `expected a finite, non-negative number, got ${amount}` },
      ]);
    }
    const secs = amount * UNITS[unit];
    if (!Number.isInteger(secs)) {
      throw new BackupConfigError('Duration', [
        { field: unit, message: `expected a whole number of seconds, got ${amount} ${unit}` },
      ]);
    }
    this.totalSeconds = secs;
  }

  toSeconds(): number {
    return this.totalSeconds;
  }
  toMinutes(): number {
    return this.exact('minutes');
  }
  toHours(opts: { integral?: boolean } = {}): number {
    return opts.integral === false ? this.totalSeconds / 3600 : this.exact('hours');
  }
  toDays(opts: { integral?: boolean } = {}): number {
    return opts.integral === false ? this.totalSeconds / 86400 : this.exact('days');
  }
  toMilliseconds(): number {
    return this.totalSeconds * 1000;
  }

  plus(other: Duration): Duration {
    return Duration.seconds(this.totalSeconds + other.totalSeconds);
  }
  times(factor: number): Duration {
    return Duration.seconds(Math.round(this.totalSeconds * factor));
  }
  compareTo(other: Duration): number {
    return this.totalSeconds - other.totalSeconds;
  }

  /** Prometheus duration syntax (`30h`, `1d2h`, `90s`). */
  toPrometheus(): string {
    return this.compact();
  }

  /** For messages: `3d 4h`, `30m`. */
  toHumanString(): string {
    return this.compact(' ') || '0s';
  }

  private compact(sep = ''): string {
    if (this.totalSeconds === 0) return '0s';
    let rest = this.totalSeconds;
    const parts: string[] = [];
    for (const [suffix, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
      const n = Math.floor(rest / size);
      if (n > 0) parts.push(`${n}${suffix}`);
      rest -= n * size;
    }
    return parts.join(sep);
  }

  private exact(unit: keyof typeof UNITS): number {
    const v = this.totalSeconds / UNITS[unit];
    if (!Number.isInteger(v)) {
      throw new BackupConfigError('Duration', [
        { field: unit, message: `${this.toHumanString()} is not a whole number of ${unit}`, hint: 'use a smaller unit' },
      ]);
    }
    return v;
  }
}

// a bare number has no unit; a duration written as text names the factory that reads it
hintForRawValue(Duration, (v) => {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return `a number has no unit: write Duration.hours(${v}), Duration.minutes(${v}) or Duration.seconds(${v})`;
  if (typeof v === 'string' && /^(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?$/.test(v.trim()) && v.trim() !== '') return `Duration.parse('${v.trim()}')`;
  return undefined;
});
