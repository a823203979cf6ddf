import { Duration } from '../duration';
import { BackupMetric } from '../metrics';
import type { AlertingSettings, SiteModel } from '../model/site-model';
import type { AlertSpecRecord, JobRecord, SignalRecord } from '../model/types';
import { AlertRule, selector } from './alert-rule';

/** Metrics that exporters (not jobs) provide and alerts may read. */
export const EXPORTER_METRICS = ['node_filesystem_avail_bytes', 'node_filesystem_size_bytes'] as const;

/**
 * The step of a site's promtool cases: whole hours, and coarse enough that the longest
 * threshold (a quarterly drill's) takes about 150 evaluations; promtool evaluates every rule
 * at every step of every case, so a fixed fine step makes long thresholds slow to test.
 */
export function testStepMinutes(model: SiteModel, a: AlertingSettings): number {
  const longest = Math.max(0, ...model.jobs.filter((j) => model.signalsOf(j.id).length).map((j) => j.staleAfterHours * 60 + minutes(a.staleFor)));
  return Math.max(60, Math.ceil(longest / 150 / 60) * 60);
}

/**
 * Every alert of a site, derived from its model: for each job that pushes metrics, Stale
 * (no success within the threshold the schedule gives), Failing (status non-zero) and
 * NeverRan (no series at all, e.g. after a Pushgateway restart without persistence); the
 * same per guest for vzdump jobs; disk usage of every backup target with a mount point; and
 * the alerts constructs ask for.
 */
export function deriveAlerts(model: SiteModel, a: AlertingSettings): AlertRule[] {
  const rules: AlertRule[] = [];
  const step = testStepMinutes(model, a);
  for (const job of model.jobs) {
    const signals = model.signalsOf(job.id);
    // A disabled job does not run: its Stale and NeverRan would fire for as long as it stays
    // off. The status tool skips it too (inventory enabled 0); REVIEW.md says what it leaves
    // unwatched (the monitored rule) and 3-2-1 no longer counts its copies.
    if (signals.length === 0 || !job.enabled) continue;
    rules.push(...jobAlerts(model, a, job, signals, step));
  }
  rules.push(...diskAlerts(model, a, step));
  rules.push(...model.alertSpecs.map((s) => specAlert(s, step)));
  return rules;
}

function severityOf(job: JobRecord): 'critical' | 'warning' {
  return job.classification === 'critical' ? 'critical' : 'warning';
}

function minutes(d: string): number {
  return Duration.parse(d).toSeconds() / 60;
}

/** Rounds up to the next test step, plus one step of slack. */
function evalAfter(mins: number, step: number): number {
  return (Math.ceil(mins / step) + 1) * step;
}

/** A constant series long enough for the evaluation time. */
function constant(value: number, evalMinutes: number, step: number): string {
  return `${value}x${evalMinutes / step + 1}`;
}

function jobAlerts(model: SiteModel, a: AlertingSettings, job: JobRecord, signals: SignalRecord[], step: number): AlertRule[] {
  const site = model.site;
  const host = job.host ?? '';
  const severity = severityOf(job);
  const thresholdSeconds = Math.round(job.staleAfterHours * 3600);
  const threshold = Duration.seconds(thresholdSeconds);
  const thresholdText = `${threshold.toHumanString()}${job.staleAfterExplicit ? ` (set by stack; derived ${Duration.seconds(Math.round((job.derivedStaleAfterHours ?? job.staleAfterHours) * 3600)).toHumanString()})` : ' (derived)'}`;
  const base = { backup_job: job.id, site };
  // The hosts the job's scripts push from (its grouping key): a job moved to another host
  // leaves its old group on the Pushgateway or in the old host's textfile, which nothing
  // removes, and without the host a frozen old series would read Stale or Failing forever
  // and mask NeverRan on the new host.
  const hosts = [...new Set(signals.map((s) => s.host))].sort();
  const jobSel = `${selector(base).slice(0, -1)},${hostMatcher(hosts)},guest=""}`;
  const jobLabels = { ...base, host: hosts[0] };
  // absent() returns the selector's equality matchers as labels
  const absentLabels = hosts.length === 1 ? jobLabels : base;
  const own = { severity, component: 'backup' };
  const rules: AlertRule[] = [];
  const staleEval = evalAfter(thresholdSeconds / 60 + minutes(a.staleFor), step);
  const failEval = evalAfter(minutes(a.failingFor), step);
  const success = BackupMetric.lastSuccess;
  const status = BackupMetric.lastStatus;
  const lastRun = BackupMetric.lastRun;
  // the same job's frozen group from a host it no longer runs on
  const movedAway = { ...base, host: `${hosts.join('-')}-before-a-move` };

  rules.push({
    name: `${job.alertName}Stale`,
    expr: `time() - max by (backup_job, site, host) (${success}${jobSel}) > ${thresholdSeconds}`,
    for: a.staleFor,
    labels: own,
    summary: `${job.id} has not succeeded for over ${threshold.toHumanString()}`,
    description: `Backup job ${job.id} on ${host} (${job.scheduleHuman}) has no successful run within ${threshold.toHumanString()}. Copies of what it protects are getting old.`,
    runbook: job.id,
    watches: [success],
    job: job.id,
    threshold: thresholdText,
    cases: [
      { series: [{ series: `${success}${selector(jobLabels)}`, values: constant(0, staleEval, step) }], evalMinutes: staleEval, stepMinutes: step, firing: [jobLabels] },
      { series: [{ series: `${success}${selector(jobLabels)}`, values: `0+${step * 60}x${staleEval / step + 1}` }], evalMinutes: staleEval, stepMinutes: step, firing: [] },
      {
        series: [
          { series: `${success}${selector(jobLabels)}`, values: `0+${step * 60}x${staleEval / step + 1}` },
          { series: `${success}${selector(movedAway)}`, values: constant(0, staleEval, step) },
        ],
        evalMinutes: staleEval,
        stepMinutes: step,
        firing: [],
      },
    ],
  });
  rules.push({
    name: `${job.alertName}Failing`,
    expr: `max by (backup_job, site, host) (${status}${jobSel}) > 0`,
    for: a.failingFor,
    labels: own,
    summary: `${job.id} failed its last run`,
    description: `Backup job ${job.id} on ${host} reported a non-zero status on its last run.`,
    runbook: job.id,
    watches: [status],
    job: job.id,
    threshold: 'status != 0',
    cases: [
      { series: [{ series: `${status}${selector(jobLabels)}`, values: constant(1, failEval, step) }], evalMinutes: failEval, stepMinutes: step, firing: [jobLabels] },
      { series: [{ series: `${status}${selector(jobLabels)}`, values: constant(0, failEval, step) }], evalMinutes: failEval, stepMinutes: step, firing: [] },
      { series: [{ series: `${status}${selector(jobLabels)}`, values: constant(0, failEval, step) }, { series: `${status}${selector(movedAway)}`, values: constant(1, failEval, step) }], evalMinutes: failEval, stepMinutes: step, firing: [] },
    ],
  });
  rules.push({
    name: `${job.alertName}NeverRan`,
    expr: `absent(${lastRun}${jobSel})`,
    for: threshold.toPrometheus(),
    labels: own,
    summary: `${job.id} has reported no run for ${threshold.toHumanString()}`,
    description: `No ${lastRun} series exists for ${job.id}: the job never ran, its metrics are not delivered, or the Pushgateway lost them.`,
    runbook: job.id,
    watches: [lastRun],
    job: job.id,
    threshold: `absent for ${threshold.toHumanString()}`,
    cases: [
      { series: [], evalMinutes: staleEval, stepMinutes: step, firing: [absentLabels] },
      { series: [{ series: `${lastRun}${selector(movedAway)}`, values: constant(1, staleEval, step) }], evalMinutes: staleEval, stepMinutes: step, firing: [absentLabels] },
      { series: [{ series: `${lastRun}${selector(jobLabels)}`, values: constant(1, staleEval, step) }], evalMinutes: staleEval, stepMinutes: step, firing: [] },
    ],
  });

  const guests = signals.map((s) => s.labels.guest).filter((g): g is string => g !== undefined);
  if (guests.length) {
    const g0 = { ...jobLabels, guest: guests[0] };
    // Only the guests the job declares: a guest taken out of the job (or deleted from the node)
    // keeps its last series on the Pushgateway or in its textfile, which nothing removes, and
    // `guest!=""` would then raise GuestStale for it forever. An `all` job's undeclared guests
    // are watched by the job's own alerts (the hook fails the run when any guest fails).
    const guestSel = `${selector(base).slice(0, -1)},${hostMatcher(hosts)},guest=~"${[...new Set(guests)].sort((x, y) => Number(x) - Number(y)).join('|')}"}`;
    rules.push({
      name: `${job.alertName}GuestStale`,
      expr: `time() - max by (backup_job, site, host, guest) (${success}${guestSel}) > ${thresholdSeconds}`,
      for: a.staleFor,
      labels: own,
      summary: `a guest of ${job.id} has no recent backup`,
      description: `One guest of backup job ${job.id} on ${host} has no successful backup within ${threshold.toHumanString()}; see the guest label.`,
      runbook: job.id,
      watches: [success],
      job: job.id,
      threshold: thresholdText,
      cases: [
        { series: [{ series: `${success}${selector(g0)}`, values: constant(0, staleEval, step) }], evalMinutes: staleEval, stepMinutes: step, firing: [g0] },
        { series: [{ series: `${success}${selector(g0)}`, values: `0+${step * 60}x${staleEval / step + 1}` }], evalMinutes: staleEval, stepMinutes: step, firing: [] },
      ],
    });
    rules.push({
      name: `${job.alertName}GuestFailing`,
      expr: `max by (backup_job, site, host, guest) (${status}${guestSel}) > 0`,
      for: a.failingFor,
      labels: own,
      summary: `a guest of ${job.id} failed its last backup`,
      description: `The last backup of one guest of ${job.id} on ${host} failed; see the guest label and the vzdump task log.`,
      runbook: job.id,
      watches: [status],
      job: job.id,
      threshold: 'status != 0',
      cases: [
        { series: [{ series: `${status}${selector(g0)}`, values: constant(1, failEval, step) }], evalMinutes: failEval, stepMinutes: step, firing: [g0] },
        { series: [{ series: `${status}${selector(g0)}`, values: constant(0, failEval, step) }], evalMinutes: failEval, stepMinutes: step, firing: [] },
      ],
    });
  }
  return rules;
}

/** `host="a"` for one host, `host=~"a|b"` for several (names are matched literally). */
function hostMatcher(hosts: readonly string[]): string {
  return hosts.length === 1 ? `host=${JSON.stringify(hosts[0])}` : `host=~${JSON.stringify(hosts.map(escapeRegex).join('|'))}`;
}

/** The `label="value"` matchers of a PromQL selector body (not `=~`, `!=` or `!~`). */
function equalityMatchers(selector: string): [string, string][] {
  return [...selector.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], JSON.parse(`"${m[2]}"`) as string]);
}

function diskAlerts(model: SiteModel, a: AlertingSettings, step: number): AlertRule[] {
  const rules: AlertRule[] = [];
  for (const t of model.targets) {
    if (!t.mountPoint || !t.host) continue;
    const host = model.host(t.host);
    if (!host) continue;
    const sel = a.nodeExporterSelectors[host.name] ?? `instance=~${JSON.stringify(`(${escapeRegex(host.name)}|${escapeRegex(host.address)})(:[0-9]+)?`)}`;
    const m = `mountpoint=${JSON.stringify(t.mountPoint)},${sel}`;
    const pct = Math.round(a.diskFullRatio * 100);
    // the test series carry the selector's equality matchers (job="proxmox-host"), or the rule would never see them
    const matchers = equalityMatchers(a.nodeExporterSelectors[host.name] ?? '');
    const instance = matchers.find(([k]) => k === 'instance')?.[1] ?? `${host.address}:9100`;
    const extra = matchers.filter(([k]) => k !== 'instance' && k !== 'mountpoint');
    const seriesLabels = `{mountpoint=${JSON.stringify(t.mountPoint)},instance=${JSON.stringify(instance)}${extra.map(([k, v]) => `,${k}=${JSON.stringify(v)}`).join('')}}`;
    const evalM = evalAfter(30, step);
    rules.push({
      name: a.diskFullAlertName,
      expr: `1 - max by (instance, mountpoint) (node_filesystem_avail_bytes{${m}}) / max by (instance, mountpoint) (node_filesystem_size_bytes{${m}}) > ${a.diskFullRatio}`,
      for: '30m',
      labels: { severity: 'warning', component: 'backup', site: model.site, backup_target: t.id },
      summary: `backup target ${t.name} is over ${pct}% full`,
      description: `The filesystem at ${t.mountPoint} on ${host.name} that holds ${t.name} is over ${pct}% full; backups will start failing when it fills.`,
      runbook: a.diskFullAlertName,
      runbookBody: [
        '1. Find what uses the space: `du -xsh <the alert\'s mountpoint>/* | sort -h | tail` on the host.',
        "2. Check that retention runs: archives beyond each job's keep-* count mean pruning fails.",
        '3. Free space or grow the target before the next backup window; never delete the newest archive of a guest.',
      ].join('\n'),
      watches: ['node_filesystem_avail_bytes', 'node_filesystem_size_bytes'],
      threshold: `> ${pct}% used`,
      cases: [
        {
          series: [
            { series: `node_filesystem_avail_bytes${seriesLabels}`, values: constant(5, evalM, step) },
            { series: `node_filesystem_size_bytes${seriesLabels}`, values: constant(100, evalM, step) },
          ],
          evalMinutes: evalM,
          stepMinutes: step,
          firing: [{ instance, mountpoint: t.mountPoint }],
        },
        {
          series: [
            { series: `node_filesystem_avail_bytes${seriesLabels}`, values: constant(50, evalM, step) },
            { series: `node_filesystem_size_bytes${seriesLabels}`, values: constant(100, evalM, step) },
          ],
          evalMinutes: evalM,
          stepMinutes: step,
          firing: [],
        },
      ],
    });
  }
  return rules;
}

function specAlert(s: AlertSpecRecord, step: number): AlertRule {
  const evalM = evalAfter(minutes(s.for), step);
  return {
    name: s.name,
    expr: s.expr,
    for: s.for,
    labels: { severity: s.severity, component: 'backup', ...s.labels },
    summary: s.summary,
    description: s.description,
    runbook: s.name,
    runbookBody: s.runbook,
    watches: s.watches,
    job: s.labels.backup_job,
    threshold: s.expr.replace(/^.*?([<>!=]=?\s*\S+)$/, '$1'),
    cases: [
      { series: s.test.firing.map((x) => lasting(x, evalM, step)), evalMinutes: evalM, stepMinutes: step, firing: [s.test.firingLabels] },
      { series: s.test.silent.map((x) => lasting(x, evalM, step)), evalMinutes: evalM, stepMinutes: step, firing: [] },
    ],
  };
}

/** A spec's series given as a plain value lasts until the evaluation time. */
function lasting(x: { series: string; values: string }, evalMinutes: number, step: number): { series: string; values: string } {
  return /^-?[\d.]+(e[-+]?\d+)?$/.test(x.values) ? { series: x.series, values: constant(Number(x.values), evalMinutes, step) } : x;
}

function escapeRegex(s: string): string {
  // one backslash here; JSON.stringify doubles it for the PromQL string literal
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
