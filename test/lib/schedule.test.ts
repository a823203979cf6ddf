import { BackupConfigError, Duration, Schedule } from '../../constructs';
import { describeWithTool, pveCfgCheck, run } from '../helpers/tools';

describe('Schedule renderers', () => {
  const cases: [string, Schedule, string, string, string][] = [
    ['daily', Schedule.daily('03:00'), '03:00', '*-*-* 03:00:00', '0 3 * * *'],
    ['weekly', Schedule.weekly('sun', '04:00'), 'sun 04:00', 'Sun *-*-* 04:00:00', '0 4 * * 0'],
    ['workdays', Schedule.workdays('02:00'), 'mon..fri 02:00', 'Mon..Fri *-*-* 02:00:00', '0 2 * * 1-5'],
    ['two weekdays', Schedule.weekly(['wed', 'mon'], '02:30'), 'mon,wed 02:30', 'Mon,Wed *-*-* 02:30:00', '30 2 * * 1,3'],
    ['monthly', Schedule.monthly(1, '03:00'), '*-*-01 03:00', '*-*-01 03:00:00', '0 3 1 * *'],
    ['every 6 hours', Schedule.everyHours(6, 15), '00,06,12,18:15', '*-*-* 00,06,12,18:15:00', '15 0,6,12,18 * * *'],
  ];

  it.each(cases)('%s renders for Proxmox, systemd and cron', (_name, s, proxmox, systemd, cron) => {
    expect(s.toProxmox()).toBe(proxmox);
    expect(s.toSystemd()).toBe(systemd);
    expect(s.toCron()).toBe(cron);
  });

  it.each(cases)('%s: the Proxmox form passes the Proxmox checker', (_name, s) => {
    const r = pveCfgCheck(['schedule', s.toProxmox()]);
    expect(r.output).toMatch(/^ok/);
    expect(r.status).toBe(0);
  });

  it('first Sunday of the month renders for Proxmox and systemd but refuses cron (cron ORs the day fields)', () => {
    const s = Schedule.firstWeekdayOfMonth('sun', '04:00');
    expect(s.toProxmox()).toBe('sun *-*-01..07 04:00');
    expect(s.toSystemd()).toBe('Sun *-*-01..07 04:00:00');
    expect(pveCfgCheck(['schedule', s.toProxmox()]).status).toBe(0);
    expect(() => s.toCron()).toThrow(/cron would join with OR/);
    expect(s.toHumanString()).toBe('first Sun of the month at 04:00');
  });

  it('says "hourly" and "every N hours" for evenly spaced runs instead of listing them', () => {
    expect(Schedule.everyHours(1, 15).toHumanString()).toBe('hourly at :15');
    expect(Schedule.everyHours(6).toHumanString()).toBe('every 6 hours (00:00, 06:00, 12:00, 18:00)');
    expect(Schedule.everyHours(2, 30).inTimeZone('Europe/Prague').toHumanString()).toBe('every 2 hours (00:30, 02:30, 04:30, 06:30, ...) (Europe/Prague)');
    // not evenly spaced from midnight, or restricted to some days: the runs are listed
    expect(Schedule.explicit({ hours: [1, 13], minutes: [0] }).toHumanString()).toBe('daily at 01:00, 13:00');
    expect(Schedule.explicit({ weekdays: ['mon'], hours: [0, 12], minutes: [0] }).toHumanString()).toBe('Mon at 00:00, 12:00');
    expect(Schedule.explicit({ hours: [0, 6, 12, 18], minutes: [0, 30] }).toHumanString()).toBe('daily 8 times a day (00:00, 00:30, 06:00, ...)');
  });

  it('carries a time zone into systemd and refuses it for Proxmox on another zone', () => {
    const s = Schedule.daily('03:00').inTimeZone('Europe/Prague');
    expect(s.toSystemd()).toBe('*-*-* 03:00:00 Europe/Prague');
    expect(s.toProxmox('Europe/Prague')).toBe('03:00');
    expect(() => s.toProxmox()).toThrow(/Proxmox runs jobs in the node's local time/);
  });

  it('parses cron expressions and refuses both day fields', () => {
    expect(Schedule.cron('0 3 * * *').toSystemd()).toBe('*-*-* 03:00:00');
    expect(Schedule.cron('30 1 * * 0').toProxmox()).toBe('sun 01:30');
    expect(Schedule.cron('*/15 * * * *').minutes).toEqual([0, 15, 30, 45]);
    expect(() => Schedule.cron('0 3 1 * 0')).toThrow(/both day-of-month and day-of-week/);
    expect(() => Schedule.cron('0 3 * *')).toThrow(/expected 5 fields, got 4/);
    expect(() => Schedule.cron('0 25 * * *')).toThrow(/hour "25" is outside 0..23/);
    // 7 is Sunday too, also as the end of a range (before: '1-7' read as '1-0', refused)
    expect(Schedule.cron('0 3 * * 7').toProxmox()).toBe('sun 03:00');
    expect(Schedule.cron('0 3 * * 1-7').toCron()).toBe('0 3 * * 0-6');
    expect(Schedule.cron('0 3 * * 5-7').toCron()).toBe(Schedule.cron('0 3 * * 0,5,6').toCron());
    expect(() => Schedule.cron('0 3 * * 8')).toThrow(/day-of-week "8" is outside 0..7/);
  });

  it('derives its period from the longest gap between runs', () => {
    expect(Schedule.daily('03:00').period().toHours()).toBe(24);
    expect(Schedule.weekly('sun', '04:00').period().toHours()).toBe(168);
    expect(Schedule.workdays('02:00').period().toHours()).toBe(72);
    expect(Schedule.everyHours(6).period().toHours()).toBe(6);
    expect(Schedule.firstWeekdayOfMonth('sun', '04:00').period().toDays()).toBe(35);
  });

  it('counts the fewest runs a retention window ending at a run holds (the count floor of rotations)', () => {
    expect(Schedule.daily('00:00').runsWithin(Duration.days(14))).toBe(14);
    expect(Schedule.daily('03:00').runsWithin(Duration.days(7))).toBe(7);
    expect(Schedule.everyHours(6).runsWithin(Duration.days(30))).toBe(120);
    expect(Schedule.weekly('sun', '03:00').runsWithin(Duration.days(30))).toBe(5);
    expect(Schedule.workdays('02:00').runsWithin(Duration.days(7))).toBe(5);
    // irregular: a monthly job's window of 30 days holds one run after a 35-day gap
    expect(Schedule.firstWeekdayOfMonth('sun', '04:00').runsWithin(Duration.days(30))).toBe(1);
    // never below the run itself
    expect(Schedule.monthly(1, '04:00').runsWithin(Duration.days(14))).toBe(1);
  });
});

describe('Schedule.nextRuns', () => {
  it('lists the next runs strictly after the base time', () => {
    const runs = Schedule.weekly('sun', '04:00').nextRuns(new Date('2026-01-01T00:00:00Z'), 3);
    expect(runs.map((r) => r.at.toISOString())).toEqual(['2026-01-04T04:00:00.000Z', '2026-01-11T04:00:00.000Z', '2026-01-18T04:00:00.000Z']);
  });

  it('flags a run in the spring-forward gap and one in the repeated hour', () => {
    const s = Schedule.daily('02:30').inTimeZone('Europe/Berlin');
    // systemd skips a run whose wall time does not exist
    expect(s.nextRuns(new Date('2026-03-28T12:00:00Z'), 1)[0].wallTime).toBe('2026-03-30 02:30');
    const gap = s.nextRuns(new Date('2026-03-28T12:00:00Z'), 2, { includeSkipped: true });
    expect(gap[0]).toMatchObject({ wallTime: '2026-03-29 02:30', daylightSaving: 'gap' });
    expect(gap[0].at.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(gap[1].daylightSaving).toBeUndefined();
    const repeat = s.nextRuns(new Date('2026-10-24T12:00:00Z'), 1);
    expect(repeat[0]).toMatchObject({ wallTime: '2026-10-25 02:30', daylightSaving: 'repeat' });
    expect(s.daylightSavingAnomalies(new Date('2026-01-01T00:00:00Z')).map((r) => r.daylightSaving)).toEqual(['gap', 'repeat']);
    expect(Schedule.daily('02:00').inTimeZone('Europe/Berlin').daylightSavingAnomalies(new Date('2026-01-01T00:00:00Z'))).toHaveLength(2);
    expect(Schedule.daily('03:00').inTimeZone('Europe/Berlin').daylightSavingAnomalies(new Date('2026-01-01T00:00:00Z'))).toEqual([]);
  });

  it('stops before the bound, in the schedule zone, however many runs were asked for', () => {
    const from = new Date('2026-01-04T00:00:00Z');
    const before = new Date('2026-01-11T00:00:00Z');
    const daily = Schedule.daily('23:30').inTimeZone('America/New_York'); // 04:30 UTC the next day
    const runs = daily.nextRuns(from, 1000, { before });
    expect(runs.map((r) => r.at.toISOString())).toEqual(daily.nextRuns(from, 1000).filter((r) => r.at < before).map((r) => r.at.toISOString()));
    expect(runs).toHaveLength(7);
    expect(runs[6].at.toISOString()).toBe('2026-01-10T04:30:00.000Z');
    // a bound on the exact instant of a run excludes it
    expect(Schedule.daily('00:00').nextRuns(from, 10, { before }).map((r) => r.at.toISOString()).pop()).toBe('2026-01-10T00:00:00.000Z');
  });
});

describeWithTool('systemd-analyze', 'systemd', 'Schedule agrees with systemd-analyze calendar', () => {
  const schedules = [
    Schedule.daily('03:00'),
    Schedule.weekly('sun', '04:00'),
    Schedule.workdays('02:00'),
    Schedule.monthly(15, '01:10'),
    Schedule.firstWeekdayOfMonth('sun', '04:00'),
    Schedule.everyHours(8, 5),
    Schedule.weekly(['tue', 'sat'], '23:59').inTimeZone('Europe/Prague'),
  ];
  const base = (s: Schedule) => (s.timeZone === 'Europe/Berlin' ? (s.hours[0] === 2 ? '2026-03-27' : '2026-10-23') : '2026-01-01');
  schedules.push(Schedule.daily('02:30').inTimeZone('Europe/Berlin'), Schedule.daily('02:15').inTimeZone('Europe/Berlin'));
  schedules.push(Schedule.workdays('01:45').inTimeZone('Europe/Berlin'));

  it.each(schedules.map((s) => [s.toSystemd(), s] as const))('%s', (_text, s) => {
    const from = base(s);
    const out = run('systemd-analyze', ['calendar', '--iterations=5', `--base-time=${from} 00:00 UTC`, s.toSystemd()], { env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' } });
    const systemdRuns = [...out.matchAll(/(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) UTC/g)].map((m) => m[1]);
    const ours = s.nextRuns(new Date(`${from}T00:00:00Z`), 5).map((r) => r.at.toISOString().replace('T', ' ').slice(0, 19));
    expect(systemdRuns).toHaveLength(5);
    expect(ours).toEqual(systemdRuns);
  });
});

describe('Schedule errors', () => {
  it('fails when a time is not HH:MM', () => {
    expect(() => Schedule.daily('3am')).toThrow(BackupConfigError);
    expect(() => Schedule.daily('24:00')).toThrow(/\[Schedule\] time: expected a time of day as HH:MM \(00:00 to 23:59\), got "24:00"/);
  });
  it('fails when a weekday is unknown', () => {
    expect(() => Schedule.weekly('sunday' as never, '04:00')).toThrow(/weekdays: expected one of sun, mon, tue, wed, thu, fri, sat, got "sunday" \(hint: did you mean sun\?\)/);
  });
  it('fails when every-N-hours does not divide the day', () => {
    expect(() => Schedule.everyHours(5)).toThrow(/everyHours: expected a whole number of hours that divides 24.*got 5/);
  });
  it('fails when a month day is out of range', () => {
    expect(() => Schedule.monthly(32, '03:00')).toThrow(/monthDays: expected whole numbers from 1 to 31, got 32/);
  });
  it('fails when a calendar field is not a list or hours are missing, instead of crashing with a TypeError', () => {
    expect(() => Schedule.explicit({ hours: 3, minutes: [0] } as never)).toThrow(BackupConfigError);
    expect(() => Schedule.explicit({ hours: 3, minutes: [0] } as never)).toThrow(/\[Schedule\] hours: expected a list of hours from 0 to 23, got 3 \(hint: write it as a list, e\.g\. hours: \[3\]\)/);
    expect(() => Schedule.explicit({ weekdays: 'sun', hours: [3], minutes: [0] } as never)).toThrow(/\[Schedule\] weekdays: expected a list of weekday names/);
    const misspelt = () => Schedule.explicit({ hour: [3], minutes: [0] } as never);
    expect(misspelt).toThrow(/\[Schedule\] hour: not a known option \(hint: did you mean hours\?\)/);
    expect(misspelt).toThrow(/\[Schedule\] hours: required: expected a list of hours from 0 to 23, got nothing/);
  });
  it('fails when a month day does not exist in any listed month, instead of a job that never runs', () => {
    expect(() => Schedule.explicit({ months: [2], monthDays: [30], hours: [3], minutes: [0] })).toThrow(/\[Schedule\] monthDays: expected a day that exists in Feb, got day 30: the job would never run \(hint: use days that every listed month has/);
    expect(() => Schedule.cron('0 3 31 4,6 *')).toThrow(/monthDays: expected a day that exists in Apr, Jun, got day 31: the job would never run/);
    expect(() => Schedule.explicit({ months: [2], monthDays: [29], hours: [3], minutes: [0] })).toThrow(/would run only in leap years/);
    expect(Schedule.explicit({ months: [2, 3], monthDays: [30], hours: [3], minutes: [0] }).toSystemd()).toBe('*-02,03-30 03:00:00');
  });
  it('fails when a time zone is unknown', () => {
    expect(() => Schedule.daily('03:00').inTimeZone('Mars/Olympus')).toThrow(/timeZone: expected an IANA time zone/);
  });
  it('fails when a time zone is misspelt or only a city, naming the zone meant', () => {
    const messageOf = (tz: string) => {
      try {
        Schedule.daily('02:00').inTimeZone(tz);
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(messageOf('Europe/Prauge')).toBe('[Schedule] timeZone: expected an IANA time zone such as Europe/Prague, got "Europe/Prauge" (hint: did you mean Europe/Prague?)');
    expect(messageOf('Prague')).toMatch(/\(hint: did you mean Europe\/Prague\?\)$/);
    expect(messageOf('America/New York')).toMatch(/\(hint: did you mean America\/New_York\?\)$/);
    expect(messageOf('Mars/Olympus')).not.toContain('hint');
  });
});

describe('Schedule.toCron full fields', () => {
  it('writes a field listing every value as *', () => {
    expect(Schedule.everyHours(1).toCron()).toBe('0 * * * *');
    expect(Schedule.cron('* * * * *').toCron()).toBe('* * * * *');
  });
});
