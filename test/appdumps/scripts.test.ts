import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { AppDumpCronJob, BackupVolume, DumpEngine, Schedule } from '../../constructs';
import { renderMetricsFunctions } from '../../lib/render/metrics-shell';
import { Pushgateway } from '../helpers/pushgateway';
import { synthJson } from '../helpers/synth';
import { shellcheck, tempDir } from '../helpers/tools';
import { age, busyboxPath, describeWithTools, labSite, listDir, newArtifacts, podScripts, PodScripts, rotationFixtures, runPod, runScript, startContainer, waitForFile, which } from './run';

function commandJob(command: string, verify?: string, schedule: Schedule = Schedule.daily('02:00')): PodScripts {
  const { site } = labSite();
  new AppDumpCronJob(site, 'Files', {
    namespace: 'apps',
    jobId: 'files-backup',
    engine: DumpEngine.command({ description: 'a tarball of the files', protects: 'files', command, verify, extension: '.tar.gz', cleanup: 'if [ -n "${marker:-}" ]; then touch "$marker.cleaned"; fi', settings: { SOURCE: '/data/files' } }),
    image: 'alpine:3.20',
    schedule,
    retentionDays: 7,
    backupVolume: BackupVolume.existingClaim('files-backup'),
  });
  return podScripts(synthJson(site), 'files-backup');
}

const labels = { backup_job: 'files-backup', site: 'lab', host: 'k8s' };

describeWithTools([['prometheus-pushgateway', 'prometheus-pushgateway'], ['shellcheck', 'shellcheck']], 'the command engine and the report container, run for real', () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  const TAR = 'marker="$BC_WORK/run"\ntouch "$marker"\ntar -czf "$BC_OUT" -C "$SOURCE" .';

  it('passes shellcheck with the stack\'s lines inside', () => {
    const s = commandJob(TAR, 'tar -tzf "$BC_OUT" >/dev/null');
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'dump'), s.dump);
    fs.writeFileSync(path.join(dir, 'report'), s.report);
    expect(shellcheck(path.join(dir, 'dump'))).toEqual({ status: 0, output: '' });
    expect(shellcheck(path.join(dir, 'report'))).toEqual({ status: 0, output: '' });
  });

  it('commits what the command wrote, runs the cleanup, removes a killed run\'s work folder and rotates', async () => {
    const s = commandJob(TAR, 'tar -tzf "$BC_OUT" >/dev/null');
    const source = tempDir();
    fs.writeFileSync(path.join(source, 'a.txt'), 'x'.repeat(5000));
    const out = tempDir();
    const fx = rotationFixtures(out, 'files-backup', '.tar.gz', 7);
    fs.mkdirSync(path.join(out, '.bc-work-files-backup-20200101T000000Z'));
    fs.mkdirSync(path.join(out, '.bc-work-other-job-20200101T000000Z'));
    // a job whose id starts with this one's, sharing the folder, may be running right now
    fs.mkdirSync(path.join(out, '.bc-work-files-backup-extra-20200101T000000Z'));
    fs.writeFileSync(path.join(out, '.bc-work-files-backup-extra-20200101T000000Z/part.tar.gz'), 'in progress');
    const run = runPod(s, 'dash', { SOURCE: source, BC_OUT_DIR: out, BC_STATUS_DIR: tempDir() }, gw.url);
    expect(run.dump.stderr).not.toMatch(/FAILED/);
    expect(run.report.status).toBe(0);
    const [archive] = newArtifacts(out, 'files-backup', '.tar.gz');
    expect(archive).toBeDefined();
    expect(listDir(out).filter((n) => n.startsWith('.bc-work'))).toEqual(['.bc-work-files-backup-extra-20200101T000000Z', '.bc-work-other-job-20200101T000000Z']);
    expect(fs.readFileSync(path.join(out, '.bc-work-files-backup-extra-20200101T000000Z/part.tar.gz'), 'utf8')).toBe('in progress');
    expect(fs.existsSync(fx.ownOld)).toBe(false);
    expect(fs.existsSync(fx.ownYoung)).toBe(true);
    expect(await gw.value('backup_last_size_bytes', labels)).toBe(fs.statSync(path.join(out, archive)).size);
  });

  describe.each(['dash', 'busybox'] as const)('rotation with a count floor (%s)', (shell) => {
    // a daily job kept 7 days: 7 runs in the retention, so 7 dumps stay however old they are
    const rotate = (ages: readonly number[], env: Record<string, string> = {}) => {
      const s = commandJob(TAR);
      expect(s.dump).toContain('BC_KEEP_AT_LEAST=${BC_KEEP_AT_LEAST:-7}');
      const source = tempDir();
      fs.writeFileSync(path.join(source, 'a.txt'), 'x'.repeat(5000));
      const out = tempDir();
      // oldest first, one a day: names and ages agree, as a steady job leaves them
      const names = ages.map((days, i) => {
        const name = `files-backup-${new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().replace(/[-:]|\.\d+/g, '')}.tar.gz`;
        fs.writeFileSync(path.join(out, name), 'old dump');
        age(path.join(out, name), days);
        return name;
      });
      // the alpine image's tools: busybox find, sort and tar (the command's touch too)
      const PATH = shell === 'busybox' ? busyboxPath({ touch: which('busybox') }) : (process.env.PATH ?? '');
      const r = runScript(shell, s.dump, { SOURCE: source, BC_OUT_DIR: out, BC_STATUS_DIR: tempDir(), PATH, ...env });
      expect(r.stderr).not.toMatch(/FAILED/);
      expect(r.status).toBe(0);
      expect(newArtifacts(out, 'files-backup', '.tar.gz')).toHaveLength(1);
      return { kept: names.filter((n) => fs.existsSync(path.join(out, n))), names };
    };

    it('after a month without a good dump (or a clock jumped a month ahead) keeps the newest 6 beside the new one', () => {
      const { kept, names } = rotate([40, 39, 38, 37, 36, 35, 34, 33, 32, 31]);
      expect(kept).toEqual(names.slice(4));
    });

    it('in a steady series deletes exactly the dumps past the retention, as age alone did', () => {
      const ages = Array.from({ length: 20 }, (_, i) => 19.5 - i);
      const { kept, names } = rotate(ages);
      expect(kept).toEqual(names.filter((_, i) => ages[i] < 7));
    });

    it('takes the floor from the environment like its other settings', () => {
      expect(rotate([40, 39, 38], { BC_KEEP_AT_LEAST: '1' }).kept).toEqual([]);
    });
  });

  it('writes the artifact readable by the dump\'s user only under an image\'s umask 022, and the outcome still readable by the report', () => {
    // GIVEN an image whose shell starts with umask 022 and a backup folder of mode 0755 (an NFS export)
    const s = commandJob(TAR);
    const source = tempDir();
    fs.writeFileSync(path.join(source, 'a.txt'), 'x'.repeat(5000));
    const out = tempDir();
    fs.chmodSync(out, 0o755);
    const status = tempDir();
    // WHEN the dump runs
    const r = runScript('dash', `umask 022\n${s.dump}`, { SOURCE: source, BC_OUT_DIR: out, BC_STATUS_DIR: status, BC_DEFER_STATUS: '1' });
    expect(r.stderr).not.toMatch(/FAILED/);
    // THEN the artifact (a whole database, for the other engines) is no other user's to read
    const [archive] = newArtifacts(out, 'files-backup', '.tar.gz');
    expect(archive).toBeDefined();
    expect(fs.statSync(path.join(out, archive)).mode & 0o777).toBe(0o600);
    // and the outcome and process id stay readable by the report container, which runs as nobody
    expect(fs.statSync(path.join(status, 'status')).mode & 0o777).toBe(0o644);
    expect(fs.statSync(path.join(status, 'pid')).mode & 0o777).toBe(0o644);
  });

  it("makes the dumps it keeps from before artifacts were private readable by their owner only, and no other job's", () => {
    // GIVEN dumps an older version wrote 0644 in 0755 folders, this job's and another's
    const s = commandJob(TAR);
    const source = tempDir();
    fs.writeFileSync(path.join(source, 'a.txt'), 'x'.repeat(5000));
    const out = tempDir();
    const own = path.join(out, 'files-backup-20200101T000000Z.tar.gz');
    // a folder artifact, as the SQLite engine's runs are
    const ownFolder = path.join(out, 'files-backup-20200102T000000Z.tar.gz');
    const other = path.join(out, 'other-job-20200101T000000Z.tar.gz');
    for (const f of [own, other]) fs.writeFileSync(f, 'old dump', { mode: 0o644 });
    fs.mkdirSync(ownFolder, { mode: 0o755 });
    fs.writeFileSync(path.join(ownFolder, 'part'), 'p', { mode: 0o644 });
    // WHEN the job runs (a day old: kept by the retention)
    for (const f of [own, ownFolder, other]) age(f, 1);
    const r = runScript('dash', s.dump, { SOURCE: source, BC_OUT_DIR: out, BC_STATUS_DIR: tempDir(), BC_DEFER_STATUS: '1' });
    expect(r.stderr).not.toMatch(/FAILED|warning/);
    // THEN its own kept dumps are its user's only; another job's are not its to change
    expect(fs.statSync(own).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(ownFolder, 'part')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(other).mode & 0o777).toBe(0o644);
  });

  it('on the first Sunday only: cron runs days 1-7, the dump checks the weekday, and a skipped day pushes nothing', async () => {
    const firstSunday = Schedule.firstWeekdayOfMonth('sun', '04:00').inTimeZone('UTC');
    const json = (() => {
      const { site } = labSite();
      new AppDumpCronJob(site, 'Files', { namespace: 'apps', jobId: 'files-backup', engine: DumpEngine.command({ description: 'd', protects: 'files', command: TAR, extension: '.tar.gz', settings: { SOURCE: '/data/files' } }), image: 'alpine:3.20', schedule: firstSunday, retentionDays: 7, backupVolume: BackupVolume.existingClaim('files-backup') });
      return synthJson(site);
    })();
    expect(JSON.stringify(json)).toContain('"schedule":"0 4 1-7 * *"');
    const s = commandJob(TAR, undefined, firstSunday);
    // a date that says what weekday it is told to, and is the real date otherwise
    const bin = tempDir();
    fs.writeFileSync(path.join(bin, 'date'), `#!/bin/sh\ncase "$*" in +%w) echo "$FAKE_WEEKDAY" ;; *) exec ${spawnSync('sh', ['-c', 'command -v date'], { encoding: 'utf8' }).stdout.trim()} "$@" ;; esac\n`, { mode: 0o755 });
    const source = tempDir();
    fs.writeFileSync(path.join(source, 'a.txt'), 'x'.repeat(5000));
    const at = (weekday: string, extra: Record<string, string> = {}) => {
      const out = tempDir();
      const run = runPod(s, 'dash', { SOURCE: source, BC_OUT_DIR: out, BC_STATUS_DIR: tempDir(), FAKE_WEEKDAY: weekday, PATH: `${bin}:${process.env.PATH}`, ...extra }, gw.url);
      return { run, out };
    };
    await fetch(`${gw.url}/metrics/job/files-backup/backup_job/files-backup/site/lab/host/k8s`, { method: 'DELETE' });
    const monday = at('1');
    expect(monday.run.dump.status).toBe(0);
    expect(monday.run.dump.stderr).toContain('files-backup: runs only on Sun: nothing to do today');
    expect(monday.run.report).toMatchObject({ status: 0 });
    expect(listDir(monday.out)).toEqual([]);
    expect(await gw.value('backup_last_run_timestamp_seconds', labels)).toBeUndefined();
    const sunday = at('0');
    expect(sunday.run.report.status).toBe(0);
    expect(newArtifacts(sunday.out, 'files-backup', '.tar.gz')).toHaveLength(1);
    expect(await gw.value('backup_last_status', labels)).toBe(0);
    // by hand on a Tuesday
    const byHand = at('2', { BC_ANY_WEEKDAY: '1' });
    expect(newArtifacts(byHand.out, 'files-backup', '.tar.gz')).toHaveLength(1);
  });

  it('fails loudly, rather than checking the weekday in UTC, when the image has no data for the schedule\'s zone', async () => {
    const s = commandJob(TAR, undefined, Schedule.firstWeekdayOfMonth('sun', '00:30').inTimeZone('Europe/Prague'));
    const run = runPod(s, 'dash', { SOURCE: tempDir(), BC_OUT_DIR: tempDir(), BC_STATUS_DIR: tempDir(), TZDIR: tempDir() }, gw.url);
    expect(run.dump.status).toBe(1);
    expect(run.dump.stderr).toContain('files-backup: this image has no time zone data for Europe/Prague (tzdata), so it cannot tell the weekday there');
    expect(run.report.status).toBe(1);
    expect(await gw.value('backup_last_status', labels)).toBe(1);
  });

  it('fails when the command writes nothing, when its check fails, and when the command fails; the cleanup runs every time', () => {
    const cases: [string, string | undefined, RegExp][] = [
      ['marker="$BC_OUT_DIR/marker-nothing"\ntrue', undefined, /the command wrote nothing/],
      ['marker="$BC_OUT_DIR/marker-verify"\necho junk >"$BC_OUT"', 'tar -tzf "$BC_OUT" >/dev/null', /failed with status/],
      ['marker="$BC_OUT_DIR/marker-cmd"\ntar -czf "$BC_OUT" -C /nonexistent .', undefined, /failed with status/],
    ];
    for (const [command, verify, message] of cases) {
      const out = tempDir();
      const r = runScript('dash', commandJob(command, verify).dump, { BC_OUT_DIR: out, BC_STATUS_DIR: tempDir() });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(newArtifacts(out, 'files-backup', '.tar.gz')).toEqual([]);
      expect(listDir(out).filter((n) => n.startsWith('marker-') && n.endsWith('.cleaned'))).toHaveLength(1);
    }
  });

  it('the report container pushes a failure when the dump recorded no outcome (killed), and keeps the status when the push fails', async () => {
    const s = commandJob(TAR);
    // the dump container recorded its process, which is gone
    const gone = tempDir();
    fs.writeFileSync(path.join(gone, 'pid'), `${spawnSync('true').pid}\n`);
    const noOutcome = runScript('dash', s.report, { BC_STATUS_DIR: gone, BC_PUSHGATEWAY: gw.url });
    expect(noOutcome.status).toBe(1);
    expect(noOutcome.stderr).toMatch(/recorded no outcome; reporting a failure/);
    expect(await gw.value('backup_last_status', labels)).toBe(1);
    expect(await gw.value('backup_last_run_timestamp_seconds', labels)).toBeGreaterThan(Date.now() / 1000 - 60);

    const status = tempDir();
    fs.writeFileSync(path.join(status, 'status'), 'backup_last_run_timestamp_seconds 100\nbackup_last_status 0\nbackup_last_success_timestamp_seconds 100\n');
    const unreachable = runScript('dash', s.report, { BC_STATUS_DIR: status, BC_PUSHGATEWAY: 'http://127.0.0.1:9' });
    expect(unreachable.status).toBe(0);
    expect(unreachable.stderr).toMatch(/WARNING: could not push the outcome \(status 0\)/);
  });

  describe('in the pod the report runs beside the dump and reports every way the dump can end', () => {
    const SLOW = 'sleep 30 &\nwait $!\ntar -czf "$BC_OUT" -C "$SOURCE" .';
    const pod = (s: PodScripts) => {
      const status = tempDir();
      const source = tempDir();
      fs.writeFileSync(path.join(source, 'a.txt'), 'x'.repeat(5000));
      const dump = startContainer('dash', s.dump, { SOURCE: source, BC_OUT_DIR: tempDir(), BC_STATUS_DIR: status, BC_DEFER_STATUS: '1' });
      const report = startContainer('busybox', s.report, { BC_STATUS_DIR: status, BC_PUSHGATEWAY: gw.url, BC_POLL_SECONDS: '0.2' });
      return { status, dump, report };
    };
    // each case starts from a Pushgateway without this job's series
    beforeEach(async () => {
      await fetch(`${gw.url}/metrics/job/files-backup/backup_job/files-backup/site/lab/host/k8s`, { method: 'DELETE' });
    });

    it('the dump container killed outright (an OOM kill takes the whole container): a failure is pushed at once', async () => {
      const s = commandJob(SLOW);
      const { status, dump, report } = pod(s);
      await waitForFile(path.join(status, 'pid'));
      await new Promise((r) => setTimeout(r, 500));
      dump.kill('SIGKILL');
      const started = Date.now();
      const r = await report.done;
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/the dump's process \d+ is gone \(killed, e\.g\. out of memory\)/);
      expect(await gw.value('backup_last_status', labels)).toBe(1);
      expect(await gw.value('backup_last_success_timestamp_seconds', labels)).toBeUndefined();
    });

    it('the pod stopped at the Job\'s deadline: the dump records 143 and the report pushes it', async () => {
      const s = commandJob(SLOW);
      const { status, dump, report } = pod(s);
      await waitForFile(path.join(status, 'pid'));
      await new Promise((r) => setTimeout(r, 500));
      // the kubelet stops every container of the pod
      dump.kill('SIGTERM');
      report.kill('SIGTERM');
      const r = await report.done;
      expect((await dump.done).status).toBe(0);
      expect(r.status).toBe(143);
      expect(await gw.value('backup_last_status', labels)).toBe(143);
    });

    it('a dump that never started (its image never pulled) is reported when the deadline stops the pod', async () => {
      const s = commandJob(TAR);
      const status = tempDir();
      const report = startContainer('busybox', s.report, { BC_STATUS_DIR: status, BC_PUSHGATEWAY: gw.url, BC_POLL_SECONDS: '0.2' });
      await new Promise((r) => setTimeout(r, 1000));
      report.kill('SIGTERM');
      const r = await report.done;
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/stopped before the dump recorded an outcome/);
      expect(await gw.value('backup_last_status', labels)).toBe(1);
    });

    // the report container runs as nobody; an image may set a umask of 077 for the dump
    (process.getuid?.() === 0 ? it : it.skip)('a report running as nobody reads what a root dump with umask 077 recorded', async () => {
      const s = commandJob('tar -czf "$BC_OUT" -C "$SOURCE" .');
      // an emptyDir: open to every user (the test's own temporary folders are not)
      const status = fs.mkdtempSync('/tmp/bc-emptydir-');
      fs.chmodSync(status, 0o777);
      const source = tempDir();
      fs.writeFileSync(path.join(source, 'a.txt'), 'x'.repeat(5000));
      const dump = startContainer('dash', `umask 077\n${s.dump}`, { SOURCE: source, BC_OUT_DIR: tempDir(), BC_STATUS_DIR: status, BC_DEFER_STATUS: '1' });
      const report = startContainer('busybox', s.report, { BC_STATUS_DIR: status, BC_PUSHGATEWAY: gw.url, BC_POLL_SECONDS: '0.2' }, { uid: 65534, gid: 65534 });
      expect((await dump.done).status).toBe(0);
      // a report that cannot read the outcome waits for the pod's deadline: stopped here instead
      const timer = setTimeout(() => report.kill('SIGKILL'), 15_000);
      const r = await report.done;
      clearTimeout(timer);
      fs.rmSync(status, { recursive: true, force: true });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(await gw.value('backup_last_status', labels)).toBe(0);
    });

    it('a dump that succeeds while the report waits beside it: success is pushed once it is done', async () => {
      const s = commandJob('sleep 1\ntar -czf "$BC_OUT" -C "$SOURCE" .');
      const { dump, report } = pod(s);
      const r = await report.done;
      expect((await dump.done).status).toBe(0);
      expect(r.stdout).toMatch(/reported status 0/);
      expect(r.status).toBe(0);
      expect(await gw.value('backup_last_status', labels)).toBe(0);
    });
  });

  it('its series sit beside the host scripts\' in one Pushgateway: same names, same HELP, so neither push is refused', async () => {
    // a host job (ScheduledHostJob's metric functions) pushes first
    const host = spawnSync('bash', ['-c', `${renderMetricsFunctions()}\nbc_report "" backup_last_status 0 backup_last_size_bytes 12`], {
      env: { ...process.env, BC_JOB: 'daily-backup', BC_SITE: 'lab', BC_HOST: 'pve', BC_SINK: 'pushgateway', BC_PUSHGATEWAY: gw.url },
      encoding: 'utf8',
    });
    expect(host.stderr).toBe('');
    expect(host.status).toBe(0);
    const s = commandJob(TAR);
    const status = tempDir();
    fs.writeFileSync(path.join(status, 'status'), 'backup_last_run_timestamp_seconds 200\nbackup_last_status 0\nbackup_last_success_timestamp_seconds 200\nbackup_last_size_bytes 34\n');
    const r = runScript('dash', s.report, { BC_STATUS_DIR: status, BC_PUSHGATEWAY: gw.url });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(await gw.value('backup_last_size_bytes', { backup_job: 'daily-backup', host: 'pve' })).toBe(12);
    expect(await gw.value('backup_last_size_bytes', labels)).toBe(34);
  });
});
