import { Duration } from '../duration';
import type { SiteModel } from '../model/site-model';
import type { AssetRecord, CopyRecord, JobRecord } from '../model/types';
import { LAYERS } from '../model/vocabulary';
import { Schedule, ScheduleFields } from '../schedule';
import { tableRow } from '../review/markdown-table';

/**
 * Rough restore times by layer and where the copy lives, for the RTO column until a job says
 * better: the order of magnitude a reviewer should expect, labelled as an estimate.
 */
const RESTORE_ESTIMATE: Record<string, Duration> = {
  snapshot: Duration.minutes(15),
  image: Duration.hours(1),
  file: Duration.hours(1),
  app: Duration.minutes(30),
};
const OFFSITE_EXTRA = Duration.hours(4);

/** Worst-case age of the newest copy: the job's period plus the time it takes to run. */
export function copyRpo(model: SiteModel, c: CopyRecord): Duration | undefined {
  const job = model.job(c.job);
  const period = (job?.schedule as { periodSeconds?: number } | undefined)?.periodSeconds ?? job?.staleAfterHours;
  if (!job || period === undefined) return undefined;
  const seconds = job.schedule ? period : Math.round(job.staleAfterHours * 3600);
  let rpo = Duration.seconds(seconds + job.expectedDurationSeconds);
  // a copy of a copy is as old as its source's worst case plus its own
  const source = c.derivedFrom ? model.copy(c.derivedFrom) : undefined;
  if (source) rpo = rpo.plus(copyRpo(model, source) ?? Duration.seconds(0));
  return rpo;
}

export function copyRto(model: SiteModel, c: CopyRecord): Duration {
  const base = RESTORE_ESTIMATE[c.layer] ?? Duration.hours(1);
  return model.target(c.target)?.location === 'off-site' ? base.plus(OFFSITE_EXTRA) : base;
}

function cell(model: SiteModel, copies: readonly CopyRecord[]): string {
  return copies
    .map((c) => {
      const t = model.target(c.target);
      return `${t?.name ?? c.target} (${c.retention}${t?.location === 'off-site' ? ', **off-site**' : ''})`;
    })
    .join('<br>');
}

/** The protection matrix: each asset by layer, with retention and whether off-site. */
export function protectionMatrix(model: SiteModel): string[] {
  const head = `| asset | class | ${LAYERS.join(' | ')} | 3-2-1 |`;
  const sep = `|---|---|${LAYERS.map(() => '---').join('|')}|---|`;
  const short = new Set(model.allFindings().filter((f) => f.rule === '3-2-1').map((f) => f.subject));
  const waived = new Set(model.policyOutcome().waived.filter((f) => f.rule === '3-2-1').map((f) => f.subject));
  const rows = model.assets.map((a) => {
    const copies = model.copiesOf(a.id);
    const cells = LAYERS.map((l) => cell(model, copies.filter((c) => c.layer === l)) || '-');
    const status = waived.has(a.id) ? 'waived' : short.has(a.id) ? '**short**' : 'yes';
    return tableRow([a.name, a.classification, ...cells, status]);
  });
  return [head, sep, ...rows];
}

/** Worst-case RPO of every asset (best copy, and best off-site copy) and its restore paths with RTO. */
export function rpoAndRestore(model: SiteModel): string[] {
  const lines = ['| asset | worst-case RPO | off-site RPO | restore paths (RTO, estimate) | proven restorable by |', '|---|---|---|---|---|'];
  const drillsOf = new Map<string, JobRecord[]>();
  for (const j of model.jobs) for (const id of j.verifies ?? []) drillsOf.set(id, [...(drillsOf.get(id) ?? []), j]);
  for (const a of model.assets) lines.push(rpoRow(model, a, drillsOf.get(a.id) ?? []));
  return lines;
}

function rpoRow(model: SiteModel, a: AssetRecord, drillJobs: readonly JobRecord[]): string {
  const copies = model.copiesOf(a.id);
  const withRpo = copies.map((c) => ({ c, rpo: copyRpo(model, c) })).filter((x): x is { c: CopyRecord; rpo: Duration } => x.rpo !== undefined);
  const best = (xs: typeof withRpo) => (xs.length ? xs.reduce((m, x) => (x.rpo.compareTo(m.rpo) < 0 ? x : m)).rpo.toHumanString() : 'none');
  const offsite = withRpo.filter((x) => model.target(x.c.target)?.location === 'off-site');
  const paths = [...copies]
    .sort((x, y) => copyRto(model, x).compareTo(copyRto(model, y)))
    .map((c) => `${c.layer} from ${model.target(c.target)?.name ?? c.target} via \`${c.job}\` (${copyRto(model, c).toHumanString()})`)
    .join('<br>');
  // a restore drill's last success is when the asset was last proven restorable
  const drills = drillJobs.map((j) => `\`${j.id}\` (${j.scheduleHuman}; last success: \`${j.id}\` metrics)`);
  return tableRow([a.name, best(withRpo), best(offsite), paths || '**no copy: rebuild**', drills.join('<br>') || 'never drilled']);
}

/** A week of runs per host as a Mermaid Gantt chart (UTC wall clock, expected durations); a step is inside its job's bar. */
export function weekTimeline(model: SiteModel): string[] {
  const out: string[] = [];
  const byHost = new Map<string, JobRecord[]>();
  for (const j of model.jobs.filter((x) => x.schedule && x.host && !x.partOf)) byHost.set(j.host!, [...(byHost.get(j.host!) ?? []), j]);
  const weekStart = Date.UTC(2026, 0, 4); // a Sunday
  for (const [host, jobs] of [...byHost.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const frequent: string[] = [];
    const lines = ['```mermaid', 'gantt', `  title A week on ${host} (wall clock of the host)`, '  dateFormat YYYY-MM-DD HH:mm', '  axisFormat %a %H:%M'];
    for (const j of jobs) {
      const fields = (j.schedule as { fields: ScheduleFields }).fields;
      const runs = Schedule.explicit(fields)
        .nextRuns(new Date(weekStart - 1), 200, { before: new Date(weekStart + 7 * 86400_000) });
      if (runs.length > 14) {
        frequent.push(`\`${j.id}\` (${j.scheduleHuman})`);
        continue;
      }
      lines.push(`  section ${j.id}`);
      const minutes = Math.max(1, Math.round(j.expectedDurationSeconds / 60));
      for (const r of runs) lines.push(`  ${j.id} :${r.at.toISOString().slice(0, 16).replace('T', ' ')}, ${minutes}m`);
    }
    lines.push('```');
    out.push(`### ${host}`, '', ...lines, '');
    if (frequent.length) out.push(`Not drawn (more than twice a day): ${frequent.join(', ')}.`, '');
  }
  return out;
}
