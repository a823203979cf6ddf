import type { MetricsSinkConfig } from './model/site-model';
import type { SignalRecord } from './model/types';
import { shellQuote } from './render/shell';

/**
 * The one metric scheme every job uses. Names never carry the job's name: a job is told
 * apart by labels, so alerts, dashboards and status tools treat every job alike.
 *
 * - `backup_job`: the job id (unique in the site), `site`: the site id, `host`: the host the
 *   job runs on, and `guest` (vmid) for per-guest series of a vzdump job.
 * - On a Pushgateway the grouping key is `job/<job id>/backup_job/<job id>/site/<site>/host/<host>`
 *   (plus `/guest/<vmid>`), so two jobs, hosts or guests never overwrite each other's series.
 * - In the node-exporter textfile collector the same series carry the same labels, one
 *   file per grouping key.
 */
export const BackupMetric = {
  /** Unix time the job last finished, successfully or not. */
  lastRun: 'backup_last_run_timestamp_seconds',
  /** Unix time the job last succeeded; pushed only on success. */
  lastSuccess: 'backup_last_success_timestamp_seconds',
  /** 0 on success, non-zero on failure. */
  lastStatus: 'backup_last_status',
  /** Wall-clock seconds the last run took. */
  lastDuration: 'backup_last_duration_seconds',
  /** Bytes the last run wrote (archive size, bytes transferred). */
  lastSize: 'backup_last_size_bytes',
} as const;

export type BackupMetricName = (typeof BackupMetric)[keyof typeof BackupMetric];

/** HELP text for each metric of the scheme. */
export const BACKUP_METRIC_HELP: Readonly<Record<BackupMetricName, string>> = {
  [BackupMetric.lastRun]: 'Unix time the backup job last finished, successfully or not.',
  [BackupMetric.lastSuccess]: 'Unix time the backup job last succeeded.',
  [BackupMetric.lastStatus]: 'Outcome of the last run: 0 success, non-zero failure.',
  [BackupMetric.lastDuration]: 'Seconds the last run took.',
  [BackupMetric.lastSize]: 'Bytes written by the last run.',
};

/** Label values that identify one series group. */
export interface SeriesIdentity {
  readonly job: string;
  readonly site: string;
  readonly host: string;
  /** @default - a job-level series */
  readonly guest?: string;
}

/** The labels carried by every series of the group, in a fixed order. */
export function seriesLabels(id: SeriesIdentity): [string, string][] {
  const labels: [string, string][] = [['backup_job', id.job], ['site', id.site], ['host', id.host]];
  if (id.guest !== undefined) labels.push(['guest', id.guest]);
  return labels;
}

/** Pushgateway path for the group: `/metrics/job/<job>/backup_job/<job>/site/<site>/host/<host>[/guest/<vmid>]`. */
export function pushgatewayPath(id: SeriesIdentity): string {
  const parts = ['metrics', 'job', id.job, ...seriesLabels(id).flat()];
  return '/' + parts.map((p) => encodeURIComponent(p)).join('/');
}

/** Textfile collector file name for the group (`backup_<job>[_guest_<vmid>].prom`). */
export function textfileName(id: SeriesIdentity): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `backup_${safe(id.job)}${id.guest !== undefined ? `_guest_${safe(id.guest)}` : ''}.prom`;
}

/**
 * A Prometheus label selector for one series group, host included, e.g.
 * `{backup_job="x",site="home",host="pve"}`: a job moved to another host leaves its old group
 * behind, and a selector without the host would read that frozen series too.
 */
export function jobSelector(id: SeriesIdentity): string {
  return `{${seriesLabels(id).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
}

/** Where a series group lands for a sink: the Pushgateway URL with its grouping key, or the textfile. */
export function signalDestination(sink: MetricsSinkConfig, id: SeriesIdentity): string {
  return sink.kind === 'pushgateway' ? `${sink.url}${pushgatewayPath(id)}` : `${sink.directory}/${textfileName(id)}`;
}

/**
 * The removal of one series group, as an install's removal entry (`metrics:<job>[:guest:<vmid>]`):
 * its textfile goes, or its group is deleted from the Pushgateway. Neither expires on its own,
 * so a job taken out of the program (or a guest out of its job) would otherwise leave frozen
 * series on dashboards and in any query that does not name its jobs. A Pushgateway that cannot
 * be reached only warns: a monitoring outage must not block a removal.
 */
export function signalRemoval(sink: MetricsSinkConfig, id: SeriesIdentity): { entry: string; lines: string[] } {
  const entry = `metrics:${id.job}${id.guest !== undefined ? `:guest:${id.guest}` : ''}`;
  // the file or the Pushgateway URL the job's scripts write to
  const url = signalDestination(sink, id);
  if (sink.kind === 'textfile') return { entry, lines: [`rm -f "$R"${shellQuote(url)}`] };
  return {
    entry,
    lines: [`curl --silent --show-error --fail --max-time 10 -X DELETE ${shellQuote(url)} >/dev/null || echo ${shellQuote(`warning: could not delete the series of ${id.job}${id.guest !== undefined ? ` guest ${id.guest}` : ''} from the Pushgateway: curl -X DELETE ${url}`)} >&2`],
  };
}

/**
 * The site model's record of one series group: its labels and its destination both come from
 * the one identity, so what the model (and the alerts built from it) expects is what the
 * job's script pushes.
 */
export function signalRecord(sink: MetricsSinkConfig, id: SeriesIdentity, metrics: readonly string[]): SignalRecord {
  return {
    job: id.job,
    host: id.host,
    sink: sink.kind,
    destination: signalDestination(sink, id),
    labels: Object.fromEntries(seriesLabels(id)),
    metrics,
  };
}
