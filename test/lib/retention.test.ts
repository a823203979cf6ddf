import { errorOf } from '../helpers/process-group';
import { Retention } from '../../constructs';

describe('Retention', () => {
  it('renders Proxmox prune-backups in Proxmox option order', () => {
    expect(Retention.keepLast(3).toPruneBackups()).toBe('keep-last=3');
    expect(Retention.gfs(7, 4, 6).toPruneBackups()).toBe('keep-daily=7,keep-weekly=4,keep-monthly=6');
    expect(Retention.of({ keepYearly: 1, keepLast: 2 }).toPruneBackups()).toBe('keep-last=2,keep-yearly=1');
  });

  it('renders borgmatic keep_* options', () => {
    expect(Retention.gfs(7, 4, 6).toBorgmatic()).toEqual({ keep_daily: 7, keep_weekly: 4, keep_monthly: 6 });
  });

  it('knows how many of the newest daily runs it keeps, not counting weekly and longer options', () => {
    expect(Retention.keepLast(7).newestDailyKept()).toBe(7);
    expect(Retention.gfs(7, 4, 12).newestDailyKept()).toBe(7);
    expect(Retention.of({ keepLast: 1, keepMonthly: 7 }).newestDailyKept()).toBe(1);
    expect(Retention.of({ keepHourly: 9, keepWeekly: 52 }).newestDailyKept()).toBe(9);
  });

  it('fails when a count is zero, negative or fractional', () => {
    expect(() => Retention.keepLast(0)).toThrow(/\[Retention\] keepLast: expected a whole number of at least 1, got 0 \(hint: omit the option/);
    expect(() => Retention.daily(-1)).toThrow(/keepDaily: expected a whole number of at least 1, got -1/);
    expect(() => Retention.keepLast(2.5)).toThrow(/keepLast: .*got 2.5/);
  });

  it('gives a hint that fits the count: nearby whole numbers for a fraction, omitting it for zero or less', () => {
    expect(errorOf(() => Retention.keepLast(7.5))).toBe('[Retention] keepLast: expected a whole number of at least 1, got 7.5 (hint: a whole number, e.g. 7 or 8)');
    expect(errorOf(() => Retention.keepLast(0.5))).toBe('[Retention] keepLast: expected a whole number of at least 1, got 0.5 (hint: a whole number, at least 1)');
    expect(errorOf(() => Retention.daily(-1))).toBe('[Retention] keepDaily: expected a whole number of at least 1, got -1 (hint: omit the option instead of setting it to 0)');
    expect(errorOf(() => Retention.of({ keepLast: '7' as never }))).toBe('[Retention] keepLast: expected a whole number of at least 1, got "7" (hint: write the number without quotes: 7)');
  });

  it('fails when a count is NaN, naming it (not null), or the options are not an object, instead of a TypeError', () => {
    expect(() => Retention.gfs(NaN, 4, 6)).toThrow(/\[Retention\] keepDaily: expected a whole number of at least 1, got NaN/);
    expect(() => Retention.of(null as never)).toThrow(/\[Retention\] retention: expected an object of keep-\* options, got null \(hint: for example Retention\.of/);
  });

  it('fails when nothing is kept or an option is unknown', () => {
    expect(() => Retention.of({})).toThrow(/retention: expected at least one keep-\* option/);
    expect(() => Retention.of({ keepAll: 1 } as never)).toThrow(/keepAll: unknown retention option, expected one of keepLast, [^()\n]*\n/);
    expect(() => Retention.of({ keepWeakly: 4 } as never)).toThrow(/keepWeakly: unknown retention option, .* \(hint: did you mean keepWeekly\?\)/);
  });
});
