import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Pushgateway } from '../helpers/pushgateway';
import { describeWithTools, tempDir } from '../helpers/tools';
import { lines, pipelineSite, writeFiles } from './fixture';

jest.setTimeout(30_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await what()) return;
    await sleep(50);
  }
  throw new Error('timed out');
}

describeWithTools([['inotifywait', 'inotify-tools'], ['prometheus-pushgateway', 'prometheus-pushgateway'], ['pkill', 'procps']], 'NfsChangeTracker run for real (inotifywait, a Pushgateway)', () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  it('logs written, moved-in and new paths under every root, beats while it watches, and reports its stop (SIGTERM) as a failure', async () => {
    const fx = pipelineSite({ pfsense: false });
    const t = tempDir('bc-tracker-');
    const nfs = path.join(t, 'srv/nfs');
    const ssd = path.join(t, 'srv/nfs-ssd');
    writeFiles(nfs, { 'immich/existing.jpg': 'old' });
    fs.mkdirSync(ssd, { recursive: true });
    const log = path.join(t, 'backup/.nfs-changes.log');
    const env = { ...process.env, BC_PUSHGATEWAY: gw.url, WATCH_PATHS: `${nfs} ${ssd}`, CHANGE_LOG: log, CHANGE_LOG_LOCK: path.join(t, 'locks/changes.lock'), HEARTBEAT_SECONDS: '1' };
    const child = spawn(fx.script(fx.tracker.scriptPath), [], { env, detached: true, stdio: 'ignore' });
    try {
      await until(async () => (await gw.value('backup_last_status', { backup_job: 'nfs-change-tracker' })) === 0);
      const firstBeat = (await gw.value('backup_last_success_timestamp_seconds', { backup_job: 'nfs-change-tracker' }))!;
      await sleep(300); // inotifywait sets up its watches
      writeFiles(nfs, { 'immich/new.jpg': 'new', 'postgresql-backup/dump.sql': 'dump' });
      writeFiles(ssd, { 'ollama/blob': 'b' });
      writeFiles(t, { 'staging/moved.bin': 'moved' });
      fs.renameSync(path.join(t, 'staging'), path.join(nfs, 'frigate'));
      // a file written the instant its new folder appears can beat inotifywait's new watch;
      // the folder itself is always logged, and Step 2 copies logged folders recursively
      const wanted = [path.join(nfs, 'immich/new.jpg'), path.join(nfs, 'postgresql-backup'), path.join(nfs, 'frigate'), path.join(ssd, 'ollama')];
      await until(() => wanted.every((w) => lines(log).includes(w)));
      const logged = new Set(lines(log));
      expect(logged.has(path.join(nfs, 'immich/existing.jpg'))).toBe(false);
      await until(async () => ((await gw.value('backup_last_success_timestamp_seconds', { backup_job: 'nfs-change-tracker' })) ?? 0) > firstBeat, 5_000);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
    const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', (c) => r(c))));
    expect(code).toBe(143);
    expect(await gw.value('backup_last_status', { backup_job: 'nfs-change-tracker' })).toBe(143);
  });

  it('logs the folder of a file whose name holds a line break, which a line cannot hold', async () => {
    const fx = pipelineSite({ pfsense: false });
    const t = tempDir('bc-tracker-');
    const nfs = path.join(t, 'srv/nfs');
    fs.mkdirSync(path.join(nfs, 'immich/upload'), { recursive: true });
    const log = path.join(t, 'log');
    const env = { ...process.env, BC_PUSHGATEWAY: gw.url, WATCH_PATHS: nfs, CHANGE_LOG: log, CHANGE_LOG_LOCK: path.join(t, 'lock'), HEARTBEAT_SECONDS: '1' };
    const child = spawn(fx.script(fx.tracker.scriptPath), [], { env, detached: true, stdio: 'ignore' });
    try {
      await until(async () => (await gw.value('backup_last_status', { backup_job: 'nfs-change-tracker' })) === 0);
      await sleep(300); // inotifywait sets up its watches
      fs.writeFileSync(path.join(nfs, 'immich/upload', 'holiday\nphoto.jpg'), 'x');
      fs.writeFileSync(path.join(nfs, 'immich/upload', 'plain.jpg'), 'y');
      await until(() => lines(log).includes(path.join(nfs, 'immich/upload/plain.jpg')));
      expect(lines(log)).toContain(path.join(nfs, 'immich/upload'));
      expect(lines(log).filter((l) => !l.startsWith('/'))).toEqual([]);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
  });

  it('a heartbeat under way when the watch dies never lands after the failure it reports (a slow Pushgateway)', async () => {
    const fx = pipelineSite({ pfsense: false });
    const t = tempDir('bc-tracker-');
    const nfs = path.join(t, 'srv/nfs');
    fs.mkdirSync(nfs, { recursive: true });
    // curl that takes 2 s over a heartbeat ("watching": status 0), and says when one began
    const bin = path.join(t, 'bin');
    const mark = path.join(t, 'beat-started');
    const realCurl = execFileSync('sh', ['-c', 'command -v curl'], { encoding: 'utf8' }).trim();
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'curl'), `#!/bin/bash\nbody=$(cat)\nif grep -q '^backup_last_status 0$' <<<"$body"; then touch '${mark}'; sleep 2; fi\nprintf '%s' "$body" | exec '${realCurl}' "$@"\n`, { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, BC_PUSHGATEWAY: gw.url, WATCH_PATHS: nfs, CHANGE_LOG: path.join(t, 'log'), CHANGE_LOG_LOCK: path.join(t, 'lock'), HEARTBEAT_SECONDS: '1' };
    const child = spawn(fx.script(fx.tracker.scriptPath), [], { env, detached: true, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    await until(() => fs.existsSync(mark));
    // the watch dies (not a stop of the whole service) while that heartbeat is on its way
    execFileSync('pkill', ['-TERM', '-f', `inotifywait -m -r -q .* ${nfs}$`]);
    const code = await exited;
    expect(code).toBe(143);
    await sleep(3000); // long enough for a heartbeat left behind to land
    expect(await gw.value('backup_last_status', { backup_job: 'nfs-change-tracker' })).toBe(143);
  });

  it('a tracker whose watch cannot be set up exits with a failure it reports, for systemd to restart', async () => {
    const fx = pipelineSite({ pfsense: false });
    const t = tempDir('bc-tracker-');
    const env = { ...process.env, BC_PUSHGATEWAY: gw.url, WATCH_PATHS: path.join(t, 'missing'), CHANGE_LOG: path.join(t, 'log'), CHANGE_LOG_LOCK: path.join(t, 'lock'), HEARTBEAT_SECONDS: '1' };
    const child = spawn(fx.script(fx.tracker.scriptPath), [], { env, detached: true, stdio: 'ignore' });
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).not.toBe(0);
    expect(await gw.value('backup_last_status', { backup_job: 'nfs-change-tracker' })).toBe(code);
  });
});
