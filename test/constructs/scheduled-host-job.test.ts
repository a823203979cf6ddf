import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Duration, Host, LvmSnapshotTimer, Schedule, ScheduledHostJob } from '../../constructs';
import { errorOf } from '../helpers/process-group';
import { systemdVerify } from '../helpers/systemd';
import { testSite } from '../helpers/fixtures';
import { modelOf, reviewOf, writeTree } from '../helpers/synth';
import { describeWithTools, shellcheck, tempDir } from '../helpers/tools';

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

  it('registers a step as a job of its own: same schedule and host, its own alert name, threshold and signal, part of the job', () => {
    const disk = 'local-disk:pve:/mnt/backup';
    const { site } = jobSite('true', { writesTo: [disk], steps: [{ jobId: 'fw-backup', description: 'firewall config', staleAfter: Duration.days(8), writesTo: [disk] }] });
    const model = modelOf(site);
    expect(model.job('fw-backup')).toMatchObject({ partOf: 'daily-backup', host: 'pve', alertName: 'FwBackup', staleAfterHours: 192, staleAfterExplicit: true, derivedStaleAfterHours: 26, scheduleHuman: 'daily at 05:00, as a step of daily-backup' });
    expect(model.job('fw-backup')!.schedule).toEqual(model.job('daily-backup')!.schedule);
    expect(model.signalsOf('fw-backup')[0]).toMatchObject({ labels: { backup_job: 'fw-backup', site: 'test', host: 'pve' }, destination: expect.stringMatching(/\/backup_fw-backup\.prom$/) });
    // a step and its job never run at once, so they do not contend for the target
    expect(model.allFindings().filter((f) => f.rule === 'contention')).toEqual([]);
  });

  it('fails when a step has the id of its job', () => {
    const { site, host } = testSite();
    expect(() => new ScheduledHostJob(site, 'J', { host, jobId: 'jj', schedule: Schedule.daily('05:00'), description: 'x', body: 'true', steps: [{ jobId: 'jj', description: 'y' }] })).toThrow(/job ids name metrics/);
  });

  it('fails when a second job of one id is installed on the same host, naming jobId (not the script path)', () => {
    const { site, host } = testSite();
    new ScheduledHostJob(site, 'A', { host, jobId: 'sync', schedule: Schedule.daily('05:00'), description: 'x', body: 'true' });
    expect(() => new ScheduledHostJob(site, 'B', { host, jobId: 'sync', schedule: Schedule.daily('06:00'), description: 'y', body: 'true' })).toThrow(
      /^\[test\/B\] jobId: job "sync" is already registered in site test by test\/A \(hint: job ids name metrics, alerts and Proxmox jobs; give each job its own\)$/,
    );
  });

  it('writes a % in a unit value as %% so systemd does not read it as a specifier and drop the line', () => {
    const { site } = jobSite('true', { description: 'copy 100% of files' });
    const service = reviewOf(site).get('hosts/pve/etc/systemd/system/bc-daily-backup.service')!.content;
    expect(service).toContain('Description=copy 100%% of files (backup-constructs daily-backup)\n');
  });

  it('fails when a path carries shell or systemd characters (a % is a specifier in a unit, a quote or $ changes a script)', () => {
    const { site, host } = testSite();
    const base = { host, schedule: Schedule.daily('05:00'), description: 'x', body: 'true' };
    expect(() => new ScheduledHostJob(site, 'J', { ...base, jobId: 'jj', environmentFile: '/etc/backup/%n.env' })).toThrow(
      /\[test\/J\] environmentFile: expected an absolute path of letters, digits and _ \. @ \+ , : = - \(no spaces, quotes or shell characters such as \$ ` ; %\), got a value \(not shown/,
    );
    expect(() => new ScheduledHostJob(site, 'K', { ...base, jobId: 'kk', locks: ['/run/$(id).lock'] })).toThrow(/\[test\/K\] locks\.0: expected an absolute path of letters/);
  });

  it('fails when the description has a control character or is blank (a carriage return ends a line in calendar.ics)', () => {
    const { site, host } = testSite();
    const base = { host, schedule: Schedule.daily('05:00'), body: 'true' };
    expect(() => new ScheduledHostJob(site, 'J', { ...base, jobId: 'jj', description: 'a\rExecStartPre=/bin/evil' })).toThrow(/\[test\/J\] description: expected one line without control characters, got "a\\rExecStartPre=\/bin\/evil"/);
    expect(() => new ScheduledHostJob(site, 'K', { ...base, jobId: 'kk', description: '   ' })).toThrow(/\[test\/K\] description: expected a description, got only whitespace/);
  });

  it('fails when a lock is listed twice (the second flock would wait for the first) or names a folder', () => {
    const { site, host } = testSite();
    const base = { host, schedule: Schedule.daily('05:00'), description: 'x', body: 'true' };
    expect(() => new ScheduledHostJob(site, 'J', { ...base, jobId: 'jj', locks: ['/run/a.lock', '/run/a.lock'] })).toThrow(
      /\[test\/J\] locks: expected each lock file once: a second flock on the same file waits for the first, so the run would hang for an hour and fail, got \["\/run\/a\.lock","\/run\/a\.lock"\] \(hint: list each lock file once/,
    );
    expect(() => new ScheduledHostJob(site, 'K', { ...base, jobId: 'kk', locks: ['/run/locks/'] })).toThrow(/\[test\/K\] locks\.0: expected the path of a file, not a folder \(no trailing \/\), got "\/run\/locks\/"/);
  });

  it('fails when a setting would replace one of the script\'s own variables or be ignored for the environment\'s', () => {
    const { site, host } = testSite();
    const base = { host, schedule: Schedule.daily('05:00'), description: 'x', body: 'true' };
    expect(() => new ScheduledHostJob(site, 'J', { ...base, jobId: 'jj', settings: { BC_JOB: 'other' } })).toThrow(
      /\[test\/J\] settings\.BC_JOB: expected a name of your own: BC_\* are the script's own variables.*, got key "BC_JOB" \(hint: rename the setting, e\.g\. TARGET_DIR\)/,
    );
    expect(() => new ScheduledHostJob(site, 'K', { ...base, jobId: 'kk', settings: { PATH: '/opt/bin' } })).toThrow(/\[test\/K\] settings\.PATH: expected a name of your own/);
    expect(() => new ScheduledHostJob(site, 'L', { ...base, jobId: 'll', settings: { 'my var': 'x' } })).toThrow(/\[test\/L\] settings\.my var: expected an upper-case shell variable name, got key "my var"/);
  });

  it('fails when installedAfter is not what host.install returns', () => {
    const { site, host } = testSite();
    expect(() => new ScheduledHostJob(site, 'J', { host, jobId: 'jj', schedule: Schedule.daily('05:00'), description: 'x', body: 'true', installedAfter: ['/usr/local/bin/tool'] as never })).toThrow(
      /\[test\/J\] installedAfter\.0: expected what host\.install\(\.\.\.\) returns/,
    );
  });

  it('fails when the timeout is zero (TimeoutStartSec=0 would turn the limit off)', () => {
    const { site, host } = testSite();
    expect(() => new ScheduledHostJob(site, 'J', { host, jobId: 'jj', schedule: Schedule.daily('05:00'), description: 'x', body: 'true', timeout: Duration.seconds(0) })).toThrow(
      /\[test\/J\] timeout: expected a Duration of at least 1 second \(TimeoutStartSec=0 turns the limit off\).*\(hint: omit timeout for no limit\)/,
    );
  });

  it("fails when a job of another host holds the id, suggesting a free id carrying this job's host", () => {
    const { site, host } = testSite();
    const other = new Host(site, 'Nas', { name: 'nas', address: '10.0.0.9' });
    new ScheduledHostJob(site, 'A', { host, jobId: 'sync', schedule: Schedule.daily('05:00'), description: 'x', body: 'true' });
    expect(() => new ScheduledHostJob(site, 'B', { host: other, jobId: 'sync', schedule: Schedule.daily('06:00'), description: 'y', body: 'true' })).toThrow(
      /^\[test\/B\] jobId: job "sync" is already registered in site test by test\/A \(hint: job ids name metrics, alerts and Proxmox jobs; give each job its own, e\.g\. jobId: 'sync-nas' for the one on nas\)$/,
    );
    // a suggestion must be free: taken, the hint stays general
    new ScheduledHostJob(site, 'C', { host, jobId: 'sync-nas', schedule: Schedule.daily('05:00'), description: 'x', body: 'true' });
    expect(() => new ScheduledHostJob(site, 'D', { host: other, jobId: 'sync', schedule: Schedule.daily('06:00'), description: 'y', body: 'true' })).toThrow(/\(hint: job ids name metrics, alerts and Proxmox jobs; give each job its own\)$/);
  });

  it('fails when the body is empty or the timeout is not a Duration', () => {
    const { site, host } = testSite();
    expect(() => new ScheduledHostJob(site, 'J', { host, jobId: 'jj', schedule: Schedule.daily('05:00'), description: 'x', body: '', timeout: '1h' } as never)).toThrow(
      /\[test\/J\] body: .*got ""[\s\S]*\[test\/J\] timeout: expected a Duration/,
    );
  });
});

describeWithTools([['shellcheck', 'shellcheck'], ['systemd-analyze', 'systemd']], 'ScheduledHostJob scripts, run for real', () => {
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
    // the success line itself must survive (the run time of the failure may fall in the same second)
    expect(prom(dir)).toMatch(new RegExp(`^backup_last_success_timestamp_seconds\\{backup_job="daily-backup",[^}]*\\} ${success}$`, 'm'));

    // systemd stops a unit by sending SIGTERM to its whole control group: do the same to the
    // process group, so the running `sleep` ends too and bash runs its trap
    const child = spawn(script, [], { env: { ...process.env, BC_TEXTFILE_DIR: path.join(dir, 'prom'), ...env, SLEEP: '1' }, detached: true });
    await new Promise((r) => setTimeout(r, 500));
    process.kill(-child.pid!, 'SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(143);
    expect(prom(dir)).toMatch(/^backup_last_status\{[^}]*\} 143$/m);
  });

  it('reports a missing environment file as a failed run (systemd alone would fail the unit before any metric)', () => {
    const envFile = path.join(tempDir(), 'job.env');
    const { job, dir, hostTree, site } = jobSite('true', { environmentFile: envFile });
    expect(reviewOf(site).get('hosts/pve/etc/systemd/system/bc-daily-backup.service')!.content).toContain(`EnvironmentFile=-${envFile}\n`);
    const script = path.join(hostTree, job.scriptPath);
    expect(shellcheck(script).output).toBe('');
    const env = { BC_LOCK_0: path.join(dir, 'locks/manifest.lock') };
    const missing = runJob(script, dir, env);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`the environment file ${envFile} is missing or unreadable`);
    expect(prom(dir)).toMatch(/^backup_last_status\{[^}]*\} 1$/m);
    fs.writeFileSync(envFile, 'TOKEN_FILE=/root/t\n');
    expect(runJob(script, dir, env).status).toBe(0);
    const v = systemdVerify(hostTree, ['bc-daily-backup.service', 'bc-daily-backup.timer']);
    expect({ status: v.status, output: v.output }).toEqual({ status: 0, output: '' });
  });

  it('reports a step under its own job id on success and failure, and as failed when the run ends inside it', async () => {
    const body = 'bc_step_begin fw-backup\nif [ -n "${SLEEP:-}" ]; then sleep 30; fi\nbc_step_end "${STEP_STATUS:-0}"\n[ "${STEP_STATUS:-0}" -eq 0 ]';
    const { job, dir, hostTree } = jobSite(body, { steps: [{ jobId: 'fw-backup', description: 'firewall config' }] });
    const script = path.join(hostTree, job.scriptPath);
    const env = { BC_LOCK_0: path.join(dir, 'locks/manifest.lock') };
    const step = () => fs.readFileSync(path.join(dir, 'prom/backup_fw-backup.prom'), 'utf8');
    expect(shellcheck(script).output).toBe('');

    expect(runJob(script, dir, env).status).toBe(0);
    expect(step()).toMatch(/^backup_last_status\{backup_job="fw-backup",site="test",host="pve"\} 0$/m);
    const success = /^backup_last_success_timestamp_seconds\{[^}]*\} (\d+)$/m.exec(step())![1];
    expect(prom(dir)).toMatch(/^backup_last_status\{backup_job="daily-backup",site="test",host="pve"\} 0$/m);

    const failed = runJob(script, dir, { ...env, STEP_STATUS: '3' });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('fw-backup failed with status 3');
    expect(step()).toMatch(/^backup_last_status\{backup_job="fw-backup",[^}]*\} 3$/m);
    // the last success stays (the run time of the failure may fall in the same second)
    expect(step()).toMatch(new RegExp(`^backup_last_success_timestamp_seconds\\{backup_job="fw-backup",[^}]*\\} ${success}$`, 'm'));
    expect(prom(dir)).toMatch(/^backup_last_status\{backup_job="daily-backup",[^}]*\} 1$/m);

    const child = spawn(script, [], { env: { ...process.env, BC_TEXTFILE_DIR: path.join(dir, 'prom'), ...env, SLEEP: '1' }, detached: true });
    await new Promise((r) => setTimeout(r, 500));
    process.kill(-child.pid!, 'SIGTERM');
    expect(await new Promise<number | null>((r) => child.on('exit', (c) => r(c)))).toBe(143);
    expect(step()).toMatch(/^backup_last_status\{backup_job="fw-backup",[^}]*\} 143$/m);
    // the job's own series keep the job's labels (the step's id never leaks into them)
    expect(prom(dir)).toMatch(/^backup_last_status\{backup_job="daily-backup",[^}]*\} 143$/m);
    expect(prom(dir)).not.toContain('fw-backup');
  });
});

describe('durations that would switch a safety off', () => {
  it('refuses 0 where it turns a safety off, and a timeout shorter than the expected run', () => {
    const { site, host } = testSite();
    const base = { host, schedule: Schedule.daily('05:00'), description: 'x', body: 'true' };
    expect(errorOf(() => new ScheduledHostJob(site, 'J', { ...base, jobId: 'jj', expectedDuration: Duration.seconds(0) }))).toBe(
      '[test/J] expectedDuration: expected a Duration longer than 0: the stale threshold and the overlap checks count on it, got Duration 0s',
    );
    expect(errorOf(() => new ScheduledHostJob(site, 'K', { ...base, jobId: 'kk', expectedDuration: Duration.hours(2), timeout: Duration.minutes(1) }))).toBe(
      '[test/K] timeout: expected at least the expected duration (2h), got 1m: systemd would kill every run that takes as long as expected (hint: raise timeout above 2h with room to spare, or lower expectedDuration)',
    );
    expect(errorOf(() => new LvmSnapshotTimer(site, 'Snap', { host, keep: Duration.seconds(0) }))).toMatch(/^\[test\/Snap\] keep: expected a Duration longer than 0: every snapshot but the newest few would be deleted on every run/);
    expect(errorOf(() => new LvmSnapshotTimer(site, 'Snap2', { host, minFreeRatio: 0 }))).toMatch(/^\[test\/Snap2\] minFreeRatio: expected a ratio above 0: at 0 snapshots are made until the pool is full/);
    expect(errorOf(() => new Host(site, 'H', { name: 'h', address: '10.0.0.9', connectTimeout: Duration.seconds(0) }))).toMatch(/^\[test\/H\] connectTimeout: expected a Duration longer than 0/);
  });
});

describe('restore steps of a host job', () => {
  it('are checked like props: a bare string or a misspelt field is refused, not written into model.json as given', () => {
    const { site, host } = testSite();
    const message = errorOf(() => new ScheduledHostJob(site, 'J', { host, jobId: 'jj', schedule: Schedule.daily('05:00'), description: 'x', body: 'true', restore: ['do it', { titel: 'T', commands: ['c'] }] as never }));
    expect(message.split('\n')).toEqual([
      '[test/J] restore.0: expected an object, got "do it"',
      '[test/J] restore.1.title: required: expected a string, got nothing (hint: titel is given instead: rename it to title)',
      '[test/J] restore.1.titel: not a known option (hint: did you mean title?)',
    ]);
  });
});
