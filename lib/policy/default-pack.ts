import type { FindingRecord, JobRecord } from '../model/types';
import { Schedule, ScheduleFields } from '../schedule';
import { PolicyPack, PolicyRule, warnOrError } from './policy';

/** 3-2-1: three copies (the live data counts as one), two media, one off-site. */
export const threeTwoOne: PolicyRule = {
  id: '3-2-1',
  description: 'every asset has three copies (the live data counts as one) on two media, one of them off-site',
  check(model, ctx) {
    const out: FindingRecord[] = [];
    for (const a of model.assets) {
      // a disabled job's copies only age: they protect nothing from the next loss
      const all = model.copiesOf(a.id);
      const copies = all.filter((c) => model.job(c.job)?.enabled !== false);
      const idle = [...new Set(all.filter((c) => !copies.includes(c)).map((c) => c.job))];
      const targets = copies.map((c) => model.target(c.target)).filter((t) => t !== undefined);
      // a snapshot lives on the source's disks: it is a copy in time, not on another medium
      const media = new Set(['source-disk', ...targets.map((t) => t!.medium)]);
      const offsite = targets.some((t) => t!.location === 'off-site');
      const missing: string[] = [];
      if (copies.length + 1 < 3) missing.push(`${copies.length + 1} cop${copies.length === 0 ? 'y' : 'ies'} (needs 3)`);
      if (media.size < 2) missing.push('one medium (needs 2)');
      if (!offsite) missing.push('no off-site copy');
      if (missing.length) {
        out.push({
          severity: warnOrError(ctx),
          rule: '3-2-1',
          subject: a.id,
          message: `${a.name} (${a.classification}) falls short of 3-2-1: ${missing.join(', ')}${idle.length ? ` (not counting the copies of disabled job${idle.length > 1 ? 's' : ''} ${idle.join(', ')})` : ''}`,
          fix: 'add a copy on another medium or off-site, or waive the rule for this asset with a reason (e.g. regenerable data)',
        });
      }
    }
    return out;
  },
};

/** Runs by schedule: many jobs share a schedule, and contention compares every pair. */
const WEEK_RUNS = new Map<string, number[]>();

/** Minutes since Sunday 00:00 of each run in the first two weeks of 2026 (two, so a run late on Saturday still meets the next morning's runs). */
function weekRuns(job: JobRecord): number[] {
  const fields = (job.schedule as { fields?: ScheduleFields } | undefined)?.fields;
  if (!fields) return [];
  const key = JSON.stringify(fields);
  const cached = WEEK_RUNS.get(key);
  if (cached) return cached;
  const base = Date.UTC(2026, 0, 4); // a Sunday
  const runs = Schedule.explicit(fields)
    .nextRuns(new Date(base - 1), 14 * 24 * 60, { before: new Date(base + 14 * 86400_000) })
    .map((r) => (r.at.getTime() - base) / 60_000);
  WEEK_RUNS.set(key, runs);
  return runs;
}

/** A job that consumes another's output starts after it finishes on days both run. */
export const ordering: PolicyRule = {
  id: 'ordering',
  description: 'a job that consumes another job\'s output is scheduled after it finishes',
  check(model) {
    const out: FindingRecord[] = [];
    for (const consumer of model.jobs) {
      for (const producerId of consumer.after) {
        const producer = model.job(producerId);
        if (!producer) {
          out.push({ severity: 'error', rule: 'ordering', subject: consumer.constructPath, message: `job ${consumer.id} runs after ${producerId}, which is not in the site`, fix: 'declare the job it depends on or drop the dependency' });
          continue;
        }
        const p = weekRuns(producer);
        const dur = producer.expectedDurationSeconds / 60;
        for (const c of weekRuns(consumer)) {
          const sameDay = p.filter((s) => Math.floor(s / 1440) === Math.floor(c / 1440));
          if (!sameDay.length) continue;
          // the producer's run this one reads: the latest to start before it that day
          const before = sameDay.filter((s) => s < c);
          // Starting before the producer's first run of the day breaks the declared order for
          // certain (seed 001: P0 finishes before P1 starts); within its expected duration it is an estimate.
          if (!before.length) {
            out.push({
              severity: 'error',
              rule: 'ordering',
              subject: consumer.constructPath,
              message: `job ${consumer.id} (${consumer.scheduleHuman}) is declared to run after ${producer.id} (${producer.scheduleHuman}) but starts before it, so it reads the output of the run before`,
              fix: `start ${consumer.id} at least ${dur} minutes after ${producer.id} (its expected duration), or drop ${producer.id} from its after list`,
            });
            break;
          }
          if (Math.max(...before) + dur > c) {
            out.push({
              severity: 'warning',
              rule: 'ordering',
              subject: consumer.constructPath,
              message: `job ${consumer.id} (${consumer.scheduleHuman}) starts before ${producer.id} (${producer.scheduleHuman}, expected ${dur} min) has finished, so it reads an older or partial output`,
              fix: `start ${consumer.id} at least ${dur} minutes after ${producer.id}, or correct the expected duration`,
            });
            break;
          }
        }
      }
    }
    return out;
  },
};

/** Jobs writing to the same target at the same time compete for it. */
export const contention: PolicyRule = {
  id: 'contention',
  description: 'two jobs never write to the same target at the same time',
  check(model) {
    const out: FindingRecord[] = [];
    const jobs = model.jobs.filter((j) => j.writesTo.length && j.schedule);
    for (let i = 0; i < jobs.length; i++) {
      for (let k = i + 1; k < jobs.length; k++) {
        const [a, b] = [jobs[i], jobs[k]];
        const shared = a.writesTo.filter((t) => b.writesTo.includes(t));
        // a step runs inside its job's run, never beside it
        const oneRun = a.partOf === b.id || b.partOf === a.id || (a.partOf !== undefined && a.partOf === b.partOf);
        if (!shared.length || oneRun || a.after.includes(b.id) || b.after.includes(a.id)) continue;
        const aw = weekRuns(a).map((s) => [s, s + a.expectedDurationSeconds / 60]);
        const bw = weekRuns(b).map((s) => [s, s + b.expectedDurationSeconds / 60]);
        if (aw.some(([s1, e1]) => bw.some(([s2, e2]) => s1 < e2 && s2 < e1))) {
          // vzdump holds a node-wide lock: two jobs of one node queue instead of competing,
          // so the later one only starts late
          const queued = a.kind === 'vzdump' && b.kind === 'vzdump' && a.host === b.host;
          out.push({
            severity: queued ? 'info' : 'warning',
            rule: 'contention',
            subject: `${a.id}+${b.id}`,
            message: `jobs ${a.id} and ${b.id} write to ${shared.map((t) => model.target(t)?.name ?? t).join(', ')} in overlapping windows (expected durations ${a.expectedDurationSeconds / 60} and ${b.expectedDurationSeconds / 60} min)${queued ? "; vzdump's node lock runs them one after the other, so the later one starts late" : ''}`,
            fix: 'stagger their schedules, or order one after the other',
          });
        }
      }
    }
    return out;
  },
};

/** Stale thresholds that page every run, or notice too late. */
export const staleThresholds: PolicyRule = {
  id: 'stale-threshold',
  description: 'stale thresholds lie between one period plus the expected duration and three periods',
  check(model) {
    const out: FindingRecord[] = [];
    for (const j of model.jobs) {
      const period = (j.schedule as { periodSeconds?: number } | undefined)?.periodSeconds;
      if (!period) continue;
      const stale = j.staleAfterHours * 3600;
      const hours = (s: number) => `${Math.round((s / 3600) * 100) / 100}h`;
      if (stale < period + j.expectedDurationSeconds && stale !== period) {
        out.push({ severity: 'error', rule: 'stale-threshold', subject: j.constructPath, message: `job ${j.id} goes stale after ${hours(stale)}, before its next run can finish (period ${hours(period)} plus ${hours(j.expectedDurationSeconds)}): it would page on every run`, fix: `raise staleAfter to at least ${hours(period + j.expectedDurationSeconds)}` });
      } else if (stale === period) {
        out.push({ severity: 'warning', rule: 'stale-threshold', subject: j.constructPath, message: `job ${j.id} goes stale after exactly one period (${hours(period)}): a run a few minutes late alerts`, fix: `add a margin, e.g. ${hours(period + Math.max(j.expectedDurationSeconds, 7200))}` });
      } else if (stale > 3 * period) {
        out.push({ severity: 'warning', rule: 'stale-threshold', subject: j.constructPath, message: `job ${j.id} goes stale only after ${hours(stale)}, more than three periods (${hours(period)}): two missed runs go unnoticed`, fix: `lower staleAfter towards ${hours(period + Math.max(j.expectedDurationSeconds, 7200))}` });
      }
    }
    return out;
  },
};

/** Every scheduled job reports metrics, and the site watches them. */
export const monitored: PolicyRule = {
  id: 'monitored',
  description: 'every scheduled job reports its outcome and the site has alert rules',
  check(model) {
    const out: FindingRecord[] = [];
    for (const j of model.jobs.filter((x) => x.schedule && model.signalsOf(x.id).length === 0)) {
      out.push({ severity: 'warning', rule: 'monitored', subject: j.constructPath, message: `job ${j.id} reports no metrics: a failure would go unnoticed`, fix: 'report through the site metric scheme (ScheduledHostJob and VzdumpJob do)' });
    }
    for (const j of model.jobs.filter((x) => !x.enabled)) {
      out.push({
        severity: 'warning',
        rule: 'monitored',
        subject: j.constructPath,
        message: `job ${j.id} is disabled: it makes no new copies, no alert or status check watches it, and 3-2-1 does not count its copies`,
        fix: `enable it again (enabled: true), or delete it once nothing needs it`,
      });
    }
    if (!model.alerting && model.signals.length) {
      out.push({ severity: 'warning', rule: 'monitored', subject: model.site, message: `site ${model.site} pushes metrics but has no BackupAlertRules: nothing alerts on them`, fix: 'add new BackupAlertRules(site, "Alerts")' });
    }
    if (model.alerting && !model.alerting.deployed && !model.statusTools.some((t) => t.notifies)) {
      const status = model.statusTools.length ? 'its status tool only writes metrics nobody alerts on' : 'it runs no status tool';
      // a site that chose manual monitoring still hears of nothing by itself: said, not hidden
      const manual = model.alerting.manualChecks ? '; only someone working through runbooks/manual-checks.md sees a failure' : '';
      out.push({
        severity: 'warning',
        rule: 'monitored',
        subject: model.site,
        message: `nobody hears of a failed or stale backup at site ${model.site}: its alert rules are not deployed and ${status}${manual}`,
        fix: 'deploy the rules (AlertDelivery.hostFile(host), .helmConfigMap(), .prometheusRule()) or have BackupStatus notify (notify: [StatusNotify.ntfy(url)])',
      });
    }
    // jobs this program does not run report nothing; only a status tool where their files lie sees them stop
    for (const j of model.jobs.filter((x) => !x.schedule && model.signalsOf(x.id).length === 0)) {
      const unchecked = model.copiesBy(j.id).filter((c) => c.artifact && !model.statusCheckerOf(c.artifact.host));
      for (const host of [...new Set(unchecked.map((c) => c.artifact!.host))]) {
        out.push({
          severity: 'warning',
          rule: 'monitored',
          subject: j.constructPath,
          message: `job ${j.id} reports no metrics and no status tool checks its artifacts on ${host}${model.host(host) ? '' : ' (a machine this program does not manage)'}: if it stops, nobody notices`,
          fix: model.host(host) ? 'add new BackupStatus(site, "Status")' : `have ${j.id} report to the site's metrics, or make its files visible on a managed host running BackupStatus`,
        });
      }
    }
    return out;
  },
};

/** The rules every site runs. */
export const DEFAULT_POLICY_PACK: PolicyPack = {
  name: 'default',
  rules: [threeTwoOne, ordering, contention, staleThresholds, monitored],
};
