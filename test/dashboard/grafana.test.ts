import { BackupAlertRules, BackupDashboard, Host, PbsDatastoreJobs, Schedule, ScheduledHostJob, VzdumpJob } from '../../constructs';
import { EXPORTER_METRICS } from '../../lib/alerts/derive-alerts';
import { dashboardQueries } from '../../lib/dashboard/grafana';
import { nfsStorage, testSite, vm } from '../helpers/fixtures';
import { modelOf, resourcesOf, reviewOf, synthJson } from '../helpers/synth';

function dashboardSite(delivery?: 'configmap' | 'review-only') {
  const { site, host } = testSite();
  new VzdumpJob(site, 'Nightly', { host, jobId: 'nightly-vm100', schedule: Schedule.daily('02:00'), storage: nfsStorage(site, host), guests: [vm(site, host, 100)] });
  new ScheduledHostJob(site, 'Drill', { host, jobId: 'restore-drill-vm100', schedule: Schedule.monthly(1, '06:00'), description: 'drill', body: 'true', kind: 'restore-drill' });
  new BackupAlertRules(site, 'Alerts');
  new BackupDashboard(site, 'Dashboard', { delivery });
  return site;
}

/** Metric names a PromQL expression reads. */
function metricsOf(expr: string): string[] {
  return [...expr.matchAll(/([a-z_:][a-z0-9_:]*)\{/g)].map((m) => m[1]);
}

describe('Grafana dashboard', () => {
  it('has a row per host, per job the age of its last success, its status and its run time, target fill and drills', () => {
    const site = dashboardSite('review-only');
    const dash = JSON.parse(reviewOf(site).get('grafana/test.json')!.content);
    const titles = dash.panels.map((p: any) => p.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'host pve',
        'nightly-vm100: since last success',
        'nightly-vm100: last status',
        'nightly-vm100: bytes',
        'storage fill',
        'nas-backups on pve (/mnt/pve/nas-backups)',
        'restore drills: when each guest was last proven restorable',
        'restore-drill-vm100: last proven',
      ]),
    );
    const age = dash.panels.find((p: any) => p.title === 'nightly-vm100: since last success');
    // the red threshold is the job's stale threshold: the panel turns red when the alert would fire
    expect(age.fieldConfig.defaults.thresholds.steps.at(-1)).toEqual({ color: 'red', value: 26 * 3600 });
  });

  it('every panel query names a metric that some job (or node-exporter) provides', () => {
    const site = dashboardSite('review-only');
    const dash = JSON.parse(reviewOf(site).get('grafana/test.json')!.content);
    const pushed = new Set<string>([...modelOf(site).signals.flatMap((s) => s.metrics), ...EXPORTER_METRICS]);
    const queries = dashboardQueries(dash);
    expect(queries.length).toBeGreaterThan(5);
    for (const q of queries) for (const m of metricsOf(q)) expect({ q, m, pushed: pushed.has(m) }).toEqual({ q, m, pushed: true });
  });

  it('shows the fill of a PBS datastore its report job pushes, beside the mounted targets', () => {
    const { site } = testSite();
    const pbs = new Host(site, 'Pbs', { name: 'pbs', address: '10.0.0.7' });
    new PbsDatastoreJobs(site, 'Jobs', { host: pbs, datastore: 'main', gcSchedule: Schedule.weekly('sun', '07:30') });
    new BackupDashboard(site, 'Dashboard', { delivery: 'review-only' });
    const dash = JSON.parse(reviewOf(site).get('grafana/test.json')!.content);
    const gauge = dash.panels.find((p: any) => p.title === 'PBS datastore fill (pbs-report-main)');
    expect(gauge.targets[0].expr).toBe('1 - max(backup_pbs_datastore_free_bytes{backup_job="pbs-report-main"}) / max(backup_pbs_datastore_size_bytes{backup_job="pbs-report-main"})');
  });

  it('is one per site: a second fails up front naming the first (before: a ConfigMap name clash at synth)', () => {
    const site = dashboardSite();
    expect(() => new BackupDashboard(site, 'Dashboard2')).toThrow(
      /^\[test\/Dashboard2\] id: site test already has BackupDashboard at test\/Dashboard \(hint: one BackupDashboard per site shows every host and job; remove this one \(set delivery and namespace on test\/Dashboard\)\)$/,
    );
    synthJson(site);
  });

  it('is delivered as a ConfigMap for the Grafana sidecar', () => {
    const site = dashboardSite();
    const cm = Object.values(resourcesOf(synthJson(site), 'kubernetes_config_map_v1')).find((r: any) => r.metadata.name === 'backup-dashboard-test') as any;
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    expect(JSON.parse(cm.data['backups-test.json']).uid).toBe('backups-test');
  });
});
