import { execFileSync, spawn, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BypassList, Duration, FileBackup, LvmSnapshotTimer, MetricsSink, NfsChangeTracker, NfsMirror, OffsiteManifest, OffsiteSync } from '../../constructs';
import { testSite } from '../helpers/fixtures';
import { reviewOf, writeTree } from '../helpers/synth';
import { tempDir } from '../helpers/tools';

/** The homelab's bypass list, as the tests enumerate it. */
export const BYPASS_NAMES = ['immich', 'frigate', 'prometheus', 'loki', 'temp', 'alertmanager', 'ollama', 'llamacpp', 'audiblez', 'ebook2audiobook', '*-backup'];

/**
 * A site with the whole host pipeline on one host, rendered to a temporary host tree. The
 * scripts are run from that tree with their settings pointed at temporary folders.
 */
export function pipelineSite(opts: { pfsense?: boolean; fileBackupRequireMount?: boolean } = {}) {
  const { site, host } = testSite({ metrics: MetricsSink.pushgateway('http://127.0.0.1:9') });
  const bypass = BypassList.of({ '/srv/nfs': BYPASS_NAMES, '/srv/nfs-ssd': 'all' });
  const manifest = OffsiteManifest.of('/mnt/backup');
  const snapshots = new LvmSnapshotTimer(site, 'Snapshots', { host, excludeNamespaces: ['dbaas', 'monitoring'], alertName: 'LVMSnapshot' });
  const fileBackup = new FileBackup(site, 'DailyBackup', {
    host,
    manifest,
    pvcs: { snapshots },
    sqlite: true,
    pveConfig: { paths: ['/etc/pve'] },
    pfsense: opts.pfsense === false ? undefined : { host: 'pfsense.example', sshKeyFile: '/root/.ssh/pfsense' },
    alertName: 'WeeklyBackup',
    staleAfter: Duration.days(8),
  });
  const mirror = new NfsMirror(site, 'NfsMirror', { host, bypass, manifest });
  const tracker = new NfsChangeTracker(site, 'Tracker', { host, paths: ['/srv/nfs', '/srv/nfs-ssd'] });
  const offsite = new OffsiteSync(site, 'Offsite', {
    host,
    target: { name: 'nas', address: '192.0.2.13', sshKeyFile: '/root/.ssh/offsite_key', basePath: '/Backup/Site' },
    manifest,
    ships: [fileBackup, mirror],
    step2: { bypass, changeTracker: tracker },
    alertName: 'OffsiteBackupSync',
  });
  const dir = tempDir('bc-pipeline-');
  writeTree(dir, reviewOf(site).values());
  const hostTree = path.join(dir, 'hosts/pve');
  const script = (p: string) => path.join(hostTree, p);
  return { site, host, bypass, manifest, snapshots, fileBackup, mirror, tracker, offsite, dir, hostTree, script };
}

/**
 * File names rsync does not print as they are in %n: it writes \#ooo for a control character
 * (and for every non-ASCII byte under a C locale without -8), and a backslash is a real one.
 */
export const AWKWARD_NAMES = ['café', 'second\nnl', 'back\\slash', 'x\\#123y', 'tab\there', 'cr\rhere', 'plain.txt'];

/** en_US.UTF-8 compiled from the locales package's source into a folder of its own (LOCPATH). */
export function enUsLocale(): Record<string, string> | undefined {
  if (!fs.existsSync('/usr/share/i18n/locales/en_US')) {
    // as for a missing tool: CI installs it, so there it is a failure, not a skip
    if (process.env.CI === 'true') throw new Error('the en_US locale source is missing: install the Debian package locales (.ci/run does this)');
    // eslint-disable-next-line no-console
    console.warn('skipping the en_US.UTF-8 test: install the Debian package locales');
    return undefined;
  }
  const dir = tempDir('bc-locale-');
  execFileSync('localedef', ['-i', 'en_US', '-f', 'UTF-8', path.join(dir, 'en_US.UTF-8')], { stdio: 'ignore' });
  return { LOCPATH: dir, LANG: 'en_US.UTF-8', LC_ALL: 'en_US.UTF-8' };
}

/** What a systemd service without a locale runs under. */
export const C_LOCALE = { LANG: 'C', LC_ALL: 'C' };

/**
 * The NFS mirror's settings for a run from `nfs` to the backup disk `disk` (manifest, lock, work
 * folder and state file under `t`), pushing to `gateway`.
 */
export function localMirrorEnv(o: { t: string; nfs: string; disk: string; gateway: string }): Record<string, string> {
  return {
    BC_PUSHGATEWAY: o.gateway,
    MOUNT_POINT: '/',
    MANIFEST: path.join(o.disk, '.changed-files'),
    MANIFEST_ROOT: o.disk,
    MANIFEST_LOCK: path.join(o.t, 'locks/manifest.lock'),
    SOURCE: o.nfs,
    DEST: o.disk,
    WORK_DIR: path.join(o.t, 'work'),
    STATE_FILE: path.join(o.t, 'state/mirrored-entries'),
  };
}

/**
 * The off-site sync's settings for a run against local folders standing in for the NAS: Step 1
 * ships `disk` to `<offsite>/pve-backup/`, Step 2 the two NFS roots to `<offsite>/nfs/` and
 * `<offsite>/nfs-ssd/`, reading `changeLog`. Callers add the sink and manifest settings.
 */
export function localOffsiteEnv(o: { t: string; disk: string; offsite: string; nfs: string; ssd: string; changeLog: string; fullSync: 'always' | 'never'; workDir?: string }): Record<string, string> {
  return {
    STEP1_SOURCE: o.disk,
    STEP1_DEST: `${o.offsite}/pve-backup/`,
    CHANGE_LOG: o.changeLog,
    CHANGE_LOG_LOCK: path.join(o.t, 'locks/changes.lock'),
    STEP2_SOURCE_0: o.nfs,
    STEP2_DEST_0: `${o.offsite}/nfs/`,
    STEP2_SOURCE_1: o.ssd,
    STEP2_DEST_1: `${o.offsite}/nfs-ssd/`,
    FULL_SYNC: o.fullSync,
    WORK_DIR: path.join(o.t, o.workDir ?? 'work-offsite'),
  };
}

/** Runs a generated script with settings from env (and a private work folder). */
export function runScript(file: string, env: Record<string, string>, args: string[] = []): SpawnSyncReturns<string> {
  return spawnSync(file, args, { env: { ...process.env, ...ownLock(env) }, encoding: 'utf8', timeout: 60_000 });
}

/** Each run takes its job's lock in a folder of its own, so test files running at once do not wait on each other. */
function ownLock(env: Record<string, string>): Record<string, string> {
  return { BC_LOCK_0: path.join(tempDir('bc-lock-'), 'job.lock'), ...env };
}

/**
 * Starts a script, sends SIGTERM to its process group after `afterMs` (as systemd stops a
 * unit), or once `until` holds (checked every 50 ms for up to 30 s), and resolves with its exit
 * code.
 */
export async function runAndTerminate(file: string, env: Record<string, string>, afterMs: number, until?: () => boolean): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(file, [], { env: { ...process.env, ...ownLock(env) }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  await new Promise((r) => setTimeout(r, afterMs));
  const deadline = Date.now() + 30_000;
  while (until && !until() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  process.kill(-child.pid!, 'SIGTERM');
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return { code, stderr };
}

/** Writes files (relative path -> content) under a folder. */
export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const f = path.join(root, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, content);
  }
}

/** Every regular file under a folder, as paths relative to it, sorted. */
export function filesUnder(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(root, p));
    }
  };
  walk(root);
  return out.sort();
}

/** Lines of a file, without empty ones; none when it does not exist. */
export function lines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}
