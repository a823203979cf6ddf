import { BackupSite, PveHost, Schedule } from '../../constructs';
import { errorOf } from '../helpers/process-group';
import { freshApp } from '../helpers/synth';

// Intl accepts `europe/prague` and reports Europe/Prague, but the name given was written as
// given: into OnCalendar= (systemd: "Failed to parse calendar specification") and a CronJob's
// timeZone (Kubernetes: "unknown time zone"), which open the tzdata file of that exact name.
describe('time zones written in other letter case than tzdata', () => {
  it('fails when a schedule zone is not spelt as tzdata spells it, naming the spelling', () => {
    expect(errorOf(() => Schedule.daily('03:00').inTimeZone('europe/prague'))).toBe(
      '[Schedule] timeZone: expected an IANA time zone such as Europe/Prague, got "europe/prague" (hint: write it as Europe/Prague: zone names are case-sensitive on the host)',
    );
    expect(errorOf(() => Schedule.daily('03:00').inTimeZone('utc'))).toMatch(/hint: write it as UTC: zone names are case-sensitive/);
  });

  it('fails when a site or host zone is not spelt as tzdata spells it', () => {
    expect(errorOf(() => new BackupSite(freshApp(), 'home', { timeZone: 'EUROPE/PRAGUE' }))).toMatch(/^\[home\] timeZone: expected an IANA time zone such as Europe\/Prague, got "EUROPE\/PRAGUE" \(hint: write it as Europe\/Prague/);
    const site = new BackupSite(freshApp(), 'home');
    expect(errorOf(() => new PveHost(site, 'Pve', { name: 'pve', address: '10.0.0.5', timeZone: 'us/pacific' }))).toMatch(/^\[home\/Pve\] timeZone: expected an IANA time zone such as Europe\/Prague, got "us\/pacific"/);
  });

  it('still accepts zones spelt as tzdata spells them, links included', () => {
    for (const zone of ['Europe/Prague', 'UTC', 'Etc/UTC', 'US/Pacific', 'Europe/Kyiv', 'America/Argentina/Buenos_Aires']) {
      expect(Schedule.daily('03:00').inTimeZone(zone).toSystemd()).toBe(`*-*-* 03:00:00 ${zone}`);
    }
  });
});
