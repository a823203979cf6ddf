import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Pushgateway } from '../helpers/pushgateway';
import { describeWithTools, tempDir } from '../helpers/tools';
import { filesUnder, lines, localMirrorEnv, localOffsiteEnv, pipelineSite, runScript, writeFiles } from './fixture';

jest.setTimeout(30_000);

/** An app dump in progress (or a killed run's leftover) under an NFS folder: `.bc-work-<job>-<stamp>`. */
const WORK = '.bc-work-postgresql-backup-20261201T021500Z';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * App dumps write into /srv/nfs, which the mirror, the change tracker and Step 2 of the
 * off-site sync copy: a half-written dump in its work folder must go nowhere, and a copy an
 * older version made of one must be removed, not kept.
 */
describeWithTools([['rsync', 'rsync'], ['prometheus-pushgateway', 'prometheus-pushgateway']], "app dumps' work folders in the copy steps, run for real", () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  it('NfsMirror copies the finished dumps, not the work folder, removes an old copy of one, and takes an entry holding only one for emptied', () => {
    const fx = pipelineSite();
    const t = tempDir('bc-work-mirror-');
    const nfs = path.join(t, 'srv/nfs');
    const disk = path.join(t, 'backup');
    // dumps into a folder off the bypass list (the homelab's *-backup folders bypass the mirror)
    writeFiles(nfs, { 'nextcloud/all-20261130.sql.gz': 'done', [`nextcloud/${WORK}/all-20261201.sql.gz`]: 'half', 'app2/data.db': 'd' });
    // what a mirror without the rule left on the disk
    writeFiles(disk, { [`nextcloud/.bc-work-postgresql-backup-20261130T021500Z/old.sql.gz`]: 'stale half' });
    const env = localMirrorEnv({ t, nfs, disk, gateway: gw.url });
    const mirror = (more: Record<string, string> = {}) => runScript(fx.script(fx.mirror.job.scriptPath), { ...env, ...more });

    const r = mirror();
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(filesUnder(path.join(disk, 'nextcloud'))).toEqual(['all-20261130.sql.gz']);
    // the removal is listed (Step 1 may have shipped it), no new work file is
    expect(lines(env.MANIFEST).filter((l) => l.includes(WORK))).toEqual([]);
    expect(lines(env.MANIFEST)).toContain('nextcloud/all-20261130.sql.gz');

    // the source entry emptied but for a dump in progress: as good as empty, its copy kept
    fs.rmSync(path.join(nfs, 'app2/data.db'));
    writeFiles(nfs, { [`app2/${WORK}/x`]: 'half' });
    const emptied = mirror();
    expect(emptied.status).toBe(1);
    expect(emptied.stderr).toContain(`${nfs}/app2 is empty but its copy ${disk}/app2 holds files`);
    expect(filesUnder(path.join(disk, 'app2'))).toEqual(['data.db']);
  });

  it("OffsiteSync's Step 2 ships neither a logged path inside a work folder nor the folder on a full sync, and removes an old copy of one; Step 1 ships none from the disk", () => {
    const fx = pipelineSite({ pfsense: false });
    const t = tempDir('bc-work-offsite-');
    const disk = path.join(t, 'backup');
    const offsite = path.join(t, 'synology');
    const nfs = path.join(t, 'srv/nfs');
    const ssd = path.join(t, 'srv/nfs-ssd');
    // immich is on the bypass list: Step 2 ships it straight from NFS
    writeFiles(nfs, { 'immich/x.jpg': 'x', [`immich/${WORK}/half.tar`]: 'half' });
    writeFiles(ssd, { 'ollama/m.bin': 'm' });
    writeFiles(disk, { 'mysql/ibdata1': 'db', [`app1/${WORK}/half.sql`]: 'left by an older mirror' });
    fs.mkdirSync(offsite, { recursive: true });
    const manifest = path.join(disk, '.changed-files');
    fs.writeFileSync(manifest, `mysql/ibdata1\napp1/${WORK}/half.sql\n`);
    const changeLog = path.join(disk, '.nfs-changes.log');
    // logged by a tracker without the rule
    fs.writeFileSync(changeLog, `${nfs}/immich/x.jpg\n${nfs}/immich/${WORK}/half.tar\n${nfs}/immich/${WORK}\n`);
    const env = (fullSync: 'always' | 'never') => ({
      BC_PUSHGATEWAY: gw.url,
      MOUNT_POINT: '/',
      MANIFEST: manifest,
      MANIFEST_LOCK: path.join(t, 'locks/manifest.lock'),
      ...localOffsiteEnv({ t, disk, offsite, nfs, ssd, changeLog, fullSync }),
    });
    const script = fx.script(fx.offsite.job.scriptPath);

    const nightly = runScript(script, env('never'));
    expect({ status: nightly.status, stderr: nightly.stderr }).toEqual({ status: 0, stderr: '' });
    expect(filesUnder(path.join(offsite, 'nfs/immich'))).toEqual(['x.jpg']);
    expect(filesUnder(path.join(offsite, 'pve-backup'))).toEqual(['mysql/ibdata1']);

    // an older version shipped one; the full sync removes it and ships no new one
    writeFiles(offsite, { [`nfs/immich/.bc-work-immich-20261101T000000Z/old.tar`]: 'stale' });
    const full = runScript(script, env('always'));
    expect({ status: full.status, stderr: full.stderr }).toEqual({ status: 0, stderr: '' });
    expect(filesUnder(path.join(offsite, 'nfs/immich'))).toEqual(['x.jpg']);
    expect(filesUnder(path.join(offsite, 'pve-backup')).filter((f) => f.includes('.bc-work-'))).toEqual([]);
  });
});

describeWithTools([['inotifywait', 'inotify-tools'], ['prometheus-pushgateway', 'prometheus-pushgateway'], ['pkill', 'procps']], "app dumps' work folders and the change tracker, run for real", () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  it('logs the finished dump renamed out of its work folder, and nothing written inside it', async () => {
    const fx = pipelineSite({ pfsense: false });
    const t = tempDir('bc-work-tracker-');
    const nfs = path.join(t, 'srv/nfs');
    const ssd = path.join(t, 'srv/nfs-ssd');
    writeFiles(nfs, { 'postgresql-backup/old.sql.gz': 'old' });
    fs.mkdirSync(ssd, { recursive: true });
    const log = path.join(t, 'backup/.nfs-changes.log');
    const env = { ...process.env, BC_PUSHGATEWAY: gw.url, WATCH_PATHS: `${nfs} ${ssd}`, CHANGE_LOG: log, CHANGE_LOG_LOCK: path.join(t, 'locks/changes.lock'), HEARTBEAT_SECONDS: '60' };
    const child = spawn(fx.script(fx.tracker.scriptPath), [], { env, detached: true, stdio: 'ignore' });
    try {
      await sleep(800); // inotifywait sets up its watches
      const work = path.join(nfs, 'postgresql-backup', WORK);
      fs.mkdirSync(work);
      await sleep(200); // its watch on the new folder
      fs.writeFileSync(path.join(work, 'all.sql.gz'), 'dump');
      fs.renameSync(path.join(work, 'all.sql.gz'), path.join(nfs, 'postgresql-backup/all.sql.gz'));
      fs.rmdirSync(work);
      const done = path.join(nfs, 'postgresql-backup/all.sql.gz');
      const deadline = Date.now() + 10_000;
      while (!lines(log).includes(done) && Date.now() < deadline) await sleep(50);
      await sleep(200);
      expect(lines(log)).toEqual([done]);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
  });
});
