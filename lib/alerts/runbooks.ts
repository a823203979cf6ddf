import type { SiteModel } from '../model/site-model';
import type { AssetRecord, JobRecord } from '../model/types';
import type { AlertRule } from './alert-rule';
import { renderManualChecks } from './manual-checks';
import { lvmThinPoolOf, pveStorageIdOf } from '../model/target-ids';

/** One runbook per job, per site-level alert, the site's full-restore runbook and, for a site checked by hand, its manual checks. */
export function renderRunbooks(model: SiteModel, rules: readonly AlertRule[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const job of model.jobs) out.set(job.id, jobRunbook(model, job, rules.filter((r) => r.job === job.id)));
  for (const r of rules) {
    if (!out.has(r.runbook)) out.set(r.runbook, siteAlertRunbook(model, r, rules.filter((x) => x.runbook === r.runbook)));
  }
  out.set('full-restore', fullRestore(model));
  const manual = model.alerting?.manualChecks;
  if (manual) out.set('manual-checks', renderManualChecks(model, manual.reason, model.alerting!.diskFullRatio));
  return out;
}

function jobRunbook(model: SiteModel, job: JobRecord, alerts: readonly AlertRule[]): string {
  const copies = model.copiesBy(job.id);
  const lines = [
    `# Runbook: ${job.id}`,
    '',
    `${job.description}. Runs ${job.scheduleHuman}${job.host ? ` on ${job.host}` : ''}; defined in \`${job.constructPath}\`.`,
    '',
    '## Alerts',
    '',
    ...(alerts.length ? alerts.map((r) => `- **${r.name}** (${r.labels.severity}): ${r.summary}. Threshold: ${r.threshold}.`) : [`- none: this job reports no metrics; ${statusCoverage(model, job)}.`]),
    '',
    '## First checks',
    '',
    ...firstChecks(model, job).map((c, i) => `${i + 1}. ${c}`),
    '',
    '## What it protects',
    '',
    ...(copies.length
      ? copies.map((c) => `- ${model.asset(c.asset)?.name ?? c.asset} → ${model.target(c.target)?.name ?? c.target} (${c.layer}, ${c.retention})${c.artifact ? `: \`${c.artifact.basePath}/${c.artifact.glob}\`` : ''}`)
      : ['Nothing directly: this job makes no copy (it checks, collects or maintains).']),
    '',
    '## Restore',
    '',
    ...(job.restore?.length
      ? job.restore.flatMap((r) => [`### ${r.title}`, '', ...(r.notes?.length ? [...r.notes, ''] : []), ...(r.commands.length ? ['```sh', ...r.commands, '```', ''] : [])])
      : [copies.length ? 'Restore with the tool that made the backup; see its documentation.' : 'Nothing to restore: this job makes no copy.']),
    '',
  ];
  return lines.join('\n');
}

/** What to look at first when a job's alert fires, in the words of the tools that run it. */
function firstChecks(model: SiteModel, job: JobRecord): string[] {
  const where = job.host ? ` On ${job.host}:` : '';
  const checks = [
    job.runLog?.length
      ? `Did it run, and what did it say?${where}\n\n   \`\`\`sh\n${job.runLog.map((c) => `   ${c}`).join('\n')}\n   \`\`\``
      : 'Did it run? Check the log of the tool that runs it.',
  ];
  for (const id of job.writesTo) {
    const target = model.target(id);
    const name = target?.name ?? id;
    const storageId = pveStorageIdOf(id);
    const pool = lvmThinPoolOf(id);
    const where = storageId && target?.host
      ? `\`pvesm status --storage ${storageId}\` on ${target.host}`
      : pool && target?.host
        ? `\`lvs -o lv_name,data_percent,metadata_percent ${pool}\` on ${target.host}`
        : target?.host && (target.mountPoint ?? target.path)
          ? `\`df -h ${target.mountPoint ?? target.path}\` on ${target.host}`
          : undefined;
    const how = [where, job.kind === 'vzdump' && !storageId ? `\`pvesm status\`${job.host ? ` on ${job.host}` : ''}` : undefined].filter(Boolean).join(', ');
    // a remote repository has no mount here: df would report the local disk instead
    checks.push(`Is the target (${name}) reachable and not full? ${how || 'It has no local mount: check its free space where it lives (the server or the provider\'s console)'}.`);
  }
  const checked = statusCheckers(model, job);
  const newest = model.copiesBy(job.id).find((c) => c.artifact)?.artifact;
  checks.push(
    model.signalsOf(job.id).length
      ? 'Re-run by hand once the cause is fixed, and check that the Stale alert clears.'
      : checked.length
        ? `Re-run by hand once the cause is fixed, and check that \`backup-status\` on ${checked.join(', ')} reports its artifact as OK.`
        : `Re-run it once the cause is fixed, and check that a new artifact appears${newest ? ` (\`ls -lt ${newest.basePath} | head\` on ${newest.host})` : ''}.`,
  );
  return checks;
}

/** Hosts whose status tool checks a job's artifacts. */
function statusCheckers(model: SiteModel, job: JobRecord): string[] {
  return [...new Set(model.copiesBy(job.id).flatMap((c) => (c.artifact ? [model.statusCheckerOf(c.artifact.host)] : [])).filter((h): h is string => h !== undefined))];
}

function statusCoverage(model: SiteModel, job: JobRecord): string {
  const checked = statusCheckers(model, job);
  if (checked.length) return `the status tool on ${checked.join(', ')} checks its artifacts (\`backup-status\`)`;
  // said plainly: an operator reading this must not assume someone is watching
  return 'nothing checks its artifacts either (see the monitored finding in REVIEW.md): look at them by hand';
}

function siteAlertRunbook(model: SiteModel, rule: AlertRule, same: readonly AlertRule[]): string {
  return [
    `# Runbook: ${rule.name}`,
    '',
    `${rule.description}`,
    '',
    `Site \`${model.site}\`. Threshold: ${rule.threshold}. Expression${same.length > 1 ? 's' : ''}:`,
    '',
    '```promql',
    ...same.map((r) => r.expr),
    '```',
    '',
    '## What to do',
    '',
    rule.runbookBody ?? 'Find the cause from the expression above and the job runbooks it names.',
    '',
  ].join('\n');
}

const RANK = { critical: 0, important: 1, rebuildable: 2 } as const;

/** The order to bring a site back: most critical assets first, each with its copies and restore steps. */
/** Host configuration a host needs back before anything it runs (a Proxmox node's /etc/pve). */
function isHostConfig(a: AssetRecord): boolean {
  if (a.kind !== 'path') return false;
  const path = a.id.split(':').slice(2).join(':');
  return path === 'host-config' || /^\/(etc|root|usr\/local)(\/|$)/.test(path);
}

/**
 * What must be back before what: the host's own configuration, then the guests on it, then
 * the volumes and folders their data lives on, then the databases and applications inside
 * them (an app's restore needs its VM, and a volume restore would overwrite a database copied
 * back before it). Critical first within each step.
 */
function restoreTier(a: AssetRecord): number {
  if (isHostConfig(a)) return 0;
  if (a.kind === 'guest') return 1;
  if (a.kind === 'pvc-set' || a.kind === 'path') return 2;
  return 3;
}

const TIER_TITLES = ['host configuration', 'guests', 'volumes and data folders', 'databases and applications'];

function fullRestore(model: SiteModel): string {
  const assets = [...model.assets].sort((a, b) => restoreTier(a) - restoreTier(b) || RANK[a.classification] - RANK[b.classification] || (a.id < b.id ? -1 : 1));
  const hosts = model.hosts.map((h) => h.name);
  const lines = [
    `# Full restore: site \`${model.site}\``,
    '',
    `Restore in this order: ${TIER_TITLES.filter((_, i) => assets.some((a) => restoreTier(a) === i)).join(', then ')}; critical first within each. For each asset, the copies that exist (nearest first) and how to restore from each.`,
    '',
    '## First: the hosts and what this program installs',
    '',
    `1. Reinstall ${hosts.length ? hosts.join(', ') : 'the hosts'} if they are lost, with the addresses in \`stacks/\`.`,
    "2. Put back the files this program only references (SSH keys, passphrase and token files, Vault access): they are in no backup it makes of itself, so keep them in your secret store.",
    `3. \`cdktf deploy ${model.site}\` recreates the Proxmox storages and jobs (review/pve/<host>/commands.txt) and installs every host file, so the restore commands below find their storages, scripts and keys.`,
    '',
  ];
  let tier = -1;
  for (const a of assets) {
    if (restoreTier(a) !== tier) {
      tier = restoreTier(a);
      lines.push(`## Then: ${TIER_TITLES[tier]}`, '');
    }
    lines.push(`### ${a.name} (${a.classification})`, '');
    const copies = [...model.copiesOf(a.id)].sort((x, y) => Number(model.target(x.target)?.location === 'off-site') - Number(model.target(y.target)?.location === 'off-site'));
    if (!copies.length) lines.push('No copy exists: rebuild from scratch.', '');
    for (const c of copies) {
      const job = model.job(c.job);
      const t = model.target(c.target);
      const where = c.artifact ? ` (\`${c.artifact.basePath}/${c.artifact.glob}\`)` : '';
      lines.push(`- from ${t?.name ?? c.target} (${t?.location ?? '?'}, ${c.layer})${where} made by \`${c.job}\`: see [${c.job}](${c.job}.md)`);
      // the title and notes carry the safety steps (stop the app first, restore over a guest
      // only once it is removed): the commands alone are not the restore
      for (const step of (job?.restore ?? []).filter((r) => r.asset === a.id)) {
        lines.push('', `**${step.title}**`, ...(step.notes?.length ? ['', ...step.notes] : []), ...(step.commands.length ? ['', '```sh', ...step.commands, '```'] : []));
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}
