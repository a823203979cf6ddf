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

describe('BackupStatus twice in one site', () => {
  /** Two Proxmox hosts, each with a vzdump job whose artifacts it holds. */
  function twoHosts() {
    const t = testSite();
    const other = new PveHost(t.site, 'Other', { name: 'pve2', address: '10.0.0.6' });
    for (const [host, vmid] of [[t.host, 100], [other, 101]] as const) {
      new VzdumpJob(t.site, `Daily${vmid}`, { host, jobId: `daily-${host.name}`, storage: nfsStorage(t.site, host, `Nas${vmid}`), guests: [vm(t.site, host, vmid)], schedule: Schedule.daily('03:00') });
    }
    new BackupAlertRules(t.site, 'Alerts', { delivery: AlertDelivery.hostFile(t.host) });
    return { ...t, other };
  }

  it('lets each host have its own status tool (each notifying its own way), with one overdue alert for the site', () => {
    const t = twoHosts();
    new BackupStatus(t.site, 'Status', { hosts: [t.host], notify: [StatusNotify.ntfy('https://ntfy.example/backups')] });
    new BackupStatus(t.site, 'Status2', { hosts: [t.other], notify: [StatusNotify.appriseCli('/etc/apprise/backups.yml')] });
    synthJson(t.site);
    expect(t.site.model.alertSpecs.filter((a) => a.name === 'BackupArtifactOverdue').map((a) => a.constructPath)).toEqual(['test/Status']);
    expect(t.site.model.hostFiles.filter((f) => f.path === '/usr/local/bin/backup-status').map((f) => `${f.host} ${f.constructPath}`).sort()).toEqual(['pve test/Status/On-pve', 'pve2 test/Status2/On-pve2']);
    expect(reviewOf(t.site).get('prometheus/backup-test.rules.yml')!.content.match(/alert: BackupArtifactOverdue$/gm)).toHaveLength(1);
  });

  it('fails up front naming hosts when two status tools would run on one host', () => {
    const t = twoHosts();
    new BackupStatus(t.site, 'Status', { hosts: [t.host, t.other] });
    expect(() => new BackupStatus(t.site, 'Status2', { hosts: [t.other] })).toThrow(
      /^\[test\/Status2\] hosts: expected hosts no other status tool of site test runs on, got pve2, where test\/Status installs backup-status already \(hint: one status tool per host: leave pve2 out of one of them\)$/,
    );
    expect(() => new BackupStatus(t.site, 'Status3')).toThrow(
      /^\[test\/Status3\] hosts: expected hosts of its own for a second status tool of site test, got none \(every host holding artifacts\), while test\/Status installs on pve, pve2 \(hint: one status tool per host: list the hosts of each \(hosts: \[\.\.\.\]\) on both, or give test\/Status this one's notify targets\)$/,
    );
    const u = twoHosts();
    new BackupStatus(u.site, 'Status');
    expect(() => new BackupStatus(u.site, 'Status2', { hosts: [u.other] })).toThrow(/^\[test\/Status2\] hosts: expected hosts of its own for a second status tool of site test, got pve2, while test\/Status installs on every host holding artifacts/);
  });
});
