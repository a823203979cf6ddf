/**
 * `npm run bench`: synth time and peak memory of every seed site, and of a generated large
 * site beside a bare cdktf program that creates the same Terraform resources.
 *
 * Every measurement is a fresh child process, as a user's `npm run synth` is: the parent
 * times the child's whole life (wall clock, Node start-up included) and the child reports its
 * own peak RSS at exit (bench/report-usage.ts, preloaded with `node -r`). Large-site and
 * bare runs alternate, so drift on the machine (other jobs, CPU frequency, caches) hits both
 * alike. Targets print as PASS/FAIL, but the exit status is 0 either way: this is a
 * benchmark, not a test. A child that fails is an error (exit status 1).
 *
 * Environment: BENCH_RUNS (default and minimum 5) sets the runs per program.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SITES } from '../stacks';
import { LARGE_SITE, LARGE_SITE_TOTALS } from './large-site';
import type { ResourceDump } from './resource-dump';
import type { ChildUsage } from './report-usage';

/** Targets from the issue. */
const TARGETS = { seedSeconds: 1, seedMegabytes: 150, largeOverBare: 1.3 } as const;
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS) || 5);

const DIST = path.resolve(__dirname, '..');
const REPO = path.resolve(DIST, '..');
const PRELOAD = path.join(__dirname, 'report-usage.js');

/** One child run. */
interface Sample {
  readonly seconds: number;
  /** Peak RSS in MB (10^6 bytes: the stricter reading of "150 MB"). */
  readonly megabytes: number;
  /** Seconds each phase of the child took, in order (the last one: exit, measured by the parent). */
  readonly phases: readonly { readonly name: string; readonly seconds: number }[];
}

// Every child writes only below this folder; it goes on any exit, Ctrl-C included. It lies in
// the project, beside cdktf.out, because that is where `npm run synth` writes: creating a
// folder costs what the file system holding it costs, and the system temporary folder can
// be a different story (on the CI machine a new folder under /tmp took 0.2 to 0.8 ms, under
// the project 0.03 to 0.09 ms, which is most of the review tree's cost there).
const tmpRoot = fs.mkdtempSync(path.join(REPO, '.bench-'));
process.on('exit', () => fs.rmSync(tmpRoot, { recursive: true, force: true }));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

/**
 * Runs `node -r report-usage.js <script>` in a fresh output folder and measures it.
 * `inspect` sees the output folder before it is removed.
 */
/**
 * Node flags of `npm run synth` (a short-lived batch process: small young-generation
 * semi-spaces keep its peak memory down at no measurable cost), read from package.json so
 * the bench measures what users run; the bare program gets the same flags.
 */
const SYNTH_FLAGS: string[] = (() => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const m = /node((?: --\S+)*) dist\/main\.js/.exec(pkg.scripts.synth);
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
})();

function runChild(script: string, env: Record<string, string>, inspect?: (outdir: string) => void): Sample {
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'run-'));
  const usageFile = path.join(dir, 'usage.json');
  const outdir = path.join(dir, 'out');
  const start = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [...SYNTH_FLAGS, '-r', PRELOAD, script], {
    cwd: REPO,
    env: { ...process.env, ...env, CDKTF_OUTDIR: outdir, CDKTF_QUIET: '1', BENCH_USAGE_FILE: usageFile },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (child.status !== 0) {
    throw new Error(`${path.relative(REPO, script)} failed (${child.signal ?? `exit ${child.status}`}):\n${child.stderr || child.stdout}`);
  }
  const usage = JSON.parse(fs.readFileSync(usageFile, 'utf8')) as ChildUsage;
  inspect?.(outdir);
  fs.rmSync(dir, { recursive: true, force: true });
  const phases = usage.phases.map((p, i) => ({ name: p.name, seconds: (p.endMs - (i ? usage.phases[i - 1].endMs : 0)) / 1000 }));
  const last = usage.phases[usage.phases.length - 1].endMs / 1000;
  // What the parent saw beyond the child's own clock: process creation and exit.
  phases.push({ name: 'spawn and exit', seconds: Math.max(0, seconds - last) });
  return { seconds, megabytes: (usage.maxRssKb * 1024) / 1e6, phases };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const secs = (n: number) => `${n.toFixed(3)} s`;
const mb = (n: number) => `${n.toFixed(1)} MB`;
const verdict = (ok: boolean, text: string) => console.log(`${ok ? 'PASS' : 'FAIL'} ${text}`);

/**
 * The stack's cdk.tf.json without cdktf's `//` metadata blocks: they hold construct paths,
 * which differ between the programs by design; everything Terraform reads must not.
 */
function stackJson(outdir: string, stack: string): string {
  const text = fs.readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8');
  return JSON.stringify(JSON.parse(text), (key, value: unknown) => (key === '//' ? undefined : value));
}

function main(): void {
  console.log(`backup-constructs bench: node ${process.version}, ${os.cpus().length} CPU(s), ${RUNS} runs per program`);
  const verdicts: (() => void)[] = [];

  // (a) Seed sites, through main.js as `npm run synth` runs them.
  console.log('\nSeed sites (node dist/main.js with SITE=<id>), medians:');
  for (const site of Object.keys(SITES)) {
    const samples = Array.from({ length: RUNS }, () => runChild(path.join(DIST, 'main.js'), { SITE: site }));
    const t = median(samples.map((s) => s.seconds));
    const m = median(samples.map((s) => s.megabytes));
    console.log(`  ${site.padEnd(20)} ${secs(t).padStart(9)}  ${mb(m).padStart(9)}   runs: ${samples.map((s) => s.seconds.toFixed(3)).join(' ')}`);
    verdicts.push(() =>
      verdict(t < TARGETS.seedSeconds && m < TARGETS.seedMegabytes, `seed site ${site}: ${secs(t)} < ${TARGETS.seedSeconds} s and ${mb(m)} < ${TARGETS.seedMegabytes} MB`),
    );
  }

  // (b)/(c) One untimed large run writes the resources for the bare program (and warms the
  // file cache); one untimed bare run checks that it really synthesizes the same thing.
  const dumpFile = path.join(tmpRoot, 'resources.json');
  const large = path.join(__dirname, 'child-large.js');
  const bare = path.join(__dirname, 'child-bare.js');
  let largeJson = '';
  let bareJson = '';
  let model: { hosts: unknown[]; assets: unknown[]; jobs: unknown[]; hostFiles: unknown[] } | undefined;
  runChild(large, { BENCH_DUMP: dumpFile }, (out) => {
    largeJson = stackJson(out, LARGE_SITE.siteId);
    model = JSON.parse(fs.readFileSync(path.join(out, 'stacks', LARGE_SITE.siteId, 'review', 'model.json'), 'utf8'));
  });
  const dump = JSON.parse(fs.readFileSync(dumpFile, 'utf8')) as ResourceDump;
  runChild(bare, { BENCH_RESOURCES: dumpFile }, (out) => (bareJson = stackJson(out, dump.stack)));
  const same = largeJson === bareJson;
  const t = LARGE_SITE_TOTALS;
  // The printed shape is what the site model recorded, not only what the generator meant.
  const counted = { hosts: model?.hosts.length, guests: model?.assets.length, jobs: model?.jobs.length, hostFiles: model?.hostFiles.length };
  if (JSON.stringify(counted) !== JSON.stringify({ hosts: t.hosts, guests: t.guests, jobs: t.jobs, hostFiles: t.hostFiles })) {
    throw new Error(`the large site's model has ${JSON.stringify(counted)}, expected ${JSON.stringify(t)}`);
  }
  console.log(`\nLarge site: ${t.hosts} hosts, ${t.guests} guests, ${t.jobs} jobs, ${t.hostFiles} host files -> ${dump.resources.length} null_resources`);
  console.log(`Bare cdktf: the same ${dump.resources.length} null_resources, variable, provider and backend; cdk.tf.json identical: ${same ? 'yes' : 'NO'}`);
  if (dump.resources.length !== t.resources) throw new Error(`expected ${t.resources} resources in the large site, got ${dump.resources.length}`);
  if (!same) throw new Error('the bare program does not synthesize the same cdk.tf.json as the large site: the comparison would be meaningless');

  // Alternate large and bare; pairs give the ratio.
  const row = (label: string, cells: readonly string[]) =>
    console.log(`  ${label.padEnd(6)}${cells.map((c, k) => c.padStart(k < 3 ? 9 : 11)).join('')}`);
  console.log('');
  row('run', ['large', 'bare', 'ratio', 'large RSS', 'bare RSS']);
  const pairs: { large: Sample; bare: Sample }[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const pair = { large: runChild(large, {}), bare: runChild(bare, { BENCH_RESOURCES: dumpFile }) };
    pairs.push(pair);
    row(String(i), [secs(pair.large.seconds), secs(pair.bare.seconds), `${(pair.large.seconds / pair.bare.seconds).toFixed(2)}x`, mb(pair.large.megabytes), mb(pair.bare.megabytes)]);
  }
  const med = {
    large: median(pairs.map((p) => p.large.seconds)),
    bare: median(pairs.map((p) => p.bare.seconds)),
    ratio: median(pairs.map((p) => p.large.seconds / p.bare.seconds)),
    largeMb: median(pairs.map((p) => p.large.megabytes)),
    bareMb: median(pairs.map((p) => p.bare.megabytes)),
    ratioMb: median(pairs.map((p) => p.large.megabytes / p.bare.megabytes)),
  };
  row('median', [secs(med.large), secs(med.bare), `${med.ratio.toFixed(2)}x`, mb(med.largeMb), mb(med.bareMb)]);
  console.log(`  median ratio large/bare: time ${med.ratio.toFixed(2)}x, peak memory ${med.ratioMb.toFixed(2)}x (medians of the paired runs)`);
  printPhases(pairs);

  console.log('');
  for (const v of verdicts) v();
  verdict(med.ratio <= TARGETS.largeOverBare, `large site within ${TARGETS.largeOverBare}x the bare program's time: ${med.ratio.toFixed(2)}x`);
}

/** Where the time goes: the median of each phase, large beside bare (a phase one lacks shows -). */
function printPhases(pairs: readonly { large: Sample; bare: Sample }[]): void {
  const names: string[] = [];
  for (const p of pairs) for (const ph of [...p.large.phases, ...p.bare.phases]) if (!names.includes(ph.name)) names.push(ph.name);
  const phaseMedian = (samples: readonly Sample[], name: string) => {
    const values = samples.flatMap((s) => s.phases.filter((ph) => ph.name === name).map((ph) => ph.seconds));
    return values.length ? secs(median(values)) : '-';
  };
  console.log('\n  phase (median)          large      bare');
  for (const name of names) {
    console.log(`  ${name.padEnd(20)}${phaseMedian(pairs.map((p) => p.large), name).padStart(9)} ${phaseMedian(pairs.map((p) => p.bare), name).padStart(9)}`);
  }
}

try {
  main();
} catch (e) {
  console.error(`bench: ${(e as Error).message}`);
  process.exitCode = 1;
}
