import { AlertDelivery, BackupAlertRules, BackupStatus, Duration, ExternalBackup, PveHost, Schedule, StatusNotify, VzdumpJob } from '../../constructs';
import { nfsStorage, testSite, vm } from '../helpers/fixtures';
import { reviewOf, synthJson } from '../helpers/synth';

/** A site with one vzdump job, review-only alerts, and an app backup made by another tool. */
function site(opts: { status?: 'none' | 'metrics' | 'notify'; externalHost?: string; alertsDeployed?: boolean } = {}) {
  const t = testSite();
  const storage = nfsStorage(t.site, t.host);
  new VzdumpJob(t.site, 'Daily', { host: t.host, jobId: 'daily', storage, guests: [vm(t.site, t.host, 100)], schedule: Schedule.daily('03:00') });
  new BackupAlertRules(t.site, 'Alerts', { delivery: opts.alertsDeployed ? AlertDelivery.hostFile(t.host) : AlertDelivery.reviewOnly('no Prometheus yet') });
  new ExternalBackup(t.site, 'Ha', { name: 'app-ha', protects: 'HA config', tool: 'HA built-in backup', host: opts.externalHost ?? 'nas', basePath: '/backups/ha', staleAfter: Duration.hours(48) });
  if (opts.status === 'metrics') new BackupStatus(t.site, 'Status');
  if (opts.status === 'notify') new BackupStatus(t.site, 'Status', { notify: [StatusNotify.ntfy('https://ntfy.example/backups')] });
  synthJson(t.site);
  return t;
}

const monitored = (t: ReturnType<typeof site>) => t.site.model.allFindings().filter((f) => f.rule === 'monitored').map((f) => f.message);

describe('who hears of a failed backup', () => {
  it('warns when the alert rules are not deployed and no status tool notifies anyone', () => {
    expect(monitored(site())).toContainEqual(expect.stringMatching(/nobody hears of a failed or stale backup at site test: its alert rules are not deployed and it runs no status tool/));
    expect(monitored(site({ status: 'metrics' }))).toContainEqual(expect.stringMatching(/not deployed and its status tool only writes metrics nobody alerts on/));
    expect(monitored(site({ status: 'notify' })).filter((m) => m.startsWith('nobody hears'))).toEqual([]);
  });

  it('warns about a backup another tool makes on a machine no status tool runs on, and says so in its runbook', () => {
    const t = site({ status: 'notify' });
    expect(monitored(t)).toContainEqual(expect.stringMatching(/job app-ha reports no metrics and no status tool checks its artifacts on nas \(a machine this program does not manage\)/));
    const runbook = reviewOf(t.site).get('runbooks/app-ha.md')!.content;
    expect(runbook).toContain('- none: this job reports no metrics; nothing checks its artifacts either');
    expect(runbook).not.toContain('the status tool on');
    // no Stale alert to wait for: look for the new file
    expect(runbook).toContain('check that a new artifact appears (`ls -lt /backups/ha | head` on nas)');
    expect(runbook).not.toContain('Stale alert clears');
  });

  it('counts an artifact on a managed host running the status tool as checked', () => {
    const t = site({ status: 'notify', externalHost: 'pve' });
    expect(monitored(t).filter((m) => m.includes('app-ha'))).toEqual([]);
    const runbook = reviewOf(t.site).get('runbooks/app-ha.md')!.content;
    expect(runbook).toContain('the status tool on pve checks its artifacts (`backup-status`)');
    expect(runbook).toContain('check that `backup-status` on pve reports its artifact as OK');
    expect(t.site.model.hostFiles.map((f) => `${f.host}:${f.path}`)).toContain('pve:/etc/backup-constructs/inventory.tsv');
  });
});

describe('a status tool nobody hears', () => {
  it('does not count as watching a backup another tool makes, unless it notifies or the rules that alert on it are deployed', () => {
    const silent = site({ status: 'metrics', externalHost: 'pve' });
    expect(monitored(silent)).toContainEqual(expect.stringMatching(/job app-ha reports no metrics and no status tool checks its artifacts on pve:/));
    expect(reviewOf(silent.site).get('runbooks/app-ha.md')!.content).toContain('nothing checks its artifacts either');
    const alerted = site({ status: 'metrics', externalHost: 'pve', alertsDeployed: true });
    expect(monitored(alerted).filter((m) => m.includes('app-ha'))).toEqual([]);
    // the alert that makes it heard: on the tool's own metric, tested by promtool with the rest
    const rules = reviewOf(alerted.site).get('prometheus/backup-test.rules.yml')!.content;
    expect(rules).toContain('alert: BackupArtifactOverdue');
    expect(rules).toContain('max by (entry, site, host, backup_job, reason) (backup_inventory_status{site="test"}) >= 1');
  });
});

describe('BackupStatus with nothing to check', () => {
  it('is an error rather than notifications configured and never sent', () => {
    const t = testSite();
    new ExternalBackup(t.site, 'Ha', { name: 'app-ha', protects: 'HA config', tool: 'HA', host: 'nas', basePath: '/backups/ha', staleAfter: Duration.hours(48) });
    new BackupStatus(t.site, 'Status', { notify: [StatusNotify.appriseCli('/etc/apprise/backups.yml')] });
    expect(() => synthJson(t.site)).toThrow(/\[test\/Status\] hosts: no host this program manages holds an inventory entry \(artifacts are on: nas\)/);
  });

  it('names a listed host that holds no artifact', () => {
    const t = testSite();
    const storage = nfsStorage(t.site, t.host);
    new VzdumpJob(t.site, 'Daily', { host: t.host, jobId: 'daily', storage, guests: [vm(t.site, t.host, 100)], schedule: Schedule.daily('03:00') });
    const other = new PveHost(t.site, 'Other', { name: 'pve2', address: '10.0.0.6' });
    new BackupStatus(t.site, 'Status', { hosts: [t.host, other] });
    expect(() => synthJson(t.site)).toThrow(/hosts: no inventory entry lies on pve2/);
  });
});
