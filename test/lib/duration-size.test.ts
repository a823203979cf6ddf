import { Duration, Size } from '../../constructs';

describe('Duration', () => {
  it('converts exactly and refuses lossy conversions', () => {
    expect(Duration.hours(26).toMinutes()).toBe(1560);
    expect(Duration.days(7).toHours()).toBe(168);
    expect(() => Duration.minutes(90).toHours()).toThrow(/1h 30m is not a whole number of hours/);
    expect(Duration.minutes(90).toHours({ integral: false })).toBe(1.5);
  });
  it('parses and prints compact forms', () => {
    expect(Duration.parse('1d2h').toSeconds()).toBe(93600);
    expect(Duration.parse('30m').toPrometheus()).toBe('30m');
    expect(Duration.hours(30).toPrometheus()).toBe('1d6h');
    expect(Duration.seconds(0).toHumanString()).toBe('0s');
  });
  it('fails on negative, fractional-second and unreadable input', () => {
    expect(() => Duration.hours(-1)).toThrow(/\[Duration\] hours: expected a finite, non-negative number, got -1/);
    expect(() => Duration.seconds(0.5)).toThrow(/expected a whole number of seconds/);
    expect(() => Duration.parse('soon')).toThrow(/expected a duration such as 30m, 26h or 7d, got "soon"/);
  });
});

describe('Duration errors', () => {
  it('fails when parse is given a number, with a BackupConfigError instead of a TypeError', () => {
    expect(() => Duration.parse(26 as never)).toThrow(/\[Duration\] text: expected a duration such as 30m, 26h or 7d, got 26 \(hint: write it as text, e\.g\. Duration\.parse\('26h'\), or use Duration\.hours\(26\)\)/);
  });
});

describe('Size', () => {
  it('converts units and prints human sizes', () => {
    expect(Size.mebibytes(2).toBytes()).toBe(2097152);
    expect(Size.gibibytes(1.5).toHumanString()).toBe('1.5 GiB');
    expect(Size.bytes(512).toHumanString()).toBe('512 B');
  });
  it('fails on negative sizes', () => {
    expect(() => Size.kibibytes(-1)).toThrow(/\[Size\] kibibytes: expected a non-negative amount/);
  });
});

describe('error messages and secrets', () => {
  it('never echo the value of a field that may hold a secret', () => {
    const { checkProps } = jest.requireActual('../../lib/errors');
    const { z } = jest.requireActual('zod');
    expect(() => checkProps('site/X', z.object({ passwordFile: z.string().startsWith('/') }), { passwordFile: 'hunter2' })).toThrow(/\[site\/X\] passwordFile: .*got a value \(not shown: it may be a secret\)$/);
    expect(() => checkProps('site/X', z.object({ passwordFile: z.string().startsWith('/') }), { passwordFile: 'hunter2' })).not.toThrow(/hunter2/);
  });
});
