import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Schedule, ScheduledHostJob } from '../../constructs';
import { systemdVerify } from '../helpers/systemd';
import { testSite } from '../helpers/fixtures';
import { modelOf, reviewOf, writeTree } from '../helpers/synth';
import { describeWithTool, shellcheck, tempDir } from '../helpers/tools';

function jobSite(body: string, extra: Partial<ConstructorParameters<typeof ScheduledHostJob>[2]> = {}) {
  const { site, host } = testSite();
  const first = new ScheduledHostJob(site, 'First', { host, jobId: 'first-job', schedule: Schedule.daily('04:00'), description: 'first', body: 'true' });
  const job = new ScheduledHostJob(site, 'Job', {
    host,
    jobId: 'daily-backup',
    schedule: Schedule.daily('05:00'),
    description: 'copy things',
    body,
    settings: { TARGET: '/mnt/backup' },
    locks: ['/run/backup-constructs/manifest.lock'],
    after: [first],
    extraMetrics: ['backup_last_size_bytes'],
    ...extra,
  });
  const dir = tempDir();
  writeTree(dir, reviewOf(site).values());
  return { site, job, dir, hostTree: path.join(dir, 'hosts/pve') };
}

function runJob(script: string, dir: string, env: Record<string, string> = {}) {
  return spawnSync(script, [], { env: { ...process.env, BC_TEXTFILE_DIR: path.join(dir, 'prom'), ...env }, encoding: 'utf8' });
}

function prom(dir: string): string {
  return fs.readFileSync(path.join(dir, 'prom/backup_daily-backup.prom'), 'utf8');
}

describe('ScheduledHostJob', () => {
  it('installs a script, a oneshot service with low priority and a persistent timer, and registers job and signal', () => {
    const { site, job } = jobSite('echo hi');
    const review = reviewOf(site);
    const service = review.get('hosts/pve/etc/systemd/system/bc-daily-backup.service')!.content;
    expect(service).toContain('[Service]\nType=oneshot\nExecStart=/usr/local/lib/backup-constructs/daily-backup.sh\nNice=10\nIOSchedulingClass=idle\n');
    expect(service).toContain('After=bc-first-job.service');
    expect(review.get('hosts/pve/etc/systemd/system/bc-daily-backup.timer')!.content).toContain('[Timer]\nOnCalendar=*-*-* 05:00:00\nPersistent=true\nUnit=bc-daily-backup.service\n');
    expect(job.staleAfter.toHours()).toBe(26);
    const model = modelOf(site);
    expect(model.job('daily-backup')).toMatchObject({ kind: 'host-job', after: ['first-job'], alertName: 'DailyBackup' });
    expect(model.signalsOf('daily-backup')[0].metrics).toContain('backup_last_size_bytes');
  });

  it('fails when the body is empty or the timeout is not a Duration', () => {
    const { site, host } = testSite();
    expect(() => new ScheduledHostJob(site, 'J', { host, jobId: 'jj', schedule: Schedule.daily('05:00'), description: 'x', body: '', timeout: '1h' } as never)).toThrow(
      /\[test\/J\] body: .*got ""[\s\S]*\[test\/J\] timeout: expected a Duration/,
    );
  });
});

describeWithTool('shellcheck', 'shellcheck', 'ScheduledHostJob scripts, run for real', () => {
  it('pass shellcheck and systemd-analyze verify', () => {
    const { job, hostTree } = jobSite('echo "$TARGET"');
    expect(shellcheck(path.join(hostTree, job.scriptPath)).output).toBe('');
    const v = systemdVerify(hostTree, ['bc-daily-backup.service', 'bc-daily-backup.timer']);
    expect(v.output).toBe('');
    expect(v.status).toBe(0);
  });

  it('reports success with extra series, a failure without touching the last success, and a SIGTERM as a failure', async () => {
    const { job, dir, hostTree } = jobSite('bc_metric backup_last_size_bytes 42\nif [ -n "${SLEEP:-}" ]; then sleep 30; fi\n[ -z "${FAIL:-}" ]');
    const script = path.join(hostTree, job.scriptPath);
    const env = { BC_LOCK_0: path.join(dir, 'locks/manifest.lock') };
    expect(runJob(script, dir, env).status).toBe(0);
    const first = prom(dir);
    expect(first).toMatch(/^backup_last_status\{backup_job="daily-backup",site="test",host="pve"\} 0$/m);
    expect(first).toMatch(/^backup_last_size_bytes\{[^}]*\} 42$/m);
    const success = /^backup_last_success_timestamp_seconds\{[^}]*\} (\d+)$/m.exec(first)![1];

    const failed = runJob(script, dir, { ...env, FAIL: '1' });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('daily-backup failed with status 1');
    expect(prom(dir)).toMatch(/^backup_last_status\{[^}]*\} 1$/m);
    expect(prom(dir)).toContain(`} ${success}`);

    // systemd stops a unit by sending SIGTERM to its whole control group: do the same to the
    // process group, so the running `sleep` ends too and bash runs its trap
    const child = spawn(script, [], { env: { ...process.env, BC_TEXTFILE_DIR: path.join(dir, 'prom'), ...env, SLEEP: '1' }, detached: true });
    await new Promise((r) => setTimeout(r, 500));
    process.kill(-child.pid!, 'SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(143);
    expect(prom(dir)).toMatch(/^backup_last_status\{[^}]*\} 143$/m);
  });
});
