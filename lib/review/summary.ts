import type { SiteModel } from '../model/site-model';

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
  for (const j of jobs) lines.push(`  job ${j.id}: ${j.scheduleHuman}${j.host ? ` on ${j.host}` : ''}`);
  for (const f of [...errors, ...warnings]) lines.push(`  ${f.severity}: ${f.subject}: ${f.message}`);
  return lines.join('\n');
}
