import { deriveAlerts } from '../alerts/derive-alerts';
import { protectionMatrix, rpoAndRestore, weekTimeline } from '../governance/protection';
import type { SiteModel } from '../model/site-model';
import type { CopyRecord, FindingRecord, JobRecord } from '../model/types';
import { sha256 } from '../render/install-script';
import { GROUP_ABOVE, groupFindings } from './finding-groups';
import { renderSection } from '../render/section-config';
import { tableRow } from './markdown-table';

/**
 * REVIEW.md: short at the top (counts, findings, decisions), complete below (jobs, copies,
 * host files, Proxmox sections, metrics).
 */
export function renderReviewMarkdown(model: SiteModel): string {
  const out: string[] = [];
  const findings = model.allFindings();
  const waived = model.policyOutcome().waived;
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  const jobs = model.jobs;
  out.push(`# Backup review: site \`${model.site}\``, '');
  out.push(
    `${model.hosts.length} host(s), ${model.assets.length} asset(s), ${jobs.length} job(s), ${model.copies.length} cop${model.copies.length === 1 ? 'y' : 'ies'}, ` +
      `${model.hostFiles.length} host file(s), ${model.pveSections.length} Proxmox section(s); findings: ${errors} error(s), ${warnings} warning(s).`,
    '',
  );
  const short = findings.filter((f) => f.rule === '3-2-1').length;
  const unprotected = model.assets.filter((a) => model.copiesOf(a.id).length === 0);
  out.push(
    '## At a glance',
    '',
    `- 3-2-1: ${model.assets.length - short} of ${model.assets.length} asset(s) meet it${short ? ` (**${short} short**, see the matrix)` : ''}.`,
    `- Unprotected assets: ${unprotected.length ? unprotected.map((a) => `**${a.name}**`).join(', ') : 'none'}.`,
    `- Alerts: ${model.alerting ? `${deriveAlerts(model, model.alerting).length} rule(s) in group \`${model.alerting.group}\`` : '**none**'}.`,
    '',
  );
  out.push('## Findings', '');
  out.push(...(findings.length ? findingLines(findings) : ['None.']), '');
  if (waived.length) {
    out.push('### Waived', '', ...waived.map((f) => `- \`${f.rule}\` ${f.subject}: ${f.message}. **Waived**: ${f.reason}.`), '');
  }
  if (model.decisions.length) {
    out.push('## Decisions', '', ...model.decisions.map((d) => `- **${d.subject}**: ${d.decision} (${d.reason})`), '');
  }

  out.push('## Protection matrix', '', ...protectionMatrix(model), '');
  out.push('## RPO and restore paths', '', 'RPO: the worst-case age of the newest copy (schedule period plus run time; for a copy of a copy, plus its source). RTO: an estimate by layer and location.', '', ...rpoAndRestore(model), '');
  const timeline = weekTimeline(model);
  if (timeline.length) out.push('## Timeline', '', ...timeline);

  out.push('## Jobs', '');
  out.push('| job | host | when | writes to | retention | stale after | construct |', '|---|---|---|---|---|---|---|');
  for (const j of jobs) {
    const retention = [...new Set(model.copiesBy(j.id).map((c) => c.retention))].join(', ') || '-';
    const targets = j.writesTo.map((t) => model.target(t)?.name ?? t).join(', ');
    out.push(tableRow([`\`${j.id}\`${j.enabled ? '' : ' (disabled)'}`, j.host ?? '-', scheduleCell(j), targets, retention, staleCell(j), `\`${j.constructPath}\``]));
  }
  out.push('');
  out.push('## Copies', '');
  out.push('| asset | class | copies (job → target: layer, medium, location, retention) |', '|---|---|---|');
  for (const a of model.assets) {
    const copies = model.copiesOf(a.id);
    const cells = copies.length ? copies.map((c) => copyCell(model, c)).join('<br>') : '**none: unprotected**';
    out.push(tableRow([`${a.name} (\`${a.id}\`)${a.notes ? ` (${a.notes})` : ''}`, a.classification, cells]));
  }
  out.push('');

  out.push('## Host files', '');
  out.push('Installed byte for byte as in `hosts/<host>/<path>` (for /etc/fstab: only the managed lines).', '');
  out.push('| host | path | mode | owner | construct | sha256 |', '|---|---|---|---|---|---|');
  for (const f of model.hostFiles) {
    out.push(tableRow([f.host, `\`${f.path}\`${f.kind === 'block' ? ' (managed block)' : ''}`, f.mode, f.owner, `\`${f.constructPath}\``, sha256(f.content).slice(0, 12)]));
  }
  out.push('');

  if (model.k8sObjects.length) {
    out.push('## Kubernetes objects', '');
    out.push('Each is in `k8s/<namespace>/<kind>-<name>.yaml` (cluster-scoped ones under `k8s/_cluster/`), field for field what Terraform applies.', '');
    out.push('| kind | namespace | name | construct |', '|---|---|---|---|');
    for (const o of model.k8sObjects) out.push(tableRow([o.kind, o.namespace ?? '(cluster)', o.name, `\`${o.constructPath}\``]));
    out.push('');
  }

  if (model.pveSections.length) {
    out.push('## Proxmox configuration', '');
    out.push('Applied entry by entry with `pvesm`/`pvesh` (create or update); entries made in the GUI are left alone.', '');
    for (const s of model.pveSections) {
      out.push(`### ${s.host}: ${s.file} \`${s.id}\``, '', '```', renderSection(s.type, s.id, s.properties).trimEnd(), '```', '', '```sh', s.createCommand, '```', '');
    }
  }

  if (model.alerting) {
    const rules = deriveAlerts(model, model.alerting);
    out.push('## Alerts', '');
    out.push(`Rules in \`prometheus/${model.alerting.group}.rules.yml\`, each with promtool tests and a runbook under \`runbooks/\`.`, '');
    out.push('| alert | watches | threshold | for | severity | runbook |', '|---|---|---|---|---|---|');
    for (const r of rules) {
      out.push(tableRow([r.name, r.job ? `\`${r.job}\`` : (r.labels.backup_target ?? 'site'), r.threshold, r.for, r.labels.severity, `[${r.runbook}](runbooks/${r.runbook}.md)`]));
    }
    out.push('');
  } else {
    out.push('## Alerts', '', 'This site has no BackupAlertRules: nothing watches its metrics.', '');
  }

  out.push('## Metrics', '');
  out.push('Every job reports in one scheme (see README, "Metric scheme").', '');
  out.push('| job | sink | destination | metrics |', '|---|---|---|---|');
  for (const s of model.signals) {
    out.push(tableRow([`\`${s.job}\`${s.labels.guest ? ` guest ${s.labels.guest}` : ''}`, s.sink, `\`${s.destination}\``, s.metrics.join(', ')]));
  }
  const silent = jobs.filter((j) => j.kind !== 'external' && model.signalsOf(j.id).length === 0);
  if (silent.length) out.push('', `Jobs that report nothing: ${silent.map((j) => `\`${j.id}\``).join(', ')}.`);
  out.push('');
  return out.join('\n');
}

/** One line per finding; a group of more than GROUP_ABOVE says its fix once and lists the subjects under it. */
function findingLines(findings: readonly FindingRecord[]): string[] {
  return groupFindings(findings).flatMap((group) => {
    if (group.length <= GROUP_ABOVE) return group.map(findingLine);
    const { severity, rule, fix } = group[0];
    return [`- **${severity}** \`${rule}\` on ${group.length} subjects. Fix: ${fix}.`, ...group.map((f) => `  - ${f.subject}: ${f.message}.`)];
  });
}

function findingLine(f: FindingRecord): string {
  return `- **${f.severity}** \`${f.rule}\` ${f.subject}: ${f.message}. Fix: ${f.fix}.`;
}

function scheduleCell(j: JobRecord): string {
  const s = j.schedule as { systemd?: string; proxmox?: string } | undefined;
  if (!s) return j.scheduleHuman;
  return `${j.scheduleHuman}${s.proxmox ? ` (\`${s.proxmox}\`)` : ''}`;
}

function staleCell(j: JobRecord): string {
  const h = Number(j.staleAfterHours.toFixed(2));
  return `${h}h${j.staleAfterExplicit ? ' (set by stack)' : ' (derived)'}`;
}

function copyCell(model: SiteModel, c: CopyRecord): string {
  const t = model.target(c.target);
  const from = c.derivedFrom ? ` from copy \`${c.derivedFrom}\`` : '';
  return `\`${c.job}\` → ${t?.name ?? c.target}${from}: ${c.layer}, ${t?.medium ?? '?'}, ${t?.location ?? '?'}, ${c.retention}`;
}
