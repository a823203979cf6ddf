import * as fs from 'fs';
import * as path from 'path';
import { NfsLeg } from '../../constructs';
import { Pushgateway } from '../helpers/pushgateway';
import { describeWithTools, tempDir } from '../helpers/tools';
import { filesUnder, lines, localOffsiteEnv, pipelineSite, runAndTerminate, runScript, writeFiles } from './fixture';

/**
 * Every NFS path, by hand: the route the homelab's list sends it on. Written out here, not
 * computed by BypassList, so the scripts and the value object are both checked against it.
 */
const NFS: Record<string, NfsLeg> = {
  'immich/library/a.jpg': 'bypass',
  'frigate/rec/cam1.mp4': 'bypass',
  'prometheus/wal/0001': 'bypass',
  'loki/chunks/c1': 'bypass',
  'temp/x.tmp': 'bypass',
  'alertmanager/silences': 'bypass',
  'ollama/models/m.bin': 'bypass',
  'llamacpp/m.gguf': 'bypass', // the seed's gap: skipped by the mirror, missing from Step 2
  'audiblez/book.m4b': 'bypass',
  'ebook2audiobook/out.mp3': 'bypass',
  'postgresql-backup/dump_20260101.sql.gz': 'bypass',
  'vault-backup/snapshot.snap': 'bypass',
  '-backup/edge': 'bypass',
  '.hidden-backup/x': 'bypass',
  'notes-backup': 'bypass', // a top-level file whose name matches *-backup
  'anca-elements/2019/photo.jpg': 'mirror',
  'anca-elements/immich/inner.jpg': 'mirror', // only top-level names decide
  'mysql/ibdata1': 'mirror',
  'nextcloud/data/deep/er/file.txt': 'mirror',
  'immich2/x': 'mirror',
  'my-immich/x': 'mirror',
  'backup/x': 'mirror',
  'x-backup2/y': 'mirror',
  'x-backupy': 'mirror',
  'frigate.old/clip.mp4': 'mirror',
  'README': 'mirror',
  'lost+found/#1234': 'none',
};
const NFS_SSD: Record<string, NfsLeg> = {
  'ollama/blob': 'bypass',
  'immich-ml/model.onnx': 'bypass',
  'llamacpp/weights.gguf': 'bypass',
  'anything-else/x': 'bypass',
  'lost+found/#1': 'none',
};

describe('BypassList.legOf', () => {
  it('sends every enumerated path on the leg the seed (made whole) intends', () => {
    const { bypass } = pipelineSite();
    for (const [rel, leg] of Object.entries(NFS)) expect({ rel, leg: bypass.legOf(`/srv/nfs/${rel}`) }).toEqual({ rel, leg });
    for (const [rel, leg] of Object.entries(NFS_SSD)) expect({ rel, leg: bypass.legOf(`/srv/nfs-ssd/${rel}`) }).toEqual({ rel, leg });
    expect(bypass.legOf('/srv/other/x')).toBe('none');
    expect(bypass.legOf('/srv/nfs')).toBe('none');
  });
});

describeWithTools([['rsync', 'rsync'], ['prometheus-pushgateway', 'prometheus-pushgateway']], 'two legs, one list: the real mirror and the real off-site sync', () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  function setUp() {
    const fx = pipelineSite();
    const t = tempDir('bc-legs-');
    const nfs = path.join(t, 'srv/nfs');
    const ssd = path.join(t, 'srv/nfs-ssd');
    const disk = path.join(t, 'backup');
    const offsite = path.join(t, 'offsite');
    writeFiles(nfs, Object.fromEntries(Object.keys(NFS).map((f) => [f, `content of ${f}\n`])));
    writeFiles(ssd, Object.fromEntries(Object.keys(NFS_SSD).map((f) => [f, `content of ${f}\n`])));
    fs.mkdirSync(disk, { recursive: true });
    fs.mkdirSync(offsite, { recursive: true });
    const common = {
      BC_PUSHGATEWAY: gw.url,
      MOUNT_POINT: '/',
      MANIFEST: path.join(disk, '.changed-files'),
      MANIFEST_ROOT: disk,
      MANIFEST_LOCK: path.join(t, 'locks/manifest.lock'),
    };
    const mirrorEnv = { ...common, SOURCE: nfs, DEST: disk, WORK_DIR: path.join(t, 'work-mirror'), STATE_FILE: path.join(t, 'state/mirrored-entries') };
    const changeLog = path.join(disk, '.nfs-changes.log');
    const offsiteEnv = (full: boolean, dest = offsite) => ({
      ...common,
      ...localOffsiteEnv({ t, disk, offsite: dest, nfs, ssd, changeLog, fullSync: full ? 'always' : 'never' }),
    });
    // what the change tracker logs: every path written under both roots
    fs.writeFileSync(changeLog, [...Object.keys(NFS).map((f) => path.join(nfs, f)), ...Object.keys(NFS_SSD).map((f) => path.join(ssd, f))].join('\n') + '\n');
    return { fx, t, nfs, ssd, disk, offsite, mirrorEnv, offsiteEnv, changeLog };
  }

  /** Which copies of a source file exist: on the disk (and shipped by Step 1), or shipped by Step 2. */
  function legsTaken(disk: string, offsite: string, root: 'nfs' | 'nfs-ssd', rel: string): NfsLeg[] {
    const legs: NfsLeg[] = [];
    const mirrored = root === 'nfs' && fs.existsSync(path.join(disk, rel));
    const step1 = root === 'nfs' && fs.existsSync(path.join(offsite, 'pve-backup', rel));
    const step2 = fs.existsSync(path.join(offsite, root, rel));
    expect({ rel, mirrored, step1 }).toEqual({ rel, mirrored: step1, step1 });
    if (step1) legs.push('mirror');
    if (step2) legs.push('bypass');
    return legs;
  }

  function expectOneLegEach(disk: string, offsite: string) {
    for (const [rel, leg] of Object.entries(NFS)) expect({ rel, legs: legsTaken(disk, offsite, 'nfs', rel) }).toEqual({ rel, legs: leg === 'none' ? [] : [leg] });
    for (const [rel, leg] of Object.entries(NFS_SSD)) expect({ rel, legs: legsTaken(disk, offsite, 'nfs-ssd', rel) }).toEqual({ rel, legs: leg === 'none' ? [] : [leg] });
  }

  it('incremental: the mirror, then Step 1 from the manifest and Step 2 from the change log, send every path on exactly one leg', async () => {
    const s = setUp();
    const m = runScript(s.fx.script(s.fx.mirror.job.scriptPath), s.mirrorEnv);
    expect({ status: m.status, stderr: m.stderr }).toEqual({ status: 0, stderr: '' });
    // the mirror only appends: the manifest lists what it sent, relative to the disk
    const listed = lines(s.mirrorEnv.MANIFEST);
    expect(listed).toContain('anca-elements/2019/photo.jpg');
    expect(listed.some((l) => l.startsWith('immich/') || l === 'immich')).toBe(false);

    const o = runScript(s.fx.script(s.fx.offsite.job.scriptPath), s.offsiteEnv(false));
    expect({ status: o.status, stderr: o.stderr }).toEqual({ status: 0, stderr: '' });
    expectOneLegEach(s.disk, s.offsite);
    // consumed after success, and only then
    expect(lines(s.mirrorEnv.MANIFEST)).toEqual([]);
    expect(lines(s.changeLog)).toEqual([]);
    // state files are not backups
    expect(filesUnder(path.join(s.offsite, 'pve-backup')).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(await gw.value('backup_last_status', { backup_job: 'offsite-sync-backup' })).toBe(0);
    expect(await gw.value('backup_offsite_full_sync', { backup_job: 'offsite-sync-backup' })).toBe(0);
  });

  it('a mirror stopped by systemd (SIGTERM) still gets what it copied off-site on the next incremental sync', async () => {
    const s = setUp();
    // nextcloud is copied, then the run is stopped before its rsync output is read
    const bin = path.join(s.t, 'slow-bin');
    const copied = path.join(s.t, 'nextcloud-copied');
    writeFiles(bin, { rsync: `#!/bin/bash\n/usr/bin/rsync "$@"\nrc=$?\ncase "$*" in *srv/nfs/nextcloud*) if [ -n "\${STOP_AFTER_NEXTCLOUD:-}" ]; then touch '${copied}'; sleep 20; fi ;; esac\nexit "$rc"\n` });
    fs.chmodSync(path.join(bin, 'rsync'), 0o755);
    const env = { ...s.mirrorEnv, PATH: `${bin}:${process.env.PATH}` };
    const stopped = await runAndTerminate(s.fx.script(s.fx.mirror.job.scriptPath), { ...env, STOP_AFTER_NEXTCLOUD: '1' }, 200, () => fs.existsSync(copied));
    expect(stopped.code).toBe(143);
    expect(await gw.value('backup_last_status', { backup_job: 'nfs-mirror' })).toBe(143);
    expect(fs.existsSync(path.join(s.disk, 'nextcloud/data/deep/er/file.txt'))).toBe(true);
    // the next run finds those copies up to date and sends them no more
    const again = runScript(s.fx.script(s.fx.mirror.job.scriptPath), env);
    expect({ status: again.status, stderr: again.stderr }).toEqual({ status: 0, stderr: '' });
    const o = runScript(s.fx.script(s.fx.offsite.job.scriptPath), s.offsiteEnv(false));
    expect({ status: o.status, stderr: o.stderr }).toEqual({ status: 0, stderr: '' });
    expectOneLegEach(s.disk, s.offsite);
  });

  it('full sync (first Sunday): the same split from rsync filters instead of the logs', async () => {
    const s = setUp();
    expect(runScript(s.fx.script(s.fx.mirror.job.scriptPath), s.mirrorEnv).status).toBe(0);
    // an empty manifest and change log: everything must come from the full sync itself
    fs.writeFileSync(s.mirrorEnv.MANIFEST, '');
    fs.writeFileSync(s.changeLog, '');
    const o = runScript(s.fx.script(s.fx.offsite.job.scriptPath), s.offsiteEnv(true));
    expect({ status: o.status, stderr: o.stderr }).toEqual({ status: 0, stderr: '' });
    expectOneLegEach(s.disk, s.offsite);
    expect(await gw.value('backup_offsite_full_sync', { backup_job: 'offsite-sync-backup' })).toBe(1);
  });

  it("the mirror's --delete stays inside each entry's copy, and a name the disk reserves fails the run instead of being skipped", async () => {
    const s = setUp();
    writeFiles(s.disk, { 'pvc-data/2026-01/ns/pvc/keep.txt': 'file backup', 'unrelated/keep.txt': 'someone else', 'anca-elements/stale.txt': 'deleted at the source' });
    writeFiles(s.nfs, { 'pvc-data/clash.txt': 'an NFS folder named like the file backup\'s' });
    const m = runScript(s.fx.script(s.fx.mirror.job.scriptPath), s.mirrorEnv);
    expect(m.status).toBe(1);
    expect(m.stderr).toMatch(/pvc-data has a name the backup disk uses/);
    expect(fs.existsSync(path.join(s.disk, 'pvc-data/2026-01/ns/pvc/keep.txt'))).toBe(true);
    expect(fs.existsSync(path.join(s.disk, 'pvc-data/clash.txt'))).toBe(false);
    expect(fs.existsSync(path.join(s.disk, 'unrelated/keep.txt'))).toBe(true);
    expect(fs.existsSync(path.join(s.disk, 'anca-elements/stale.txt'))).toBe(false);
    expect(fs.existsSync(path.join(s.disk, 'mysql/ibdata1'))).toBe(true);
    expect(await gw.value('backup_last_status', { backup_job: 'nfs-mirror' })).toBe(1);
  });

  it('removes the copy of an entry gone from the source only after the grace period, and only entries it copied', async () => {
    const s = setUp();
    const mirror = (env: Record<string, string> = {}) => runScript(s.fx.script(s.fx.mirror.job.scriptPath), { ...s.mirrorEnv, ...env });
    writeFiles(s.disk, { 'unrelated/keep.txt': 'someone else' });
    expect(mirror().status).toBe(0);
    expect(fs.existsSync(path.join(s.disk, 'anca-elements/2019/photo.jpg'))).toBe(true);
    // deleted at the source (by mistake, perhaps): the copy stays through the grace period
    fs.rmSync(path.join(s.nfs, 'anca-elements'), { recursive: true });
    const first = mirror();
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/anca-elements is gone since .*: its copy .*anca-elements stays until/);
    expect(fs.existsSync(path.join(s.disk, 'anca-elements/2019/photo.jpg'))).toBe(true);
    const since = Number(lines(s.mirrorEnv.STATE_FILE).find((l) => l.startsWith('anca-elements\t'))!.split('\t')[1]);
    expect(Math.abs(since - Date.now() / 1000)).toBeLessThan(60);
    // a later run keeps the first-missed time and measures the period from it: missed 10 days
    // ago with 14 days of grace, it stays; with 9 days of grace, it goes
    const tenDaysAgo = Math.floor(Date.now() / 1000) - 10 * 86400;
    fs.writeFileSync(s.mirrorEnv.STATE_FILE, lines(s.mirrorEnv.STATE_FILE).map((l) => (l.startsWith('anca-elements\t') ? `anca-elements\t${tenDaysAgo}` : l)).join('\n') + '\n');
    expect(mirror().status).toBe(0);
    expect(lines(s.mirrorEnv.STATE_FILE)).toContain(`anca-elements\t${tenDaysAgo}`);
    expect(fs.existsSync(path.join(s.disk, 'anca-elements/2019/photo.jpg'))).toBe(true);
    expect(mirror({ REMOVE_VANISHED_AFTER: String(11 * 86400) }).status).toBe(0);
    expect(fs.existsSync(path.join(s.disk, 'anca-elements/2019/photo.jpg'))).toBe(true);
    // after it: removed, and forgotten; the disk's other folders are untouched
    const after = mirror({ REMOVE_VANISHED_AFTER: String(9 * 86400) });
    expect(after.status).toBe(0);
    expect(after.stderr).toMatch(/removing its copy .*anca-elements/);
    expect(after.stdout).toMatch(/1 copies of vanished entries removed/);
    expect(fs.existsSync(path.join(s.disk, 'anca-elements'))).toBe(false);
    expect(lines(s.mirrorEnv.STATE_FILE).some((l) => l.startsWith('anca-elements\t'))).toBe(false);
    expect(fs.existsSync(path.join(s.disk, 'unrelated/keep.txt'))).toBe(true);
    expect(fs.existsSync(path.join(s.disk, 'mysql/ibdata1'))).toBe(true);
    expect(await gw.value('backup_last_status', { backup_job: 'nfs-mirror' })).toBe(0);
  });

  it('removes nothing and fails when many entries vanish at once (a wrong filesystem at the source), until told it was meant', async () => {
    const s = setUp();
    const mirror = (env: Record<string, string> = {}) => runScript(s.fx.script(s.fx.mirror.job.scriptPath), { ...s.mirrorEnv, REMOVE_VANISHED_AFTER: '0', ...env });
    expect(mirror().status).toBe(0);
    const before = fs.readFileSync(s.mirrorEnv.STATE_FILE, 'utf8');
    for (const gone of ['anca-elements', 'mysql', 'nextcloud']) fs.rmSync(path.join(s.nfs, gone), { recursive: true });
    const r = mirror();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/3 of the \d+ entries this mirror copied are gone from .* at once \(limit 25%\): is the right filesystem mounted there\? Nothing removed/);
    expect(fs.existsSync(path.join(s.disk, 'mysql/ibdata1'))).toBe(true);
    expect(fs.readFileSync(s.mirrorEnv.STATE_FILE, 'utf8')).toBe(before);
    expect(await gw.value('backup_last_status', { backup_job: 'nfs-mirror' })).toBe(1);
    // told it was meant: removed
    expect(mirror({ VANISHED_LIMIT_PERCENT: '100' }).status).toBe(0);
    expect(fs.existsSync(path.join(s.disk, 'mysql'))).toBe(false);
    expect(fs.existsSync(path.join(s.disk, 'anca-elements'))).toBe(false);
  });

  it('Step 2 full sync deletes only inside the bypass paths of its own destination', () => {
    const s = setUp();
    writeFiles(s.offsite, { 'nfs/immich/gone.jpg': 'deleted at the source', 'nfs/anca-elements/old-layout.jpg': 'not on the bypass list', 'pve-backup/other.txt': 'step 1 tree' });
    fs.writeFileSync(s.changeLog, '');
    // the backup disk holds a backup (Step 1 refuses a full sync of one holding only the logs)
    writeFiles(s.disk, { 'pvc-data/2026-20/apps/data/a.txt': 'a' });
    const o = runScript(s.fx.script(s.fx.offsite.job.scriptPath), { ...s.offsiteEnv(true), STEP1_DEST: path.join(s.t, 'elsewhere') + '/' });
    expect(o.status).toBe(0);
    expect(fs.existsSync(path.join(s.offsite, 'nfs/immich/gone.jpg'))).toBe(false);
    expect(fs.existsSync(path.join(s.offsite, 'nfs/anca-elements/old-layout.jpg'))).toBe(true);
    expect(fs.existsSync(path.join(s.offsite, 'pve-backup/other.txt'))).toBe(true);
  });
});
