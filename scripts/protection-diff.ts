/**
 * `npm run diff -- <git-ref> [site...]`: protection changes of every site (or the named ones)
 * between a git revision and the working tree, ready to paste into a pull request.
 *
 * The revision is synthesized in a temporary worktree (its own code and stacks), sharing this
 * checkout's node_modules; the working tree is synthesized as it is. Only review/model.json of
 * each side is compared, so resource churn never shows.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { diffProtection, ModelJson, renderProtectionDiff } from '../lib/governance/protection-diff';

const ROOT = path.resolve(__dirname, '..', '..');

function synthesize(checkout: string, outdir: string): void {
  const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: outdir, CDKTF_QUIET: '1' };
  delete env.SITE;
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(checkout, 'tsconfig.build.json'), '--outDir', path.join(checkout, 'dist')], { stdio: 'inherit', cwd: checkout });
  execFileSync(process.execPath, [path.join(checkout, 'dist/main.js')], { stdio: ['ignore', 'ignore', 'inherit'], cwd: checkout, env });
}

function models(outdir: string): Map<string, ModelJson> {
  const stacks = path.join(outdir, 'stacks');
  const out = new Map<string, ModelJson>();
  if (!fs.existsSync(stacks)) return out;
  for (const site of fs.readdirSync(stacks).sort()) {
    const file = path.join(stacks, site, 'review/model.json');
    if (fs.existsSync(file)) out.set(site, JSON.parse(fs.readFileSync(file, 'utf8')) as ModelJson);
  }
  return out;
}

function empty(site: string): ModelJson {
  return { site, assets: [], targets: [], jobs: [], copies: [], findings: [], alerts: [] };
}

function main(): void {
  const [ref, ...only] = process.argv.slice(2);
  if (!ref) {
    console.error('usage: npm run diff -- <git-ref> [site...]   (e.g. npm run diff -- origin/main home)');
    process.exit(2);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bc-diff-'));
  const worktree = path.join(tmp, 'before');
  try {
    execFileSync('git', ['worktree', 'add', '--detach', '--quiet', worktree, ref], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(worktree, 'node_modules'));
    synthesize(worktree, path.join(tmp, 'before-out'));
    synthesize(ROOT, path.join(tmp, 'after-out'));
    const before = models(path.join(tmp, 'before-out'));
    const after = models(path.join(tmp, 'after-out'));
    const sites = [...new Set([...before.keys(), ...after.keys()])].filter((s) => !only.length || only.includes(s)).sort();
    for (const site of sites) {
      console.log(renderProtectionDiff(site, diffProtection(before.get(site) ?? empty(site), after.get(site) ?? empty(site))));
    }
  } finally {
    execFileSync('git', ['worktree', 'remove', '--force', worktree], { cwd: ROOT, stdio: 'ignore' });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main();
