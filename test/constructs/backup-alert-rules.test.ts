import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { AlertDelivery, BackupAlertRules, BackupSite, Duration, MetricsSink, PveHost, Schedule, ScheduledHostJob, VzdumpJob } from '../../constructs';
import { deriveAlerts } from '../../lib/alerts/derive-alerts';
import { ct, nfsStorage, testSite, vm } from '../helpers/fixtures';
import { freshApp, modelOf, resourcesOf, reviewOf, synthJson, writeTree } from '../helpers/synth';
import { describeWithTool, run, tempDir } from '../helpers/tools';
import { spawnSync } from 'child_process';

function siteWithJobs(props: ConstructorParameters<typeof BackupAlertRules>[2] = {}) {
  const { site, host } = testSite();
  const nas = nfsStorage(site, host);
  new VzdumpJob(site, 'Daily', { host, jobId: 'daily-job', schedule: Schedule.daily('03:00'), storage: nas, guests: [vm(site, host, 100, { classification: 'critical' })] });
  new VzdumpJob(site, 'Weekly', { host, jobId: 'weekly-job', alertName: 'WeeklyBackup', schedule: Schedule.weekly('sun', '04:00'), storage: nas, guests: [ct(site, host, 105)], staleAfter: Duration.hours(192) });
  const rules = new BackupAlertRules(site, 'Alerts', props);
  return { site, host, rules };
}

describe('BackupAlertRules', () => {
  it('derives Stale, Failing and NeverRan (and per-guest) alerts for every job that pushes metrics', () => {
    const { site, rules } = siteWithJobs();
    const names = deriveAlerts(modelOf(site), rules.settings).map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining(['DailyJobStale', 'DailyJobFailing', 'DailyJobNeverRan', 'DailyJobGuestStale', 'DailyJobGuestFailing', 'WeeklyBackupStale', 'WeeklyBackupFailing', 'WeeklyBackupNeverRan', 'BackupTargetDiskFull']),
    );
  });

  it('derives the stale threshold from the schedule, honours an explicit one, and shows both in REVIEW.md', () => {
    const { site, rules } = siteWithJobs();
    const byName = new Map(deriveAlerts(modelOf(site), rules.settings).map((r) => [r.name, r]));
    expect(byName.get('DailyJobStale')!.expr).toMatch(/> 93600$/); // 24 h + 2 h
    expect(byName.get('WeeklyBackupStale')!.expr).toMatch(/> 691200$/); // 8 d, set by the stack
    const review = reviewOf(site).get('REVIEW.md')!.content;
    expect(review).toContain('| WeeklyBackupStale | `weekly-job` | 8d (set by stack; derived 7d 2h) | 30m | warning | [weekly-job](runbooks/weekly-job.md) |');
    expect(review).toContain('| DailyJobStale | `daily-job` | 1d 2h (derived) | 30m | critical |');
  });

  it('gives every alert severity, summary, description and a runbook_url that names a generated runbook', () => {
    const { site } = siteWithJobs({ runbookBaseUrl: 'https://git.example/infra/runbooks/' });
    const review = reviewOf(site);
    const doc = parse(review.get('prometheus/backup-test.rules.yml')!.content);
    const rules = doc.groups[0].rules as { alert: string; labels: Record<string, string>; annotations: Record<string, string>; for: string }[];
    expect(rules.length).toBeGreaterThan(8);
    for (const r of rules) {
      expect(Object.keys(r.annotations).sort()).toEqual(['description', 'runbook_url', 'summary']);
      expect(['warning', 'critical']).toContain(r.labels.severity);
      expect(r.labels.component).toBe('backup');
      expect(r.for).toMatch(/^\d/);
      const file = r.annotations.runbook_url.replace('https://git.example/infra/', '');
      expect(review.has(file)).toBe(true);
    }
    expect(review.get('runbooks/daily-job.md')!.content).toContain('qmrestore "$(ls -1t /mnt/pve/nas-backups/dump/vzdump-qemu-100-*.vma.zst | head -n 1)" 100\n');
    expect(review.get('runbooks/weekly-job.md')!.content).toContain('pct restore 105 "$(ls -1t /mnt/pve/nas-backups/dump/vzdump-lxc-105-*.tar.zst | head -n 1)" --storage <storage> --unprivileged 1');
    expect(review.get('runbooks/full-restore.md')!.content.indexOf('VM 100')).toBeLessThan(review.get('runbooks/full-restore.md')!.content.indexOf('CT 105'));
  });

  it("starts each runbook with where that kind of job logs its runs, and checks a target only where the job writes one", () => {
    const { site, host } = siteWithJobs();
    new ScheduledHostJob(site, 'Collector', { host, jobId: 'collect', schedule: Schedule.everyHours(1), description: 'collects numbers', body: 'true', kind: 'collector' });
    site.model.addTarget({ id: 'borg:box', name: 'borg repository ssh://u1@box:23/./repo', medium: 'remote-storage', location: 'off-site', constructPath: 'test/Box' });
    new ScheduledHostJob(site, 'Offsite', { host, jobId: 'offsite', schedule: Schedule.daily('03:00'), description: 'ships copies', body: 'true', writesTo: ['borg:box'] });
    const review = reviewOf(site);
    const firstChecks = (job: string) => {
      const text = review.get(`runbooks/${job}.md`)!.content;
      return text.slice(text.indexOf('## First checks'), text.indexOf('## What it protects'));
    };
    expect(firstChecks('daily-job')).toContain('On pve:\n\n   ```sh\n   pvenode task list --typefilter vzdump --limit 20\n   pvenode task log <UPID>');
    // a Proxmox storage: pvesm shows whether it is active and how full, for any type
    expect(firstChecks('daily-job')).toContain('2. Is the target (nas-backups on pve) reachable and not full? `pvesm status --storage nas-backups` on pve.');
    // a repository with no mount on any host: df would only show a local disk
    expect(firstChecks('offsite')).toContain('2. Is the target (borg repository ssh://u1@box:23/./repo) reachable and not full? It has no local mount: check its free space where it lives');
    expect(firstChecks('offsite')).not.toContain('df -h');
    expect(firstChecks('collect')).toContain('   systemctl list-timers bc-collect.timer\n   journalctl -u bc-collect.service --since -2d\n');
    expect(firstChecks('collect')).not.toContain('target');
    expect(firstChecks('collect')).not.toContain('pvenode');
    expect(review.get('runbooks/collect.md')!.content).toContain('## What it protects\n\nNothing directly: this job makes no copy');
  });

  it('routes only the alerts a site names to the critical receiver when it names them, and rejects a name no alert has', () => {
    const { site } = siteWithJobs({ receiver: 'slack-backups', criticalReceiver: 'slack-critical', criticalAlerts: ['WeeklyBackupFailing', 'DailyJobStale'] });
    const route = parse(reviewOf(site).get('prometheus/alertmanager-route.yml')!.content);
    expect(route.routes[0]).toEqual({ receiver: 'slack-critical', matchers: ['component="backup"', 'site="test"', 'alertname=~"DailyJobStale|WeeklyBackupFailing"'], continue: false });
    const bad = siteWithJobs({ criticalAlerts: ['VaultwardenIntegrityFail'] });
    expect(() => synthJson(bad.site)).toThrow(/\[test\/Alerts\] criticalAlerts: VaultwardenIntegrityFail is not an alert of site test/);
  });

  it("puts a node-exporter selector's equality matchers on the disk alert's test series, so promtool sees the rule fire", () => {
    const { site, rules } = siteWithJobs({ nodeExporterSelectors: { pve: 'job="proxmox-host", instance=~".+"' } });
    site.model.addTarget({ id: 'local', name: 'backup disk', medium: 'local-disk', location: 'on-site', host: 'pve', path: '/mnt/backup', mountPoint: '/mnt/backup', constructPath: 'test/Disk' });
    const disk = deriveAlerts(modelOf(site), rules.settings).find((r) => r.name === 'BackupTargetDiskFull' && r.labels.backup_target === 'local')!;
    expect(disk.expr).toContain('node_filesystem_avail_bytes{mountpoint="/mnt/backup",job="proxmox-host", instance=~".+"}');
    for (const c of disk.cases) for (const s of c.series) expect(s.series).toMatch(/,job="proxmox-host"\}$/);
    // an instance the selector pins is the one the series carry, and the one that fires
    const pinned = siteWithJobs({ nodeExporterSelectors: { pve: 'instance="pve.lan:9100"' } });
    pinned.site.model.addTarget({ id: 'local', name: 'backup disk', medium: 'local-disk', location: 'on-site', host: 'pve', path: '/mnt/backup', mountPoint: '/mnt/backup', constructPath: 'test/Disk' });
    const pinnedDisk = deriveAlerts(modelOf(pinned.site), pinned.rules.settings).find((r) => r.name === 'BackupTargetDiskFull' && r.labels.backup_target === 'local')!;
    for (const c of pinnedDisk.cases) for (const s of c.series) expect(s.series).toContain('instance="pve.lan:9100"');
    expect(pinnedDisk.cases[0].firing).toEqual([{ instance: 'pve.lan:9100', mountpoint: '/mnt/backup' }]);
  });

  it('routes backup alerts to one receiver and critical ones to another', () => {
    const { site } = siteWithJobs({ receiver: 'slack-backups', criticalReceiver: 'slack-critical' });
    const route = parse(reviewOf(site).get('prometheus/alertmanager-route.yml')!.content);
    expect(route.routes).toEqual([
      { receiver: 'slack-critical', matchers: ['component="backup"', 'site="test"', 'severity="critical"'], continue: false },
      { receiver: 'slack-backups', matchers: ['component="backup"', 'site="test"'], continue: false },
    ]);
  });

  it('delivers a rules ConfigMap for the Helm chart by default, through a kubeconfig path variable', () => {
    const { site } = siteWithJobs();
    const json = synthJson(site);
    const cm = Object.values(resourcesOf(json, 'kubernetes_config_map_v1'))[0] as any;
    expect(cm.metadata).toMatchObject({ name: 'backup-alert-rules-test', namespace: 'monitoring' });
    expect(Object.keys(cm.data)).toEqual(['backup-test.rules.yml']);
    expect(cm.data['backup-test.rules.yml']).toBe(reviewOf(site).get('prometheus/backup-test.rules.yml')!.content);
    expect(json.provider.kubernetes[0].config_path).toBe('${var.kubeconfig_path}');
    // the chart reads no ConfigMap of ours by itself: REVIEW.md says which values load it
    const review = reviewOf(site).get('REVIEW.md')!.content;
    expect(review).toMatch(/`alerts-mount`.*ConfigMap monitoring\/backup-alert-rules-test \(backup-test\.rules\.yml\).*server\.extraConfigmapMounts: \[\{ name: backup-alert-rules-test, mountPath: \/etc\/backup-rules, configMap: backup-alert-rules-test, readOnly: true \}\].*rule_files: the chart's own entries plus \/etc\/backup-rules\/backup-test\.rules\.yml/);
  });

  it('fails when a Kubernetes delivery names a namespace, object or label Kubernetes would refuse', () => {
    expect(() => siteWithJobs({ delivery: AlertDelivery.prometheusRule({ namespace: 'Monitoring' }) })).toThrow(/\[test\/Alerts\] delivery\.namespace: expected a namespace name \(lower-case DNS label\) such as monitoring, got "Monitoring"/);
    expect(() => siteWithJobs({ delivery: AlertDelivery.helmConfigMap({ name: 'rules_backup' }) })).toThrow(/\[test\/Alerts\] delivery\.name: .*expected a lower-case object name/);
    expect(() => siteWithJobs({ delivery: AlertDelivery.prometheusRule({ labels: { release: 'kube prometheus' } }) })).toThrow(/\[test\/Alerts\] delivery\.labels\.release: expected a label value/);
    expect(() => siteWithJobs({ delivery: AlertDelivery.prometheusRule({ labels: { release: 'kube-prometheus-stack' } }) })).not.toThrow();
  });

  it('delivers a PrometheusRule or a host file when asked', () => {
    const a = siteWithJobs({ delivery: AlertDelivery.prometheusRule({ namespace: 'obs' }) });
    const manifest = Object.values(resourcesOf(synthJson(a.site), 'kubernetes_manifest'))[0] as any;
    expect(manifest.manifest).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { namespace: 'obs' } });
    expect(manifest.manifest.spec.groups[0].name).toBe('backup-test');

    const app = freshApp();
    const site = new BackupSite(app, 'lab');
    const host = new PveHost(site, 'Mon', { name: 'mon', address: '10.0.0.9' });
    new BackupAlertRules(site, 'Alerts', { delivery: AlertDelivery.hostFile(host) });
    synthJson(site);
    expect(reviewOf(site).get('hosts/mon/etc/prometheus/rules/backup-lab.rules.yml')!.content).toMatch(/^# generated by backup-constructs/);
  });

  it('reports a Pushgateway without persistence, and undeployed rules, as findings', () => {
    const { site } = testSite({ metrics: MetricsSink.pushgateway('http://10.0.0.7:9091') });
    new BackupAlertRules(site, 'Alerts', { delivery: AlertDelivery.reviewOnly('no Prometheus yet') });
    expect(modelOf(site).findings.map((f) => f.rule).sort()).toEqual(['alerts-delivered', 'pushgateway-persistence']);
    const ok = testSite({ metrics: MetricsSink.pushgateway('http://10.0.0.7:9091', { persistence: true }) });
    new BackupAlertRules(ok.site, 'Alerts');
    expect(modelOf(ok.site).findings).toEqual([]);
  });

  it('fails when a site gets two BackupAlertRules', () => {
    const { site } = siteWithJobs();
    expect(() => new BackupAlertRules(site, 'Again')).toThrow(/\[test\/Again\] id: site test already has BackupAlertRules at test\/Alerts/);
  });

  it('fails when a node-exporter selector is not PromQL matchers (it goes into the expression as written) or names no host', () => {
    const { site } = testSite();
    expect(() => new BackupAlertRules(site, 'A', { nodeExporterSelectors: { pve: 'job="x"}) or vector(1) or (x{a="b"' } })).toThrow(
      /\[test\/A\] nodeExporterSelectors\.pve: expected PromQL label matchers such as job="proxmox-host" .*got .* \(hint: key each host's name/,
    );
    expect(() => new BackupAlertRules(site, 'B', { nodeExporterSelectors: { pve: 'job=proxmox-host' } })).toThrow(/\[test\/B\] nodeExporterSelectors\.pve: expected PromQL label matchers/);
    const typo = siteWithJobs({ nodeExporterSelectors: { pvee: 'job="proxmox-host"' } });
    expect(() => synthJson(typo.site)).toThrow(/\[test\/Alerts\] nodeExporterSelectors\.pvee: expected the name of a host of site test, got "pvee", so its selector would never be used \(hint: use one of pve\)/);
  });

  it('fails when a duration or ratio is malformed', () => {
    const { site } = testSite();
    expect(() => new BackupAlertRules(site, 'A', { staleFor: '30 minutes', diskFullRatio: 90 })).toThrow(/staleFor: expected a Prometheus duration such as 30m, got "30 minutes"[\s\S]*diskFullRatio: .*got 90/);
  });
});

describeWithTool('promtool', 'prometheus', 'generated promtool tests', () => {
  it('pass, and fail when a rule is wrong (so they test something)', () => {
    const { site } = siteWithJobs();
    const dir = tempDir();
    writeTree(dir, reviewOf(site).values());
    const prom = path.join(dir, 'prometheus');
    run('promtool', ['check', 'rules', 'backup-test.rules.yml'], { cwd: prom });
    run('promtool', ['test', 'rules', 'backup-test.test.yml'], { cwd: prom });
    // break one threshold: the generated cases must catch it
    const rules = fs.readFileSync(path.join(prom, 'backup-test.rules.yml'), 'utf8').replace('> 93600', '> 9360000');
    fs.writeFileSync(path.join(prom, 'backup-test.rules.yml'), rules);
    const r = spawnSync('promtool', ['test', 'rules', 'backup-test.test.yml'], { cwd: prom, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/DailyJobStale/);
  });
});

