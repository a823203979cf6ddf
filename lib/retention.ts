import { BackupConfigError, Problem } from './errors';
import { hintForRawValue } from './private/zod-helpers';
import { closestName } from './private/zod-issues';

/** How many backups of each age class to keep. */
export interface RetentionProps {
  /** @default - not used */
  readonly keepLast?: number;
  /** @default - not used */
  readonly keepHourly?: number;
  /** @default - not used */
  readonly keepDaily?: number;
  /** @default - not used */
  readonly keepWeekly?: number;
  /** @default - not used */
  readonly keepMonthly?: number;
  /** @default - not used */
  readonly keepYearly?: number;
}

const ORDER = ['keepLast', 'keepHourly', 'keepDaily', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;
type Key = (typeof ORDER)[number];
const KEBAB: Record<Key, string> = {
  keepLast: 'keep-last',
  keepHourly: 'keep-hourly',
  keepDaily: 'keep-daily',
  keepWeekly: 'keep-weekly',
  keepMonthly: 'keep-monthly',
  keepYearly: 'keep-yearly',
};
const BORG: Record<Key, string> = {
  keepLast: 'keep_last',
  keepHourly: 'keep_hourly',
  keepDaily: 'keep_daily',
  keepWeekly: 'keep_weekly',
  keepMonthly: 'keep_monthly',
  keepYearly: 'keep_yearly',
};

/** The fix for a keep-* count that is not a whole number of at least 1, fitting the value given. */
function countHint(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 1 && !Number.isInteger(v)) return `a whole number, e.g. ${Math.floor(v)} or ${Math.ceil(v)}`;
  if (typeof v === 'number' && v > 0 && v < 1) return 'a whole number, at least 1';
  if (typeof v === 'number' && v <= 0) return 'omit the option instead of setting it to 0';
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return `write the number without quotes: ${Number(v)}`;
  return undefined;
}

/**
 * A retention policy in Proxmox's vocabulary (keep-last/hourly/daily/weekly/monthly/yearly).
 * There is deliberately no "keep all": every policy here deletes something, so it is explicit
 * what a prune removes.
 *
 * @see https://pve.proxmox.com/pve-docs/pve-admin-guide.html#vzdump_retention
 */
export class Retention {
  /** Keep the newest `n` backups. */
  static keepLast(n: number): Retention {
    return new Retention({ keepLast: n });
  }

  /** `n` daily backups. */
  static daily(n: number): Retention {
    return new Retention({ keepDaily: n });
  }

  /** A classic grandfather-father-son policy. */
  static gfs(daily: number, weekly: number, monthly: number): Retention {
    return new Retention({ keepDaily: daily, keepWeekly: weekly, keepMonthly: monthly });
  }

  /** Any combination of keep-* values. */
  static of(props: RetentionProps): Retention {
    return new Retention(props);
  }

  readonly keepLast?: number;
  readonly keepHourly?: number;
  readonly keepDaily?: number;
  readonly keepWeekly?: number;
  readonly keepMonthly?: number;
  readonly keepYearly?: number;

  private constructor(props: RetentionProps) {
    if (props === null || typeof props !== 'object') {
      throw new BackupConfigError('Retention', [{ field: 'retention', message: `expected an object of keep-* options, got ${JSON.stringify(props)}`, hint: 'for example Retention.of({ keepDaily: 7, keepWeekly: 4 })' }]);
    }
    const problems: Problem[] = [];
    for (const key of Object.keys(props)) {
      if (!(ORDER as readonly string[]).includes(key)) {
        const meant = closestName(key, ORDER);
        problems.push({ field: key, message: `unknown retention option, expected one of ${ORDER.join(', ')}`, hint: meant ? `did you mean ${meant}?` : undefined });
      }
    }
    for (const key of ORDER) {
      const v = props[key];
      if (v === undefined) continue;
      if (!Number.isInteger(v) || v < 1) {
        problems.push({ field: key, message: `expected a whole number of at least 1, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`, hint: countHint(v) });
      }
    }
    if (ORDER.every((k) => props[k] === undefined)) {
      problems.push({ field: 'retention', message: 'expected at least one keep-* option, got none', hint: 'for example Retention.keepLast(3)' });
    }
    if (problems.length) throw new BackupConfigError('Retention', problems);
    for (const key of ORDER) if (props[key] !== undefined) (this as Record<Key, number>)[key] = props[key] as number;
  }

  /** Proxmox `prune-backups` value: `keep-last=3` or `keep-daily=7,keep-weekly=4`. */
  toPruneBackups(): string {
    return ORDER.filter((k) => this[k] !== undefined)
      .map((k) => `${KEBAB[k]}=${this[k]}`)
      .join(',');
  }

  /** borgmatic `keep_*` options. */
  toBorgmatic(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of ORDER) if (this[k] !== undefined) out[BORG[k]] = this[k] as number;
    return out;
  }

  /**
   * How many of the newest runs of a once-a-day job this policy keeps at least, none missing
   * between them: keep-last, keep-hourly and keep-daily each keep that many newest days
   * (Proxmox never counts one backup twice, so the largest is a safe lower bound); weekly and
   * longer options keep one run a period, and the days between cannot be restored.
   */
  newestDailyKept(): number {
    return Math.max(this.keepLast ?? 0, this.keepHourly ?? 0, this.keepDaily ?? 0);
  }

  /** `keep-last=3`. */
  toHumanString(): string {
    return this.toPruneBackups();
  }

  toJSON(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of ORDER) if (this[k] !== undefined) out[KEBAB[k]] = this[k] as number;
    return out;
  }
}

// a count alone means "keep the newest n"; a plain object of keep-* options is what Retention.of takes
hintForRawValue(Retention, (v) => {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1) return `Retention.keepLast(${v})`;
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => (ORDER as readonly string[]).includes(k))) {
    return `Retention.of(${JSON.stringify(v).replace(/"(\w+)":/g, '$1: ').replace(/,/g, ', ')})`;
  }
  return undefined;
});
