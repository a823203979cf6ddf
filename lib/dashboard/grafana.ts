import { BackupMetric } from '../metrics';
import type { SiteModel } from '../model/site-model';
import type { JobRecord } from '../model/types';
import { PBS_DATASTORE_METRICS } from '../render/pbs-report';

interface Panel {
  readonly [key: string]: unknown;
}

const DS = { type: 'prometheus', uid: '${datasource}' };

function sel(job: JobRecord, site: string): string {
  return `{backup_job="${job.id}",site="${site}",guest=""}`;
}

/** Free and size series that jobs push for storage node-exporter cannot see, shown as fill gauges. */
const PUSHED_FILL = [
  { what: 'NAS', free: 'backup_nas_free_bytes', size: 'backup_nas_size_bytes' },
  { what: 'PBS datastore', free: PBS_DATASTORE_METRICS.free, size: PBS_DATASTORE_METRICS.size },
] as const;

function stat(id: number, title: string, expr: string, x: number, y: number, extra: Record<string, unknown>): Panel {
  return {
    id,
    type: 'stat',
    title,
    datasource: DS,
    gridPos: { h: 4, w: 6, x, y },
    targets: [{ refId: 'A', expr, datasource: DS }],
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'none', textMode: 'value' },
    ...extra,
  };
}

function thresholds(steps: [string, number | null][]): Record<string, unknown> {
  return { mode: 'absolute', steps: steps.map(([color, value]) => ({ color, value })) };
}

/**
 * A Grafana dashboard derived from the site model: one row per host, per job the age of its
 * last success against its stale threshold, its last status and the bytes it wrote; the fill
 * of every backup target with a mount point; the NAS fill where a collector reports it; and
 * the age of every restore drill.
 */
export function renderDashboard(model: SiteModel): Record<string, unknown> {
  const panels: Panel[] = [];
  let id = 1;
  let y = 0;
  const hosts = [...new Set(model.jobs.filter((j) => j.host && model.signalsOf(j.id).length).map((j) => j.host!))].sort();
  for (const host of hosts) {
    panels.push({ id: id++, type: 'row', title: `host ${host}`, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    for (const job of model.jobs.filter((j) => j.host === host && model.signalsOf(j.id).length)) {
      const stale = Math.round(job.staleAfterHours * 3600);
      const pushes = new Set(model.signalsOf(job.id).flatMap((s) => s.metrics));
      panels.push(
        stat(id++, `${job.id}: since last success`, `time() - max(${BackupMetric.lastSuccess}${sel(job, model.site)})`, 0, y, {
          fieldConfig: { defaults: { unit: 's', thresholds: thresholds([['green', null], ['orange', Math.round(stale * 0.8)], ['red', stale]]) }, overrides: [] },
          description: `${job.scheduleHuman}; stale after ${job.staleAfterHours}h`,
        }),
        stat(id++, `${job.id}: last status`, `max(${BackupMetric.lastStatus}${sel(job, model.site)})`, 6, y, {
          fieldConfig: {
            defaults: {
              thresholds: thresholds([['green', null], ['red', 1]]),
              mappings: [{ type: 'value', options: { '0': { text: 'OK', color: 'green' } } }, { type: 'range', options: { from: 1, to: 1e9, result: { text: 'FAILED', color: 'red' } } }],
            },
            overrides: [],
          },
        }),
      );
      const bytesMetric = pushes.has(BackupMetric.lastSize) ? BackupMetric.lastSize : undefined;
      if (bytesMetric) {
        panels.push(stat(id++, `${job.id}: bytes`, `sum(${bytesMetric}{backup_job="${job.id}",site="${model.site}"})`, 12, y, { fieldConfig: { defaults: { unit: 'bytes', thresholds: thresholds([['blue', null]]) }, overrides: [] } }));
      }
      panels.push(
        stat(id++, `${job.id}: last run took`, `max(${BackupMetric.lastDuration}${sel(job, model.site)})`, 18, y, { fieldConfig: { defaults: { unit: 's', thresholds: thresholds([['blue', null]]) }, overrides: [] } }),
      );
      y += 4;
    }
  }
  const mounted = model.targets.filter((t) => t.mountPoint && t.host);
  const pushed = PUSHED_FILL.flatMap((f) => model.signals.filter((s) => s.metrics.includes(f.free)).map((s) => ({ ...f, job: s.job })));
  if (mounted.length || pushed.length) {
    panels.push({ id: id++, type: 'row', title: 'storage fill', collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    let x = 0;
    for (const t of mounted) {
      panels.push({
        id: id++,
        type: 'gauge',
        title: `${t.name} (${t.mountPoint})`,
        datasource: DS,
        gridPos: { h: 5, w: 6, x, y },
        targets: [{ refId: 'A', expr: `1 - max(node_filesystem_avail_bytes{mountpoint="${t.mountPoint}"}) / max(node_filesystem_size_bytes{mountpoint="${t.mountPoint}"})`, datasource: DS }],
        fieldConfig: { defaults: { unit: 'percentunit', min: 0, max: 1, thresholds: thresholds([['green', null], ['orange', 0.8], ['red', 0.9]]) }, overrides: [] },
      });
      x = (x + 6) % 24;
      if (x === 0) y += 5;
    }
    for (const f of pushed) {
      panels.push({
        id: id++,
        type: 'gauge',
        title: `${f.what} fill (${f.job})`,
        datasource: DS,
        gridPos: { h: 5, w: 6, x, y },
        targets: [{ refId: 'A', expr: `1 - max(${f.free}{backup_job="${f.job}"}) / max(${f.size}{backup_job="${f.job}"})`, datasource: DS }],
        fieldConfig: { defaults: { unit: 'percentunit', min: 0, max: 1, thresholds: thresholds([['green', null], ['orange', 0.8], ['red', 0.9]]) }, overrides: [] },
      });
      x = (x + 6) % 24;
      if (x === 0) y += 5;
    }
    y += 5;
  }
  const drills = model.jobs.filter((j) => j.kind === 'restore-drill' && model.signalsOf(j.id).length);
  if (drills.length) {
    panels.push({ id: id++, type: 'row', title: 'restore drills: when each guest was last proven restorable', collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: y++ }, panels: [] });
    drills.forEach((d, i) => {
      panels.push(stat(id++, `${d.id}: last proven`, `time() - max(${BackupMetric.lastSuccess}${sel(d, model.site)})`, (i % 4) * 6, y + Math.floor(i / 4) * 4, { fieldConfig: { defaults: { unit: 's', thresholds: thresholds([['green', null], ['red', Math.round(d.staleAfterHours * 3600)]]) }, overrides: [] } }));
    });
  }
  return {
    uid: `backups-${model.site}`.slice(0, 40),
    title: `Backups: ${model.site}`,
    tags: ['backup', 'backup-constructs'],
    schemaVersion: 39,
    version: 1,
    editable: false,
    time: { from: 'now-7d', to: 'now' },
    refresh: '5m',
    templating: { list: [{ name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' }] },
    panels,
  };
}

/** Every PromQL expression of a dashboard, for coverage checks. */
export function dashboardQueries(dashboard: Record<string, unknown>): string[] {
  return (dashboard.panels as { targets?: { expr: string }[] }[]).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}
