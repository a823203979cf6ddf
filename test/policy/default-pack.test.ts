import { Testing } from 'cdktf';
import { BackupAlertRules, BackupSite, Duration, ExternalBackup, Guest, PolicyPack, PveHost, PveStorage, Retention, Schedule, ScheduledHostJob, VzdumpJob } from '../../constructs';
import { freshApp, modelOf, reviewOf } from '../helpers/synth';

function site(props: ConstructorParameters<typeof BackupSite>[2] = {}) {
  const s = new BackupSite(freshApp(), 'p', props);
  const host = new PveHost(s, 'Pve', { name: 'pve', address: '10.0.0.5' });
  const nas = new PveStorage(s, 'Nas', { host, storageId: 'nas', type: 'nfs', server: '10.0.0.150', export: '/v', retention: Retention.keepLast(3) });
  const remote = new PveStorage(s, 'Remote', { host, storageId: 'offsite', type: 'nfs', server: '10.9.0.1', export: '/v', retention: Retention.keepLast(3), medium: 'remote-storage', location: 'off-site' });
  const g = new Guest(s, 'G', { host, vmid: 100, type: 'qemu', name: 'g' });
  return { s, host, nas, remote, g };
}

const rulesOf = (s: BackupSite, rule: string) => modelOf(s).policyOutcome().findings.filter((f) => f.rule === rule);

describe('3-2-1', () => {
  it('passes with two backup copies on another medium, one off-site', () => {
    const { s, host, nas, remote, g } = site();
    new VzdumpJob(s, 'A', { host, jobId: 'a-job', schedule: Schedule.daily('01:00'), storage: nas, guests: [g] });
    new VzdumpJob(s, 'B', { host, jobId: 'b-job', schedule: Schedule.daily('05:00'), storage: remote, all: true });
    // VM 100 passes; the guests only job B finds have one copy, off-site on another medium, not two
    expect(rulesOf(s, '3-2-1').map((f) => [f.subject, f.message])).toEqual([['guest:pve:undeclared', 'every guest on pve not declared in this program (important) falls short of 3-2-1: 2 copies (needs 3)']]);
  });

  it('warns when an asset has no off-site copy, and fails the synth under a strict policy', () => {
    const a = site();
    new VzdumpJob(a.s, 'A', { host: a.host, jobId: 'a-job', schedule: Schedule.daily('01:00'), storage: a.nas, guests: [a.g] });
    expect(rulesOf(a.s, '3-2-1')).toEqual([expect.objectContaining({ severity: 'warning', subject: 'guest:pve:100', message: 'VM 100 g (important) falls short of 3-2-1: 2 copies (needs 3), no off-site copy' })]);
    const b = site({ strictPolicy: true });
    new VzdumpJob(b.s, 'A', { host: b.host, jobId: 'a-job', schedule: Schedule.daily('01:00'), storage: b.nas, guests: [b.g] });
    expect(() => Testing.synth(b.s, true)).toThrow(/\[guest:pve:100\] 3-2-1: VM 100 g \(important\) falls short of 3-2-1/);
  });

  it('a waiver with a reason silences one finding and shows in REVIEW.md', () => {
    const { s, host, nas, g } = site({ strictPolicy: true });
    new VzdumpJob(s, 'A', { host, jobId: 'a-job', schedule: Schedule.daily('01:00'), storage: nas, guests: [g] });
    s.waive('3-2-1', 'guest:pve:100', 'regenerable media, rebuilt from the golden template');
    expect(rulesOf(s, '3-2-1')).toEqual([]);
    expect(() => Testing.synth(s, true)).not.toThrow();
    expect(reviewOf(s).get('REVIEW.md')!.content).toContain('**Waived**: regenerable media, rebuilt from the golden template.');
    expect(() => s.waive('3-2-1', '*', '')).toThrow(/waiver.reason: expected a reason/);
  });

  it('REVIEW.md lists up to five findings of a rule one per line, more under one line that gives the fix once', () => {
    // `guests` declared guests, plus the undeclared ones of the all-guests job: one finding more
    const findings = (guests: number) => {
      const { s, host, nas } = site();
      const extra = Array.from({ length: guests - 1 }, (_, i) => new Guest(s, `G${i}`, { host, vmid: 101 + i, type: 'qemu', name: `g${101 + i}` }));
      new VzdumpJob(s, 'A', { host, jobId: 'a-job', schedule: Schedule.daily('01:00'), storage: nas, all: true });
      const text = reviewOf(s).get('REVIEW.md')!.content;
      expect(extra).toHaveLength(guests - 1);
      return text.slice(text.indexOf('## Findings'), text.indexOf('\n## ', text.indexOf('## Findings') + 1)).split('\n').filter((l) => l.includes('3-2-1'));
    };
    const five = findings(4);
    expect(five).toHaveLength(5);
    expect(five.every((l) => l.startsWith('- **warning** `3-2-1` guest:pve:') && l.includes('. Fix: add a copy'))).toBe(true);
    const six = findings(5);
    expect(six[0]).toBe('- **warning** `3-2-1` on 6 subjects. Fix: add a copy on another medium or off-site, or waive the rule for this asset with a reason (e.g. regenerable data).');
    expect(six.slice(1)).toEqual([
      ...[100, 101, 102, 103, 104].map((id) => `  - guest:pve:${id}: VM ${id} g${id === 100 ? '' : id} (important) falls short of 3-2-1: 2 copies (needs 3), no off-site copy.`),
      '  - guest:pve:undeclared: every guest on pve not declared in this program (important) falls short of 3-2-1: 2 copies (needs 3), no off-site copy.',
    ]);
  });
});

describe('ordering', () => {
  function hostJobs(producerAt: string, consumerAt: string) {
    const { s, host } = site();
    const producer = new ScheduledHostJob(s, 'Daily', { host, jobId: 'daily-backup', schedule: Schedule.daily(producerAt), description: 'd', body: 'true', expectedDuration: Duration.minutes(45) });
    new ScheduledHostJob(s, 'Offsite', { host, jobId: 'offsite-sync', schedule: Schedule.daily(consumerAt), description: 'o', body: 'true', after: [producer] });
    return s;
  }
  it('passes when the consumer starts after the producer has finished', () => {
    expect(rulesOf(hostJobs('05:00', '06:00'), 'ordering')).toEqual([]);
  });
  it('warns when the consumer starts before the producer has finished', () => {
    expect(rulesOf(hostJobs('05:00', '05:30'), 'ordering')).toEqual([
      expect.objectContaining({ subject: 'p/Offsite', message: 'job offsite-sync (daily at 05:30) starts before daily-backup (daily at 05:00, expected 45 min) has finished, so it reads an older or partial output' }),
    ]);
  });
  it('fails when the consumer starts before, or with, the job it is declared to run after', () => {
    for (const at of ['04:45', '05:00']) {
      expect(rulesOf(hostJobs('05:00', at), 'ordering')).toEqual([
        expect.objectContaining({
          severity: 'error',
          subject: 'p/Offsite',
          message: `job offsite-sync (daily at ${at}) is declared to run after daily-backup (daily at 05:00) but starts before it, so it reads the output of the run before`,
        }),
      ]);
    }
  });
  it('reads the latest producer run before it: a daily consumer after the first of a producer\'s several runs a day passes', () => {
    const { s, host } = site();
    const snap = new ScheduledHostJob(s, 'Snap', { host, jobId: 'snap', schedule: Schedule.everyHours(6), description: 's', body: 'true' });
    new ScheduledHostJob(s, 'Ship', { host, jobId: 'ship', schedule: Schedule.daily('03:00'), description: 's', body: 'true', after: [snap] });
    expect(rulesOf(s, 'ordering')).toEqual([]);
    const { s: s2, host: h2 } = site();
    const snap2 = new ScheduledHostJob(s2, 'Snap', { host: h2, jobId: 'snap', schedule: Schedule.everyHours(6), description: 's', body: 'true', expectedDuration: Duration.hours(4) });
    new ScheduledHostJob(s2, 'Ship', { host: h2, jobId: 'ship', schedule: Schedule.daily('03:00'), description: 's', body: 'true', after: [snap2] });
    expect(rulesOf(s2, 'ordering')).toEqual([expect.objectContaining({ severity: 'warning', subject: 'p/Ship' })]);
  });

  it('fails on the days both run: a daily consumer before a weekly producer on its day', () => {
    const { s, host } = site();
    const weekly = new ScheduledHostJob(s, 'Weekly', { host, jobId: 'weekly-full', schedule: Schedule.weekly('sun', '03:00'), description: 'w', body: 'true' });
    new ScheduledHostJob(s, 'Ship', { host, jobId: 'ship', schedule: Schedule.daily('01:00'), description: 's', body: 'true', after: [weekly] });
    expect(rulesOf(s, 'ordering')).toEqual([expect.objectContaining({ severity: 'error', subject: 'p/Ship' })]);
  });
});

describe('contention', () => {
  function twoJobs(second: string) {
    const { s, host, nas, g } = site();
    new VzdumpJob(s, 'A', { host, jobId: 'a-job', schedule: Schedule.daily('01:00'), storage: nas, guests: [g], expectedDuration: Duration.minutes(30) });
    new VzdumpJob(s, 'B', { host, jobId: 'b-job', schedule: Schedule.weekly('sun', second), storage: nas, guests: [new Guest(s, 'H', { host, vmid: 101, type: 'qemu', name: 'h' })] });
    return s;
  }
  it('passes when jobs on one target do not overlap', () => {
    expect(rulesOf(twoJobs('01:30'), 'contention')).toEqual([]);
  });
  it('warns when jobs write to one target in overlapping windows', () => {
    expect(rulesOf(twoJobs('01:15'), 'contention')).toEqual([expect.objectContaining({ subject: 'a-job+b-job', message: expect.stringMatching(/^jobs a-job and b-job write to nas on pve in overlapping windows/) })]);
  });
});

describe('stale thresholds', () => {
  function withStale(hours: number) {
    const { s, host, nas, g } = site();
    new VzdumpJob(s, 'A', { host, jobId: 'a-job', schedule: Schedule.daily('01:00'), storage: nas, guests: [g], staleAfter: Duration.hours(hours) });
    return rulesOf(s, 'stale-threshold');
  }
  it('passes between one period plus the run and three periods', () => {
    expect(withStale(26)).toEqual([]);
  });
  it('fails below one period plus the expected duration (it pages every run)', () => {
    expect(withStale(12)).toEqual([expect.objectContaining({ severity: 'error', message: 'job a-job goes stale after 12h, before its next run can finish (period 24h plus 1h): it would page on every run' })]);
  });
  it('warns at exactly one period, and above three periods', () => {
    expect(withStale(24)).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/exactly one period \(24h\)/) })]);
    expect(withStale(96)).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/only after 96h, more than three periods/) })]);
  });
});

describe('monitored', () => {
  it('passes when every job reports and the site has alert rules', () => {
    const { s, host, nas, g } = site();
    new VzdumpJob(s, 'A', { host, jobId: 'a-job', schedule: Schedule.daily('01:00'), storage: nas, guests: [g] });
    new BackupAlertRules(s, 'Alerts');
    expect(rulesOf(s, 'monitored')).toEqual([]);
  });
  it('warns when metrics are pushed but nothing alerts on them', () => {
    const { s, host, nas, g } = site();
    new VzdumpJob(s, 'A', { host, jobId: 'a-job', schedule: Schedule.daily('01:00'), storage: nas, guests: [g] });
    expect(rulesOf(s, 'monitored')).toEqual([expect.objectContaining({ subject: 'p', message: 'site p pushes metrics but has no BackupAlertRules: nothing alerts on them' })]);
  });
});

describe('a pluggable pack', () => {
  it('runs beside the default pack and its errors fail the synth', () => {
    const pack: PolicyPack = {
      name: 'no-external',
      rules: [{ id: 'no-external', description: 'x', check: (m) => m.jobs.filter((j) => j.kind === 'external').map((j) => ({ severity: 'error' as const, rule: 'no-external', subject: j.constructPath, message: `${j.id} is external`, fix: 'schedule it here' })) }],
    };
    const { s } = site({ policyPacks: [pack] });
    new ExternalBackup(s, 'Ha', { name: 'app-ha', protects: 'HA', tool: 'HA', host: 'nas', basePath: '/x', staleAfter: Duration.hours(48) });
    expect(modelOf(s).policyPacks.map((p) => p.name)).toEqual(['default', 'no-external']);
    expect(() => Testing.synth(s, true)).toThrow(/\[p\/Ha\] no-external: app-ha is external \(fix: schedule it here\)/);
  });
});

describe('a disabled job', () => {
  it('is named in the review, gets no alert that would fire while it is off, and its copies no longer count for 3-2-1', () => {
    const { s, host, nas, remote, g } = site();
    new VzdumpJob(s, 'A', { host, jobId: 'a-job', schedule: Schedule.daily('01:00'), storage: nas, guests: [g] });
    new VzdumpJob(s, 'B', { host, jobId: 'offsite-job', schedule: Schedule.daily('05:00'), storage: remote, guests: [g], enabled: false });
    new BackupAlertRules(s, 'Alerts');
    Testing.synth(s);
    expect(rulesOf(s, 'monitored').filter((f) => f.subject === 'p/B')).toEqual([
      expect.objectContaining({ severity: 'warning', message: 'job offsite-job is disabled: it makes no new copies, no alert or status check watches it, and 3-2-1 does not count its copies' }),
    ]);
    expect(rulesOf(s, '3-2-1').filter((f) => f.subject === 'guest:pve:100')).toEqual([
      expect.objectContaining({ message: 'VM 100 g (important) falls short of 3-2-1: 2 copies (needs 3), no off-site copy (not counting the copies of disabled job offsite-job)' }),
    ]);
    const rules = [...reviewOf(s).values()].find((f) => f.path.endsWith('.rules.yml'))!.content;
    expect(rules).toMatch(/backup_job="a-job"/);
    expect(rules).not.toMatch(/offsite-job/);
  });
});

describe('an error finding', () => {
  it("fails the synth when a construct raised it, as a policy rule's does", () => {
    const { s } = site();
    s.model.addFinding({ severity: 'error', rule: 'some-construct', subject: 'p/Thing', message: 'it cannot work this way', fix: 'do it the other way' });
    expect(() => Testing.synth(s, true)).toThrow('[p/Thing] some-construct: it cannot work this way (fix: do it the other way)');
  });
});
