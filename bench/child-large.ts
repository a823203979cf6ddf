/**
 * Benchmark child: synthesizes the generated large site (bench/large-site.ts) into
 * `CDKTF_OUTDIR`, the same way main.ts synthesizes a seed site. With `BENCH_DUMP=<file>` it
 * also writes the site's resources for the bare program (that run is not timed).
 */
import * as fs from 'fs';
import { App } from 'cdktf';
import { endPhase } from './report-usage';

endPhase('cdktf loaded');
// Required here, not imported, so the library's load is a phase of its own.
const { largeSite } = require('./large-site') as typeof import('./large-site');
const { dumpResources } = require('./resource-dump') as typeof import('./resource-dump');
const { defaultLocalStatePath } = require('../constructs/site-backend') as typeof import('../constructs/site-backend');
endPhase('library loaded');

const outdir = process.env.CDKTF_OUTDIR;
if (!outdir) throw new Error('CDKTF_OUTDIR must name a temporary folder');
const app = new App({ outdir });
const site = largeSite(app);
endPhase('site built');
app.synth();
endPhase('synthesized');
if (process.env.BENCH_DUMP) {
  // SiteBackend.local()'s default path; the bare program declares the same backend.
  fs.writeFileSync(process.env.BENCH_DUMP, JSON.stringify(dumpResources(site, defaultLocalStatePath(site.node.id))));
}
