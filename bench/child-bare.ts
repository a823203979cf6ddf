/**
 * Benchmark child: the bare cdktf program the large site is compared with. It creates the
 * same Terraform elements the large site synthesizes (same null_resources with the same
 * triggers, connection and provisioners, the same variable, provider and backend) straight
 * from a dump (`BENCH_RESOURCES=<file>`, written by child-large.ts), with none of the
 * library's validation, rendering, site model or review tree. The difference in time is
 * what the library costs.
 *
 * Only the provider submodules used are imported: the package root loads every submodule
 * (see /work/shared/TOOLCHAIN.md), which would make the baseline slower than it needs to be.
 */
import * as fs from 'fs';
import { App, LocalBackend, TerraformStack, TerraformVariable } from 'cdktf';
import { NullProvider } from '@cdktf/provider-null/lib/provider';
import { Resource } from '@cdktf/provider-null/lib/resource';
import type { ResourceDump } from './resource-dump';
import { endPhase } from './report-usage';

endPhase('cdktf loaded');

const outdir = process.env.CDKTF_OUTDIR;
const dumpFile = process.env.BENCH_RESOURCES;
if (!outdir || !dumpFile) throw new Error('CDKTF_OUTDIR and BENCH_RESOURCES must be set');
const dump = JSON.parse(fs.readFileSync(dumpFile, 'utf8')) as ResourceDump;

const app = new App({ outdir });
const stack = new TerraformStack(app, dump.stack);
new LocalBackend(stack, { path: dump.backendPath });
new NullProvider(stack, 'NullProvider');
for (const v of dump.variables) new TerraformVariable(stack, v.id, { type: v.type, description: v.description, nullable: v.nullable });
dump.resources.forEach((r, i) => {
  // Logical ids as in the large site, so the two cdk.tf.json files can be compared exactly.
  const res = new Resource(stack, `R${i}`, r.config);
  res.overrideLogicalId(r.logicalId);
  if (r.dependsOn) res.addOverride('depends_on', r.dependsOn);
});
endPhase('site built');
app.synth();
endPhase('synthesized');
