import type { SiteModel } from '../model/site-model';
import { GROUP_ABOVE, groupFindings } from './finding-groups';

/** Jobs listed one per line before the rest are counted (REVIEW.md lists them all). */
const JOBS_SHOWN = 20;
/** Findings shown of a group larger than GROUP_ABOVE before the rest are counted. */
const GROUP_SHOWN = 3;

/** The one-screen summary `npm run synth` prints for a site. */
export function renderSynthSummary(model: SiteModel, terraformResources: number): string {
  const findings = model.allFindings();
  const errors = findings.filter((f) => f.severity === 'error');
  const warnings = findings.filter((f) => f.severity === 'warning');
  const jobs = model.jobs;
  const external = jobs.filter((j) => j.kind === 'external').length;
  const lines = [
    `site ${model.site}: ${terraformResources} Terraform resources, ${model.hostFiles.length} host files on ${model.hosts.length} host(s), ` +
      `${jobs.length - external} jobs${external ? ` (+${external} external)` : ''}, ${model.assets.length} assets, ${model.copies.length} copies, ` +
      `${errors.length} errors, ${warnings.length} warnings`,
  ];
  for (const j of jobs.slice(0, JOBS_SHOWN)) lines.push(`  job ${j.id}: ${j.scheduleHuman}${j.host ? ` on ${j.host}` : ''}`);
  if (jobs.length > JOBS_SHOWN) lines.push(`  ... and ${jobs.length - JOBS_SHOWN} more jobs (REVIEW.md lists them all)`);
  // errors one by one: each fails the synth and needs its own fix
  for (const f of errors) lines.push(`  error: ${f.subject}: ${f.message}`);
  for (const group of groupFindings(warnings)) {
    const shown = group.length > GROUP_ABOVE ? group.slice(0, GROUP_SHOWN) : group;
    for (const f of shown) lines.push(`  warning: ${f.subject}: ${f.message}`);
    if (shown.length < group.length) lines.push(`  ... and ${group.length - shown.length} more \`${group[0].rule}\` warnings like these (REVIEW.md lists them all)`);
  }
  return lines.join('\n');
}
