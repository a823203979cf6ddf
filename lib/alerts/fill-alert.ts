import type { AlertSpecRecord } from '../model/types';
import { jobSelector } from '../metrics';

/** A fill alert on the free and size series a job pushes for storage node-exporter cannot see. */
export interface PushedFillAlert {
  readonly name: string;
  /** The job that pushes the series, and the labels it pushes them with. */
  readonly job: string;
  readonly site: string;
  readonly host: string;
  readonly free: string;
  readonly size: string;
  /** Fires above this share used, held for an hour. */
  readonly ratio: number;
  readonly summary: string;
  readonly description: string;
  readonly runbook: string;
  readonly constructPath: string;
}

/** The alert spec (with its promtool cases: 95% used fires, 50% stays silent). */
export function pushedFillAlert(a: PushedFillAlert): AlertSpecRecord {
  const sel = jobSelector({ job: a.job, site: a.site, host: a.host });
  const labels = { backup_job: a.job, host: a.host, site: a.site };
  const series = (name: string, v: string) => ({ series: `${name}${sel}`, values: v });
  return {
    name: a.name,
    expr: `1 - max by (backup_job, site, host) (${a.free}${sel}) / max by (backup_job, site, host) (${a.size}${sel}) > ${a.ratio}`,
    for: '1h',
    severity: 'warning',
    summary: a.summary,
    description: a.description,
    watches: [a.free, a.size],
    labels,
    runbook: a.runbook,
    test: { firing: [series(a.free, '5'), series(a.size, '100')], silent: [series(a.free, '50'), series(a.size, '100')], firingLabels: labels },
    constructPath: a.constructPath,
  };
}
