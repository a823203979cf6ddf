import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import { BackupSite } from './constructs';
import { renderSynthSummary } from './lib/review/summary';
import { SITES } from './stacks';

/**
 * Synthesizes every site in stacks/ (or only `SITE=<id>`) into cdktf.out/stacks/<site>/ with
 * its review/ tree, then prints one summary per site. Needs no network, Terraform or secrets.
 */
function main(): void {
  const wanted = process.env.SITE ? process.env.SITE.split(',').map((s) => s.trim()) : Object.keys(SITES);
  const unknown = wanted.filter((s) => !SITES[s]);
  if (unknown.length) {
    console.error(`unknown site(s) ${unknown.join(', ')}: expected one of ${Object.keys(SITES).join(', ')} (set SITE to a site id)`);
    process.exit(2);
  }
  const outdir = process.env.CDKTF_OUTDIR ?? 'cdktf.out';
  const app = new App({ outdir });
  const sites: BackupSite[] = wanted.map((id) => SITES[id](app));
  app.synth();
  if (process.env.CDKTF_QUIET) return;
  for (const site of sites) {
    const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', site.node.id, 'cdk.tf.json'), 'utf8')) as { resource?: Record<string, Record<string, unknown>> };
    const resources = Object.values(json.resource ?? {}).reduce((n, byName) => n + Object.keys(byName).length, 0);
    console.log(renderSynthSummary(site.model, resources));
  }
}

main();
