import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import { BackupSite, MetricsSink } from '../../constructs';
import type { RestoreStep } from '../../lib/model/types';
import { freshApp, synthJson } from '../helpers/synth';
import { tempDir } from '../helpers/tools';

/** The Pushgateway URL the lab site's sink names (tests override it with the real one). */
export const LAB_PUSHGATEWAY = 'http://pushgateway.monitoring.svc:9091';

/** A site that pushes to a persistent Pushgateway, as the homelab does. */
export function labSite(): { app: App; site: BackupSite } {
  const app = freshApp();
  const site = new BackupSite(app, 'lab', { metrics: MetricsSink.pushgateway(LAB_PUSHGATEWAY, { persistence: true }) });
  return { app, site };
}

/** The scripts of one CronJob exactly as the synthesized Terraform resource carries them. */
export interface PodScripts {
  readonly dump: string;
  readonly report: string;
  /** The synthesized `kubernetes_cron_job_v1` resource. */
  readonly resource: Record<string, any>;
}

/** Finds a CronJob by name in a stack's cdk.tf.json and returns its scripts. */
export function podScripts(json: Record<string, any>, name: string): PodScripts {
  const all = Object.values(json.resource?.kubernetes_cron_job_v1 ?? {}) as Record<string, any>[];
  const resource = all.find((r) => r.metadata.name === name);
  if (!resource) throw new Error(`no CronJob ${name}; have ${all.map((r) => r.metadata.name).join(', ')}`);
  const pod = resource.spec.job_template.spec.template.spec;
  const dump = pod.container.find((c: any) => c.name === 'dump');
  const report = pod.container.find((c: any) => c.name === 'report');
  expect(dump.command).toEqual(['/bin/sh', '-c']);
  expect(report.command).toEqual(['/bin/sh', '-c']);
  return { dump: dump.args[0], report: report.args[0], resource };
}

/** Synthesizes a site and returns the scripts of one of its CronJobs. */
export function synthScripts(site: BackupSite, name: string): PodScripts {
  return podScripts(synthJson(site), name);
}

/** The words a POSIX shell makes of a `kubectl ...` command line (quoting and all), `kubectl` first. */
export function shellWords(command: string): string[] {
  const r = spawnSync('sh', ['-c', `kubectl() { for a in kubectl "$@"; do printf '%s\\0' "$a"; done; }\n${command}`], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout.split('\0').slice(0, -1);
}

/**
 * Runs runbook lines in one sh, as an operator pastes them into one shell, with the pod's or
 * node's paths pointing elsewhere (`{ '/backup': dir }`).
 */
export function paste(lines: readonly string[], paths: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv = process.env): { status: number; stdout: string; stderr: string } {
  let script = lines.join('\n');
  for (const [from, to] of Object.entries(paths)) script = script.split(from).join(to);
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', env });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The restore steps strictly between the step titled like `after` and the one titled like `before`. */
export function between(steps: readonly RestoreStep[], after: RegExp, before: RegExp): RestoreStep[] {
  const from = steps.findIndex((s) => after.test(s.title));
  const to = steps.findIndex((s) => before.test(s.title));
  expect(from).toBeGreaterThanOrEqual(0);
  expect(to).toBeGreaterThan(from);
  return steps.slice(from + 1, to);
}

/** A shell to run the scripts with: Debian's dash (postgres, mariadb, redis images) or busybox ash (alpine images). */
export type Shell = 'dash' | 'busybox';

/**
 * A PATH holding only busybox applets (plus the given real tools), so a script runs the way
 * it does in an alpine-based image: busybox find, cp, du, tar, sha256sum.
 */
export function busyboxPath(extraTools: Record<string, string> = {}): string {
  const dir = tempDir('bc-busybox-');
  const applets = ['cat', 'cp', 'date', 'du', 'echo', 'find', 'grep', 'gzip', 'head', 'ls', 'mkdir', 'mv', 'printf', 'rm', 'sed', 'sha256sum', 'sleep', 'sort', 'tail', 'tar', 'tr', 'wc', 'sh'];
  const busybox = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
  for (const a of applets) fs.symlinkSync(busybox, path.join(dir, a));
  for (const [name, target] of Object.entries(extraTools)) fs.symlinkSync(target, path.join(dir, name));
  return dir;
}

/** The full path of a tool on this machine. */
export function which(tool: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${tool} is not installed`);
  return r.stdout.trim();
}

/** Outcome of one script run. */
export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a script's text with `sh -c`, as the container's command does. */
export function runScript(shell: Shell, script: string, env: Record<string, string>, timeoutMs = 120_000): RunResult {
  // resolved on this machine's PATH: the script's own PATH may hold only busybox applets
  const [cmd, ...args] = shell === 'dash' ? [which('dash')] : [which('busybox'), 'sh'];
  const r = spawnSync(cmd, [...args, '-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', TMPDIR: process.env.TMPDIR ?? '/tmp', ...env }, encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs a CronJob's pod's containers one after the other: the dump container
 * (BC_DEFER_STATUS=1, so it exits 0 after recording the outcome), then the report container,
 * which finds the outcome there, pushes it to the real Pushgateway and exits with the dump's
 * status. (In the pod they run side by side; `startContainer` runs them so.)
 */
export function runPod(scripts: PodScripts, shell: Shell, env: Record<string, string>, pushgateway: string): { dump: RunResult; report: RunResult } {
  const dump = runScript(shell, scripts.dump, { ...env, BC_DEFER_STATUS: '1' });
  const report = runScript(shell, scripts.report, { PATH: env.PATH ?? process.env.PATH ?? '', BC_STATUS_DIR: env.BC_STATUS_DIR, BC_PUSHGATEWAY: pushgateway });
  return { dump, report };
}

/** A container's script running in the background, as in a pod, with its outcome to await. */
export interface RunningScript {
  readonly pid: number;
  /** Sends a signal to the script's whole process group (a container's processes). */
  kill(signal: NodeJS.Signals): void;
  readonly done: Promise<RunResult>;
}

/** Starts a script in its own process group, as a container of a pod runs beside the others. */
export function startContainer(shell: Shell, script: string, env: Record<string, string>, user?: { uid: number; gid: number }): RunningScript {
  const [cmd, ...args] = shell === 'dash' ? [which('dash')] : [which('busybox'), 'sh'];
  const child = spawn(cmd, [...args, '-c', script], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', TMPDIR: process.env.TMPDIR ?? '/tmp', ...env },
    ...(user ?? {}),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<RunResult>((resolve) => child.on('close', (code, signal) => resolve({ status: code ?? (signal ? 128 : -1), stdout, stderr })));
  return {
    pid: child.pid!,
    kill: (signal) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    },
    done,
  };
}

/** Waits until a file exists (a container reached a point), at most `timeoutMs`. */
export async function waitForFile(file: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > end) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const DAY_MS = 86_400_000;

/** Sets a file's or folder's modification time to `days` ago. */
export function age(file: string, days: number): void {
  const t = new Date(Date.now() - days * DAY_MS);
  fs.utimesSync(file, t, t);
}

/** Files a rotation must and must not touch, in an output folder. */
export interface RotationFixtures {
  /** This job's artifact older than the retention: the only one rotation may delete. */
  readonly ownOld: string;
  /** This job's artifact younger than the retention (the oldest of them). */
  readonly ownYoung: string;
  /** Older than the retention but not this job's: another job's, one made by hand, an unrelated file. */
  readonly foreign: readonly string[];
}

/**
 * Creates the fixtures (files, or folders when `ext` is '') aged around `retentionDays`: a
 * steady series, with `youngCount` of the job's own artifacts inside the retention (one a day
 * by default), so the rotation's count floor is met and age alone decides.
 */
export function rotationFixtures(dir: string, prefix: string, ext: string, retentionDays: number, youngCount = retentionDays): RotationFixtures {
  fs.mkdirSync(dir, { recursive: true });
  const make = (name: string, days: number): string => {
    const p = path.join(dir, name);
    if (ext === '') {
      fs.mkdirSync(p);
      fs.writeFileSync(path.join(p, 'db.sqlite3'), 'old backup');
    } else {
      fs.writeFileSync(p, 'old dump');
    }
    age(p, days);
    return p;
  };
  // the rest of the series, newer by name and by age than ownYoung
  for (let i = 1; i < youngCount; i++) {
    const name = new Date(Date.UTC(2020, 0, 3) + i * 3600_000).toISOString().replace(/[-:]|\.\d+/g, '');
    make(`${prefix}-${name}${ext}`, ((retentionDays - 0.1) * (youngCount - i)) / youngCount);
  }
  return {
    ownOld: make(`${prefix}-20200101T000000Z${ext}`, retentionDays + 0.1),
    ownYoung: make(`${prefix}-20200102T000000Z${ext}`, retentionDays - 0.1),
    foreign: [make(`other-job-20200101T000000Z${ext}`, retentionDays + 5), make(`${prefix}-by-hand${ext}`, retentionDays + 5), make('notes.txt', retentionDays + 5)],
  };
}

/** Names in a folder, sorted, without the leading work folders (which must never be left behind). */
export function listDir(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/** This run's artifacts: names of the form `<prefix>-<stamp><ext>` that are not fixtures. */
export function newArtifacts(dir: string, prefix: string, ext: string): string[] {
  const re = new RegExp(`^${prefix}-\\d{8}T\\d{6}Z${ext.replace(/\./g, '\\.')}$`);
  return listDir(dir).filter((n) => re.test(n) && !n.startsWith(`${prefix}-2020`));
}

export { describeWithTools } from '../helpers/tools';
