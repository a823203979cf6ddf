import { Schedule } from '../../lib/schedule';
import { errorOf } from '../helpers/process-group';

// monthly(31) rendered `*-*-31`: no run in five months of the year, and the stale alert,
// derived from the longest gap, waited two months before it said anything.
describe('Schedule.monthly and Schedule.quarterly day of the month', () => {
  it('fails when monthly is given a day some months lack, naming the months it would skip', () => {
    expect(errorOf(() => Schedule.monthly(31, '03:00'))).toBe(
      '[Schedule] dayOfMonth: expected a day each of its months has (1 to 28), got 31: the job would skip Feb, Apr, Jun, Sep, Nov (hint: use a day from 1 to 28; if skipping those months is meant, write Schedule.explicit({ monthDays: [31], hours: [3], minutes: [0] }))',
    );
    expect(errorOf(() => Schedule.monthly(29, '03:00'))).toMatch(/got 29: the job would skip Feb except in leap years/);
  });

  it('fails when quarterly is given the 31st, which April lacks', () => {
    expect(errorOf(() => Schedule.quarterly(31, '05:30'))).toBe(
      '[Schedule] dayOfMonth: expected a day each of its months has (1 to 30), got 31: the job would skip Apr (hint: use a day from 1 to 30; if skipping those months is meant, write Schedule.explicit({ months: [1, 4, 7, 10], monthDays: [31], hours: [5], minutes: [30] }))',
    );
  });

  it('still accepts the days every month has, and leaves other bad days to the range check', () => {
    expect(Schedule.monthly(28, '03:00').toSystemd()).toBe('*-*-28 03:00:00');
    expect(Schedule.quarterly(30, '05:00').toSystemd()).toBe('*-01,04,07,10-30 05:00:00');
    expect(errorOf(() => Schedule.monthly(32, '03:00'))).toBe('[Schedule] monthDays: expected whole numbers from 1 to 31, got 32');
    expect(Schedule.explicit({ monthDays: [31], hours: [3], minutes: [0] }).toSystemd()).toBe('*-*-31 03:00:00');
  });
});
