import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BackupMetric } from '../../constructs';
import { renderVzdumpHook } from '../../lib/render/vzdump-hook';
import { Pushgateway } from '../helpers/pushgateway';
import { describeWithTool, shellcheck, tempDir } from '../helpers/tools';

function writeHook(dir: string, sink: Parameters<typeof renderVzdumpHook>[0]['sink'], jobId = 'backup-p0'): string {
  const file = path.join(dir, `hook-${jobId}.sh`);
  fs.writeFileSync(file, renderVzdumpHook({ jobId, site: 'home', host: 'proxmox-home', sink, constructPath: 'home/P0' }), { mode: 0o755 });
  return file;
}

function phase(hook: string, env: NodeJS.ProcessEnv, ...args: string[]): { status: number; stderr: string } {
  const r = spawnSync(hook, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status ?? -1, stderr: r.stderr };
}

describeWithTool('shellcheck', 'shellcheck', 'vzdump hook script', () => {
  it('passes shellcheck for both sinks', () => {
    const dir = tempDir();
    for (const sink of [{ kind: 'textfile', directory: '/var/lib/x' }, { kind: 'pushgateway', url: 'http://10.0.0.1:9091' }] as const) {
      const r = shellcheck(writeHook(dir, sink));
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    }
  });

  it('records each guest and the job in the textfile collector, keeping the last success on failure', () => {
    const dir = tempDir();
    const textfiles = path.join(dir, 'textfile');
    const hook = writeHook(dir, { kind: 'textfile', directory: '/nonexistent' });
    const env = { BC_TEXTFILE_DIR: textfiles, BC_STATE_DIR: path.join(dir, 'state') };
    const archive = path.join(dir, 'vzdump-qemu-100-2026_01_01-03_00_00.vma.zst');
    fs.writeFileSync(archive, 'x'.repeat(1234));

    expect(phase(hook, env, 'job-start').status).toBe(0);
    expect(phase(hook, { ...env, TARGET: archive }, 'backup-end', 'snapshot', '100').status).toBe(0);
    expect(phase(hook, env, 'job-end').status).toBe(0);
    const guest = fs.readFileSync(path.join(textfiles, 'backup_backup-p0_guest_100.prom'), 'utf8');
    expect(guest).toMatch(new RegExp(`^${BackupMetric.lastSize}\\{backup_job="backup-p0",site="home",host="proxmox-home",guest="100"\\} 1234$`, 'm'));
    const lastSuccess = /backup_last_success_timestamp_seconds\{[^}]*\} (\d+)/.exec(guest)![1];

    // next night the guest fails: status 1, the earlier success time is kept
    expect(phase(hook, env, 'job-start').status).toBe(0);
    expect(phase(hook, env, 'backup-abort', 'snapshot', '100').status).toBe(0);
    expect(phase(hook, env, 'job-end').status).toBe(0);
    const after = fs.readFileSync(path.join(textfiles, 'backup_backup-p0_guest_100.prom'), 'utf8');
    expect(after).toMatch(/^backup_last_status\{.*guest="100"\} 1$/m);
    // the success line itself must survive (the failure's run time may fall in the same second)
    expect(after).toMatch(new RegExp(`^backup_last_success_timestamp_seconds\\{[^}]*guest="100"\\} ${lastSuccess}$`, 'm'));
    expect(after.match(/^# TYPE backup_last_status gauge$/gm)).toHaveLength(1);
    const job = fs.readFileSync(path.join(textfiles, 'backup_backup-p0.prom'), 'utf8');
    expect(job).toMatch(/^backup_last_status\{backup_job="backup-p0",site="home",host="proxmox-home"\} 1$/m);
  });

  it('records no archive size for a PBS storage, where TARGET names a snapshot rather than a file', () => {
    const dir = tempDir();
    const textfiles = path.join(dir, 'textfile');
    const hook = writeHook(dir, { kind: 'textfile', directory: '/nonexistent' });
    const env = { BC_TEXTFILE_DIR: textfiles, BC_STATE_DIR: path.join(dir, 'state') };
    expect(phase(hook, env, 'job-start').status).toBe(0);
    expect(phase(hook, { ...env, TARGET: 'vm/100/2026-01-01T03:00:00Z' }, 'backup-end', 'snapshot', '100').status).toBe(0);
    const guest = fs.readFileSync(path.join(textfiles, 'backup_backup-p0_guest_100.prom'), 'utf8');
    expect(guest).toMatch(/^backup_last_status\{.*guest="100"\} 0$/m);
    expect(guest).toMatch(/^backup_last_success_timestamp_seconds\{.*guest="100"\} \d+$/m);
    // a made-up 0 would read as an empty backup
    expect(guest).not.toContain(BackupMetric.lastSize);
  });

  it('never fails the backup when metrics cannot be written, and says so in the task log', () => {
    const dir = tempDir();
    const hook = writeHook(dir, { kind: 'pushgateway', url: 'http://127.0.0.1:9' });
    const r = phase(hook, { BC_STATE_DIR: path.join(dir, 'state') }, 'backup-abort', 'snapshot', '100');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/WARNING: could not record metrics for job backup-p0 \(phase backup-abort\)/);
  });

  it('keeps the whole earlier metrics file when a write fails (full disk), and says so in the task log', () => {
    const dir = tempDir();
    const textfiles = path.join(dir, 'textfile');
    const hook = writeHook(dir, { kind: 'textfile', directory: '/nonexistent' });
    const env = { BC_TEXTFILE_DIR: textfiles, BC_STATE_DIR: path.join(dir, 'state') };
    expect(phase(hook, env, 'job-start').status).toBe(0);
    expect(phase(hook, env, 'backup-end', 'snapshot', '100').status).toBe(0);
    const file = path.join(textfiles, 'backup_backup-p0_guest_100.prom');
    // a series of another writer, long enough that copying the file crosses the size limit below
    fs.appendFileSync(file, `# other series kept by the merge ${'x'.repeat(2000)}\n`);
    const before = fs.readFileSync(file, 'utf8');

    // files may grow to 1 KiB only: writes beyond fail with EFBIG, as on a full disk with ENOSPC
    const r = spawnSync('bash', ['-c', 'trap "" XFSZ; ulimit -f 1; exec "$0" "$@"', hook, 'backup-abort', 'snapshot', '100'], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/WARNING: could not record metrics for job backup-p0 \(phase backup-abort\)/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.readdirSync(textfiles).sort()).toEqual(['backup_backup-p0_guest_100.prom']);
  });

  it('reports the job failed when a failed guest cannot be added to its state (full disk)', () => {
    const dir = tempDir();
    const textfiles = path.join(dir, 'textfile');
    const state = path.join(dir, 'state');
    const env = { BC_TEXTFILE_DIR: textfiles, BC_STATE_DIR: state };
    const hook = writeHook(dir, { kind: 'textfile', directory: '/nonexistent' });
    expect(phase(hook, env, 'job-start').status).toBe(0);
    fs.symlinkSync('/dev/full', path.join(state, 'backup-p0', 'failed')); // every write fails with ENOSPC
    const abort = phase(hook, env, 'backup-abort', 'snapshot', '100');
    expect(abort.status).toBe(0);
    expect(abort.stderr).toMatch(/could not keep the state of job backup-p0/);
    expect(phase(hook, env, 'job-end').status).toBe(0);
    const job = fs.readFileSync(path.join(textfiles, 'backup_backup-p0.prom'), 'utf8');
    expect(job).toMatch(/^backup_last_status\{backup_job="backup-p0",site="home",host="proxmox-home"\} 1$/m);
  });

  it('never fails the backup when its state folder cannot be written, still records the guest, and reports the job failed', () => {
    const dir = tempDir();
    const textfiles = path.join(dir, 'textfile');
    fs.writeFileSync(path.join(dir, 'not-a-folder'), '');
    // a folder below a regular file cannot be made, not even by root
    const env = { BC_TEXTFILE_DIR: textfiles, BC_STATE_DIR: path.join(dir, 'not-a-folder', 'state') };
    const hook = writeHook(dir, { kind: 'textfile', directory: '/nonexistent' });
    for (const args of [['job-start'], ['backup-abort', 'snapshot', '100'], ['job-end']]) {
      const r = phase(hook, env, ...args);
      expect({ args, status: r.status }).toEqual({ args, status: 0 });
      if (args[0] !== 'job-end') expect(r.stderr).toContain(`WARNING: could not keep the state of job backup-p0 in ${env.BC_STATE_DIR}/backup-p0 (phase ${args[0]})`);
    }
    expect(fs.readFileSync(path.join(textfiles, 'backup_backup-p0_guest_100.prom'), 'utf8')).toMatch(/^backup_last_status\{.*guest="100"\} 1$/m);
    // job-end cannot tell that guest 100 failed: without job-start's state it reports failure
    expect(fs.readFileSync(path.join(textfiles, 'backup_backup-p0.prom'), 'utf8')).toMatch(/^backup_last_status\{backup_job="backup-p0",site="home",host="proxmox-home"\} 1$/m);
  });

  it('turns an unexpected error into a warning in the task log, never a failed backup', () => {
    const dir = tempDir();
    const hook = writeHook(dir, { kind: 'textfile', directory: path.join(dir, 'textfile') });
    // backup-end without the guest argument: `set -u` stops the script at "$3"
    const r = phase(hook, { BC_STATE_DIR: path.join(dir, 'state') }, 'backup-end');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/WARNING: the hook of job backup-p0 failed with status 1 \(phase backup-end\); the backup itself is not affected/);
  });
});

describeWithTool('prometheus-pushgateway', 'prometheus-pushgateway', 'vzdump hook with a real Pushgateway', () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  it('pushes per-guest and job series under distinct grouping keys, and two jobs never overwrite each other', async () => {
    const dir = tempDir();
    const env = { BC_STATE_DIR: path.join(dir, 'state') };
    const p0 = writeHook(dir, { kind: 'pushgateway', url: gw.url }, 'backup-p0');
    const p1 = writeHook(dir, { kind: 'pushgateway', url: gw.url }, 'backup-p1');
    expect(phase(p0, env, 'job-start').status).toBe(0);
    expect(phase(p0, env, 'backup-end', 'snapshot', '100').status).toBe(0);
    expect(phase(p0, env, 'job-end').status).toBe(0);
    expect(phase(p1, env, 'job-start').status).toBe(0);
    expect(phase(p1, env, 'backup-abort', 'snapshot', '103').status).toBe(0);
    expect(phase(p1, env, 'job-end').status).toBe(0);

    expect(await gw.value('backup_last_status', { backup_job: 'backup-p0', job: 'backup-p0', site: 'home', host: 'proxmox-home', guest: '100' })).toBe(0);
    expect(await gw.value('backup_last_status', { backup_job: 'backup-p1', guest: '103' })).toBe(1);
    // each guest only under its own job's grouping key
    expect(await gw.value('backup_last_status', { backup_job: 'backup-p0', guest: '103' })).toBeUndefined();
    expect(await gw.value('backup_last_status', { backup_job: 'backup-p1', guest: '100' })).toBeUndefined();
    const guestLevel = (await gw.metrics()).split('\n').filter((l) => l.startsWith('backup_last_status{') && l.includes('guest='));
    const label = (l: string, name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(l)?.[1];
    expect(guestLevel.map((l) => `${label(l, 'backup_job')}:${label(l, 'guest')}`).sort()).toEqual(['backup-p0:100', 'backup-p1:103']);
    const jobLevel = (await gw.metrics()).split('\n').filter((l) => l.startsWith('backup_last_status{') && !l.includes('guest='));
    expect(jobLevel.sort()).toEqual([expect.stringMatching(/backup_job="backup-p0".*\} 0$/), expect.stringMatching(/backup_job="backup-p1".*\} 1$/)]);
    // the failed job still has no success time, the good one keeps its own
    expect(await gw.value('backup_last_success_timestamp_seconds', { backup_job: 'backup-p1', guest: '103' })).toBeUndefined();
    expect(await gw.value('backup_last_success_timestamp_seconds', { backup_job: 'backup-p0', guest: '100' })).toBeGreaterThan(1.7e9);
  });
});
