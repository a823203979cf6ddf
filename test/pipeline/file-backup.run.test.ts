import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Pushgateway } from '../helpers/pushgateway';
import { describeWithTool, describeWithTools, tempDir } from '../helpers/tools';
import { AWKWARD_NAMES, C_LOCALE, enUsLocale, lines, localOffsiteEnv, pipelineSite, runAndTerminate, runScript, writeFiles } from './fixture';
import { pipelineStandins, stamp } from './standins';

const DAY = 86_400_000;

/**
 * The daily file backup run for real (rsync, sqlite3, a Pushgateway) against temporary
 * folders. The PVC snapshots it mounts come from stand-ins for lvs/lvchange/mount/umount and
 * kubectl: this sandbox has no device-mapper for LVM thin pools, so a "mounted snapshot" is a
 * folder the stand-in mount links in.
 */
describeWithTools([['rsync', 'rsync'], ['prometheus-pushgateway', 'prometheus-pushgateway']], 'FileBackup run for real with stand-ins for LVM, mount and kubectl (no device-mapper here)', () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  function setUp(opts: { pfsense?: boolean } = {}) {
    const fx = pipelineSite({ pfsense: opts.pfsense });
    const t = tempDir('bc-daily-');
    const st = pipelineStandins(t);
    const root = path.join(t, 'backup');
    fs.mkdirSync(root, { recursive: true });
    const now = new Date();
    const older = stamp(new Date(now.getTime() - 2 * DAY));
    const newest = stamp(new Date(now.getTime() - 3600_000));
    st.addLv('vm-101-pvc-aaa', 'data');
    st.addLv(`vm-101-pvc-aaa_snap_${older}`, 'data', 'vm-101-pvc-aaa');
    st.addLv(`vm-101-pvc-aaa_snap_${newest}`, 'data', 'vm-101-pvc-aaa');
    st.addLv('vm-102-pvc-bbb', 'data');
    st.addLv(`vm-102-pvc-bbb_snap_${newest}`, 'data', 'vm-102-pvc-bbb');
    st.setPvs([{ lv: 'vm-101-pvc-aaa', ns: 'apps', claim: 'data' }]);
    const snapDir = (lv: string, s: string) => path.join(st.devDir, 'pve', `${lv}_snap_${s}`);
    writeFiles(snapDir('vm-101-pvc-aaa', older), { 'big.bin': 'old', 'changing.txt': 'older snapshot' });
    writeFiles(snapDir('vm-101-pvc-aaa', newest), { 'big.bin': 'x'.repeat(100_000), 'changing.txt': 'v1', 'sub/notes.txt': 'notes' });
    writeFiles(snapDir('vm-102-pvc-bbb', newest), { 'config.yaml': 'a: 1' });
    const manifest = path.join(root, '.changed-files');
    const env: Record<string, string> = {
      PATH: `${st.bin}:${process.env.PATH}`,
      BC_PUSHGATEWAY: gw.url,
      ROOT: root,
      MOUNT_POINT: '/',
      WORK_DIR: path.join(t, 'work'),
      MANIFEST: manifest,
      MANIFEST_ROOT: root,
      MANIFEST_LOCK: path.join(t, 'locks/manifest.lock'),
      SNAPSHOT_DEVICE_DIR: st.devDir,
      PVC_MOUNT_DIR: path.join(t, 'mnt'),
      MAPPER_DIR: st.mapperDir,
      KUBECONFIG_FILE: path.join(t, 'kubeconfig'),
      PVE_CONFIG_PATHS: path.join(t, 'etc-pve'),
      WEEK: '2026-20',
    };
    writeFiles(path.join(t, 'etc-pve'), { 'storage.cfg': 'dir: local\n', 'qemu-server/100.conf': 'memory: 2048\n' });
    const script = fx.script(fx.fileBackup.job.scriptPath);
    return { fx, t, st, root, env, manifest, script, snapDir, newest, older };
  }

  /**
   * The off-site sync's nightly run (never a full sync) from this set-up's backup disk to a
   * local folder standing in for the Synology; `env` adds to its settings.
   */
  function offsiteNightly(s: ReturnType<typeof setUp>, env: Record<string, string> = {}) {
    const t = path.dirname(s.root);
    const offsite = path.join(t, 'offsite');
    const nfs = path.join(t, 'nfs-unused');
    fs.mkdirSync(nfs, { recursive: true });
    fs.mkdirSync(offsite, { recursive: true });
    const run = () =>
      runScript(s.fx.script(s.fx.offsite.job.scriptPath), {
        ...env,
        BC_PUSHGATEWAY: gw.url,
        MOUNT_POINT: '/',
        MANIFEST: s.manifest,
        MANIFEST_LOCK: s.env.MANIFEST_LOCK,
        ...localOffsiteEnv({ t, disk: s.root, offsite, nfs, ssd: nfs, changeLog: path.join(s.root, '.nfs-changes.log'), fullSync: 'never' }),
      });
    return { offsite, run };
  }

  const ino = (f: string) => fs.statSync(f).ino;

  it('copies each PVC from its newest snapshot into pvc-data/<week>/<ns>/<pvc>, hard-links unchanged files into the next week and keeps N versions', async () => {
    const s = setUp({ pfsense: false });
    fs.writeFileSync(s.manifest, 'left/by/an/earlier/run\n');
    const week1 = runScript(s.script, s.env);
    expect({ status: week1.status, stderr: week1.stderr }).toEqual({ status: 0, stderr: '' });
    expect(await gw.value('backup_last_size_bytes', { backup_job: 'daily-backup' })).toBeGreaterThanOrEqual(100_000);
    const w1 = path.join(s.root, 'pvc-data/2026-20/apps/data');
    expect(fs.readFileSync(path.join(w1, 'changing.txt'), 'utf8')).toBe('v1'); // the newest snapshot, not the older one
    expect(fs.readFileSync(path.join(s.root, 'pvc-data/2026-20/_unclaimed/vm-102-pvc-bbb/config.yaml'), 'utf8')).toBe('a: 1');
    // each newest snapshot, activated despite its activation skip flag (the stand-in leaves it
    // inactive otherwise, as LVM does, and its mount fails), mounted read-only without
    // replaying its journal
    const mounts = s.st.calls().filter((c) => c.startsWith('mount '));
    expect(mounts.sort()).toEqual(
      [`vm-101-pvc-aaa_snap_${s.newest}`, `vm-102-pvc-bbb_snap_${s.newest}`].map((snap) => `mount -o ro,noload ${path.join(s.st.devDir, 'pve', snap)} ${path.join(s.env.PVC_MOUNT_DIR, snap)}`).sort(),
    );
    // every snapshot mount is released again, and the snapshots deactivated
    expect(fs.readdirSync(s.env.PVC_MOUNT_DIR)).toEqual([]);
    expect(s.st.mounts()).toEqual([]);
    expect(s.st.active().filter((lv) => lv.includes('_snap_'))).toEqual([]);

    fs.writeFileSync(path.join(s.snapDir('vm-101-pvc-aaa', s.newest), 'changing.txt'), 'v2, longer');
    expect(runScript(s.script, { ...s.env, WEEK: '2026-21' }).status).toBe(0);
    const w2 = path.join(s.root, 'pvc-data/2026-21/apps/data');
    expect(ino(path.join(w2, 'big.bin'))).toBe(ino(path.join(w1, 'big.bin')));
    expect(fs.statSync(path.join(w2, 'big.bin')).nlink).toBe(2);
    expect(ino(path.join(w2, 'changing.txt'))).not.toBe(ino(path.join(w1, 'changing.txt')));
    expect(fs.readFileSync(path.join(w1, 'changing.txt'), 'utf8')).toBe('v1');

    // the manifest only grows: the earlier line stays, a new week's folder is listed whole
    const m = lines(s.manifest);
    expect(m[0]).toBe('left/by/an/earlier/run');
    expect(m).toContain('pvc-data/2026-21/apps/data/');
    expect(m).toContain(`pve-config${s.env.PVE_CONFIG_PATHS}/storage.cfg`);

    // later in the same week only what changed is listed
    fs.writeFileSync(path.join(s.snapDir('vm-101-pvc-aaa', s.newest), 'changing.txt'), 'v3, longer still');
    const before = lines(s.manifest).length;
    expect(runScript(s.script, { ...s.env, WEEK: '2026-21' }).status).toBe(0);
    expect(lines(s.manifest).slice(before)).toEqual(['pvc-data/2026-21/apps/data/changing.txt']);

    expect(runScript(s.script, { ...s.env, WEEK: '2026-22', WEEKLY_VERSIONS: '2' }).status).toBe(0);
    expect(fs.readdirSync(path.join(s.root, 'pvc-data')).sort()).toEqual(['2026-21', '2026-22']);
    expect(await gw.value('backup_last_status', { backup_job: 'daily-backup' })).toBe(0);
    // not -z: local disk to local disk
    expect(fs.readFileSync(s.script, 'utf8')).not.toMatch(/rsync[^\n]*\s-[a-yA-Z]*z/);
  });

  it('under LC_ALL=C, lists names rsync escapes so that the nightly (not full) off-site sync ships them: non-ASCII as their bytes, a name with a control character as its folder', async () => {
    const s = setUp({ pfsense: false });
    const snap = s.snapDir('vm-101-pvc-aaa', s.newest);
    const etcPve = s.env.PVE_CONFIG_PATHS;
    // a folder of its own for each name, there from the first run (a folder rsync creates is listed whole)
    writeFiles(snap, Object.fromEntries(AWKWARD_NAMES.map((_n, i) => [`d${i}/keep.txt`, 'k'])));
    writeFiles(etcPve, Object.fromEntries(AWKWARD_NAMES.map((_n, i) => [`d${i}/keep.cfg`, 'k'])));
    const { offsite, run: nightly } = offsiteNightly(s, C_LOCALE);
    const first = runScript(s.script, { ...s.env, ...C_LOCALE });
    expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });
    const firstNightly = nightly();
    expect({ status: firstNightly.status, stderr: firstNightly.stderr }).toEqual({ status: 0, stderr: '' });
    expect(lines(s.manifest)).toEqual([]);

    // later the same week: only what changed is listed, and only the manifest ships it
    writeFiles(snap, Object.fromEntries(AWKWARD_NAMES.map((n, i) => [`d${i}/${n}`, `content of ${n}`])));
    writeFiles(etcPve, Object.fromEntries(AWKWARD_NAMES.map((n, i) => [`d${i}/${n}`, `content of ${n}`])));
    const again = runScript(s.script, { ...s.env, ...C_LOCALE });
    expect({ status: again.status, stderr: again.stderr }).toEqual({ status: 0, stderr: '' });
    const pvc = 'pvc-data/2026-20/apps/data';
    const pve = `pve-config${etcPve}`;
    const listed = lines(s.manifest);
    for (const dir of [pvc, pve]) AWKWARD_NAMES.forEach((n, i) => expect(listed).toContain(/[\x00-\x1f\x7f]/.test(n) ? `${dir}/d${i}/` : `${dir}/d${i}/${n}`));
    const o = nightly();
    expect({ status: o.status, stderr: o.stderr }).toEqual({ status: 0, stderr: '' });
    for (const dir of [pvc, pve]) {
      AWKWARD_NAMES.forEach((n, i) => {
        const f = path.join(offsite, 'pve-backup', dir, `d${i}`, n);
        expect({ f, content: fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : 'not shipped' }).toEqual({ f, content: `content of ${n}` });
      });
    }
    expect(await gw.value('backup_offsite_full_sync', { backup_job: 'offsite-sync-backup' })).toBe(0);
  });

  it("a new week's copy reaches the off-site copy (nightly, not full) hard-linked to last week's: unchanged files are neither sent nor stored again", async () => {
    const s = setUp({ pfsense: false });
    const { offsite, run: nightly } = offsiteNightly(s);
    for (const week of ['2026-20', '2026-21']) {
      const daily = runScript(s.script, { ...s.env, WEEK: week });
      expect({ week, status: daily.status, stderr: daily.stderr }).toEqual({ week, status: 0, stderr: '' });
      const o = nightly();
      expect({ week, status: o.status, stderr: o.stderr }).toEqual({ week, status: 0, stderr: '' });
    }
    const big = (week: string) => path.join(offsite, 'pve-backup/pvc-data', week, 'apps/data/big.bin');
    expect(fs.readFileSync(big('2026-21'), 'utf8')).toBe('x'.repeat(100_000));
    expect(ino(big('2026-21'))).toBe(ino(big('2026-20')));
    // the second night sent no copy of the unchanged 100 kB file
    expect(await gw.value('backup_last_size_bytes', { backup_job: 'offsite-sync-backup' })).toBeLessThan(100_000);
  });

  it('refuses a work folder near the top or a relative one (a mistyped WORK_DIR), deleting nothing and reporting the failure', async () => {
    const s = setUp();
    // one level below /: the folder the run would have emptied, never made by this test
    const top = `/bc-guard-${path.basename(s.t)}`;
    // (an empty WORK_DIR takes the setting's default, so it never reaches the guard)
    const relative = `bc-guard-${path.basename(s.t)}`;
    // resolved before the check (/var/lib/.. is /var); never tried with a path that resolves to a
    // real folder: a broken guard would empty it
    for (const [workDir, resolved] of [[top, top], [relative, relative], [`${top}/sub/..`, top]]) {
      const r = spawnSync(s.script, [], { cwd: s.t, env: { ...process.env, ...s.env, BC_LOCK_0: path.join(s.t, 'job.lock'), WORK_DIR: workDir }, encoding: 'utf8' });
      expect({ workDir, status: r.status }).toEqual({ workDir, status: 1 });
      expect(r.stderr).toContain(`refusing to use ${resolved} as the work folder: it is emptied on every run`);
    }
    expect(fs.existsSync(top)).toBe(false);
    expect(fs.existsSync(path.join(s.t, relative))).toBe(false);
    expect(await gw.value('backup_last_status', { backup_job: 'daily-backup' })).toBe(1);
  });

  it('prunes only its own old snapshots (safety net) and leaves other LVs alone', () => {
    const s = setUp({ pfsense: false });
    const ancient = stamp(new Date(Date.now() - 10 * DAY));
    s.st.addLv(`vm-101-pvc-aaa_snap_${ancient}`, 'data', 'vm-101-pvc-aaa');
    s.st.addLv(`vm-900-pvc-gone_snap_${ancient}`, 'data', ''); // origin deleted with its PVC
    s.st.addLv(`vm-100-disk-0_snap_${ancient}`, 'data', 'vm-100-disk-0'); // a VM disk: not ours
    s.st.addLv(`vm-101-pvc-aaa_manual_${ancient}`, 'data', 'vm-101-pvc-aaa');
    // vm-101 has two newer snapshots: the ancient one goes once the floor is two
    expect(runScript(s.script, { ...s.env, PRUNE_SNAPSHOTS_KEEP_AT_LEAST: '2' }).status).toBe(0);
    const left = s.st.lvs().map((l) => l.split(' ')[0]);
    expect(left).not.toContain(`vm-101-pvc-aaa_snap_${ancient}`);
    expect(left).not.toContain(`vm-900-pvc-gone_snap_${ancient}`);
    expect(left).toContain(`vm-100-disk-0_snap_${ancient}`);
    expect(left).toContain(`vm-101-pvc-aaa_manual_${ancient}`);
    expect(left).toContain(`vm-101-pvc-aaa_snap_${s.older}`);
  });

  it("holds what the snapshot job's floor holds: a live volume's newest snapshots stay past the retention", () => {
    const s = setUp({ pfsense: false });
    const ancient = stamp(new Date(Date.now() - 10 * DAY));
    s.st.addLv(`vm-101-pvc-aaa_snap_${ancient}`, 'data', 'vm-101-pvc-aaa');
    s.st.addLv(`vm-900-pvc-gone_snap_${ancient}`, 'data', '');
    // the timer's default floor (7 daily runs in 7 days) reaches the file backup's settings
    expect(fs.readFileSync(s.script, 'utf8')).toMatch(/^PRUNE_SNAPSHOTS_KEEP_AT_LEAST=\$\{PRUNE_SNAPSHOTS_KEEP_AT_LEAST:-7\}$/m);
    const r = runScript(s.script, s.env);
    expect(r.status).toBe(0);
    const left = s.st.lvs().map((l) => l.split(' ')[0]);
    expect(left).toContain(`vm-101-pvc-aaa_snap_${ancient}`);
    expect(r.stderr).toContain(`kept pve/vm-101-pvc-aaa_snap_${ancient} past the retention: only 2 newer snapshot(s) of vm-101-pvc-aaa`);
    // a deleted volume gets no newer snapshots: its old ones still go
    expect(left).not.toContain(`vm-900-pvc-gone_snap_${ancient}`);
  });

  it('one PVC that fails does not stop the others: status 1, its mount released, what was written still listed', async () => {
    const s = setUp({ pfsense: false });
    // the copy of vm-101 cannot be made: a file sits where its folder should be
    writeFiles(s.root, { 'pvc-data/2026-20/apps/data': 'not a folder' });
    const r = runScript(s.script, s.env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PVC vm-101-pvc-aaa .* failed/);
    expect(fs.existsSync(path.join(s.root, 'pvc-data/2026-20/_unclaimed/vm-102-pvc-bbb/config.yaml'))).toBe(true);
    expect(fs.readdirSync(s.env.PVC_MOUNT_DIR)).toEqual([]);
    expect(lines(s.manifest)).toContain('pvc-data/2026-20/_unclaimed/vm-102-pvc-bbb/');
    expect(await gw.value('backup_last_status', { backup_job: 'daily-backup' })).toBe(1);
  });

  describe('what a failed or stopped run wrote still reaches the manifest (a later run does not send it again)', () => {
    /** Whether the off-site sync, shipping the manifest with rsync -r, sends file f (a path relative to the disk). */
    const ships = (manifest: string[], f: string) => manifest.some((l) => l === f || (l.endsWith('/') && f.startsWith(l)));

    it('a PVC copy that fails part-way (a write error) lists what it wrote before failing', async () => {
      const s = setUp({ pfsense: false });
      expect(runScript(s.script, s.env).status).toBe(0);
      fs.writeFileSync(s.manifest, ''); // the off-site sync shipped and dropped those lines
      // rsync sends a-new.txt, then fails writing the big file: a write error, as on a full disk
      writeFiles(s.snapDir('vm-101-pvc-aaa', s.newest), { 'a-new.txt': 'new', 'zz-big.bin': 'z'.repeat(300_000) });
      const limited = path.join(s.t, 'limited-run');
      fs.writeFileSync(limited, `#!/bin/bash\ntrap '' XFSZ\nulimit -f 128\nexec '${s.script}' "$@"\n`, { mode: 0o755 });
      const r = runScript(limited, s.env);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/PVC vm-101-pvc-aaa .* failed with status 11/);
      expect(fs.readFileSync(path.join(s.root, 'pvc-data/2026-20/apps/data/a-new.txt'), 'utf8')).toBe('new');
      expect(ships(lines(s.manifest), 'pvc-data/2026-20/apps/data/a-new.txt')).toBe(true);
      // once the copy can be made again, nothing the failed run wrote is left off
      fs.writeFileSync(s.manifest, '');
      expect(runScript(s.script, s.env).status).toBe(0);
      const after = lines(s.manifest);
      for (const f of ['a-new.txt', 'zz-big.bin']) expect([f, ships(after, `pvc-data/2026-20/apps/data/${f}`)]).toEqual([f, true]);
      expect(await gw.value('backup_last_status', { backup_job: 'daily-backup' })).toBe(0);
    });

    it('a run stopped by systemd (SIGTERM) appends what it wrote, and the copy it left unfinished is listed whole by the next run', async () => {
      const s = setUp({ pfsense: false });
      expect(runScript(s.script, s.env).status).toBe(0);
      fs.writeFileSync(s.manifest, '');
      // a new week: vm-101's copy is made, then the run is stopped while vm-102's is under way
      const bin = path.join(s.t, 'slow-bin');
      const started = path.join(s.t, 'vm-102-copy-started');
      writeFiles(bin, { rsync: `#!/bin/bash\ncase "$*" in *vm-102-pvc-bbb*) if [ -n "\${SLOW_VM102:-}" ]; then touch '${started}'; sleep 20; fi ;; esac\nexec /usr/bin/rsync "$@"\n` });
      fs.chmodSync(path.join(bin, 'rsync'), 0o755);
      const env = { ...s.env, WEEK: '2026-21', PATH: `${bin}:${s.env.PATH}` };
      const r = await runAndTerminate(s.script, { ...env, SLOW_VM102: '1' }, 200, () => fs.existsSync(started));
      expect(r.code).toBe(143);
      expect(fs.readFileSync(path.join(s.root, 'pvc-data/2026-21/apps/data/changing.txt'), 'utf8')).toBe('v1');
      const stopped = lines(s.manifest);
      for (const f of ['big.bin', 'changing.txt', 'sub/notes.txt']) expect([f, ships(stopped, `pvc-data/2026-21/apps/data/${f}`)]).toEqual([f, true]);
      expect(await gw.value('backup_last_status', { backup_job: 'daily-backup' })).toBe(143);
      // the next run of the week: vm-102's copy, hard-linked from last week's and so never
      // itemized by rsync, is listed whole because the stopped run never finished it
      fs.writeFileSync(s.manifest, '');
      expect(runScript(s.script, env).status).toBe(0);
      expect(fs.readFileSync(path.join(s.root, 'pvc-data/2026-21/_unclaimed/vm-102-pvc-bbb/config.yaml'), 'utf8')).toBe('a: 1');
      expect(ships(lines(s.manifest), 'pvc-data/2026-21/_unclaimed/vm-102-pvc-bbb/config.yaml')).toBe(true);
      // and a copy finished before stays listed by its changes only
      expect(ships(lines(s.manifest), 'pvc-data/2026-21/apps/data/big.bin')).toBe(false);
    });
  });

  describe('encrypted PVCs (LUKS inside the LV; stand-ins for blkid and cryptsetup)', () => {
    const PASSPHRASE = 'storage-class-passphrase';

    /** Adds vm-103-pvc-ccc (vault/data), encrypted, with a snapshot like the others; and a key file. */
    function withEncrypted(s: ReturnType<typeof setUp>) {
      const snap = `vm-103-pvc-ccc_snap_${s.newest}`;
      s.st.addLv('vm-103-pvc-ccc', 'data');
      s.st.addLv(snap, 'data', 'vm-103-pvc-ccc');
      s.st.encrypt('pve', snap, PASSPHRASE);
      s.st.setPvs([
        { lv: 'vm-101-pvc-aaa', ns: 'apps', claim: 'data' },
        { lv: 'vm-103-pvc-ccc', ns: 'vault', claim: 'data' },
      ]);
      writeFiles(s.snapDir('vm-103-pvc-ccc', s.newest), { 'raft/raft.db': 'vault data' });
      const keyFile = path.join(s.t, 'keys/proxmox-lvm-encrypted.key');
      writeFiles(s.t, { 'keys/proxmox-lvm-encrypted.key': PASSPHRASE });
      fs.chmodSync(keyFile, 0o600);
      return { snap, keyFile, mapper: `bc-daily-backup-${snap}`, copy: path.join(s.root, 'pvc-data/2026-20/vault/data/raft/raft.db') };
    }

    const since = () => Math.floor(Date.now() / 1000);

    it('opens an encrypted snapshot read-only with the key file, copies it like the others, and closes the mapping', async () => {
      const s = setUp({ pfsense: false });
      const e = withEncrypted(s);
      const r = runScript(s.script, { ...s.env, ENCRYPTED_VOLUME_KEY_FILE: e.keyFile });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(fs.readFileSync(e.copy, 'utf8')).toBe('vault data');
      expect(fs.readFileSync(path.join(s.root, 'pvc-data/2026-20/apps/data/changing.txt'), 'utf8')).toBe('v1');
      const calls = s.st.calls();
      const dev = path.join(s.st.devDir, 'pve', e.snap);
      expect(calls).toContain(`cryptsetup open --readonly --key-file ${e.keyFile} ${dev} ${e.mapper}`);
      expect(calls).toContain(`mount -o ro,noload ${path.join(s.st.mapperDir, e.mapper)} ${path.join(s.env.PVC_MOUNT_DIR, e.snap)}`);
      // unmounted before the mapping is closed (the stand-in refuses to close a mounted one)
      expect(calls).toContain(`cryptsetup close ${e.mapper}`);
      expect({ mappings: s.st.mappings(), mounts: s.st.mounts(), dirs: fs.readdirSync(s.env.PVC_MOUNT_DIR) }).toEqual({ mappings: [], mounts: [], dirs: [] });
      // plain volumes are not touched by cryptsetup
      expect(calls.filter((c) => c.startsWith('cryptsetup open'))).toHaveLength(1);
      expect(lines(s.manifest)).toContain('pvc-data/2026-20/vault/data/');
      expect(await gw.value('backup_last_status', { backup_job: 'daily-backup' })).toBe(0);
    });

    it('fails the run loudly when an encrypted volume is found and no key file is set, naming the LV and the prop, and still copies the others', async () => {
      const s = setUp({ pfsense: false });
      const e = withEncrypted(s);
      const start = since();
      const r = runScript(s.script, { ...s.env, ENCRYPTED_VOLUME_KEY_FILE: '' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`PVC vm-103-pvc-ccc: snapshot pve/${e.snap} is LUKS-encrypted and no key file is set: set pvcs.encryptedVolumeKeyFile of test/DailyBackup`);
      expect(r.stderr).toMatch(/PVC vm-103-pvc-ccc \(snapshot \S+\) failed with status 1/);
      expect(r.stderr).toContain('failed parts: pvc-data');
      expect(fs.existsSync(e.copy)).toBe(false);
      expect(fs.readFileSync(path.join(s.root, 'pvc-data/2026-20/apps/data/changing.txt'), 'utf8')).toBe('v1');
      expect(s.st.calls().filter((c) => c.startsWith('cryptsetup open'))).toEqual([]);
      expect({ mappings: s.st.mappings(), mounts: s.st.mounts(), dirs: fs.readdirSync(s.env.PVC_MOUNT_DIR) }).toEqual({ mappings: [], mounts: [], dirs: [] });
      expect(await gw.value('backup_last_status', { backup_job: 'daily-backup' })).toBe(1);
      expect(await gw.value('backup_last_run_timestamp_seconds', { backup_job: 'daily-backup' })).toBeGreaterThanOrEqual(start);
    });

    it('fails the same way when the key file set is missing, naming the file', () => {
      const s = setUp({ pfsense: false });
      const e = withEncrypted(s);
      const missing = path.join(s.t, 'keys/not-there.key');
      const r = runScript(s.script, { ...s.env, ENCRYPTED_VOLUME_KEY_FILE: missing });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`PVC vm-103-pvc-ccc: snapshot pve/${e.snap} is LUKS-encrypted and its key file ${missing} is missing or unreadable`);
      expect(r.stderr).toContain('(pvcs.encryptedVolumeKeyFile of test/DailyBackup)');
    });

    it('fails with a clear message when the key does not open the volume', () => {
      const s = setUp({ pfsense: false });
      const e = withEncrypted(s);
      fs.writeFileSync(e.keyFile, 'another passphrase');
      const r = runScript(s.script, { ...s.env, ENCRYPTED_VOLUME_KEY_FILE: e.keyFile });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`PVC vm-103-pvc-ccc: could not open LUKS snapshot pve/${e.snap} with key file ${e.keyFile}`);
      expect(s.st.mappings()).toEqual([]);
    });

    it('closes the mapping when the mount fails after the volume was opened', async () => {
      const s = setUp({ pfsense: false });
      const e = withEncrypted(s);
      const start = since();
      const r = runScript(s.script, { ...s.env, ENCRYPTED_VOLUME_KEY_FILE: e.keyFile, FAIL_MOUNT: `${s.st.mapperDir}/*` });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/PVC vm-103-pvc-ccc \(snapshot \S+\) failed with status 32/);
      const calls = s.st.calls();
      expect(calls.indexOf(`cryptsetup close ${e.mapper}`)).toBeGreaterThan(calls.findIndex((c) => c.startsWith(`mount -o ro,noload ${s.st.mapperDir}/`)));
      expect({ mappings: s.st.mappings(), mounts: s.st.mounts(), dirs: fs.readdirSync(s.env.PVC_MOUNT_DIR) }).toEqual({ mappings: [], mounts: [], dirs: [] });
      expect(await gw.value('backup_last_status', { backup_job: 'daily-backup' })).toBe(1);
      expect(await gw.value('backup_last_run_timestamp_seconds', { backup_job: 'daily-backup' })).toBeGreaterThanOrEqual(start);
    });

    it('closes the mapping when systemd stops the run (SIGTERM) between open and mount', async () => {
      const s = setUp({ pfsense: false });
      const e = withEncrypted(s);
      const opened = `cryptsetup open --readonly --key-file ${e.keyFile} ${path.join(s.st.devDir, 'pve', e.snap)} ${e.mapper}`;
      const r = await runAndTerminate(s.script, { ...s.env, ENCRYPTED_VOLUME_KEY_FILE: e.keyFile, SLOW_MOUNT: `${s.st.mapperDir}/*` }, 200, () => s.st.calls().some((c) => c.startsWith(`mount -o ro,noload ${s.st.mapperDir}/`)));
      expect(r.code).toBe(143);
      expect(s.st.calls()).toContain(opened);
      // the PVC's own subshell releases what it holds on its TERM (systemd waits for it to exit)
      const deadline = Date.now() + 5000;
      while (s.st.mappings().length && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
      expect(s.st.mappings()).toEqual([]);
      expect(s.st.calls()).toContain(`cryptsetup close ${e.mapper}`);
      expect(fs.readdirSync(s.env.PVC_MOUNT_DIR)).toEqual([]);
      expect(await gw.value('backup_last_status', { backup_job: 'daily-backup' })).toBe(143);
    });
  });

  it('does not copy a snapshot stamped in the future (taken while the clock was ahead) in place of the newest real one, and fails naming it', () => {
    // GIVEN a snapshot the snapshot job took on a night the clock was a year ahead: by its
    // stamp it would be the newest snapshot of its PVC until that date
    const s = setUp({ pfsense: false });
    const ahead = stamp(new Date(Date.now() + 365 * DAY));
    s.st.addLv(`vm-101-pvc-aaa_snap_${ahead}`, 'data', 'vm-101-pvc-aaa');
    writeFiles(s.snapDir('vm-101-pvc-aaa', ahead), { 'changing.txt': 'frozen on the night the clock was ahead' });
    // WHEN the file backup runs with the clock right again
    const r = runScript(s.script, s.env);
    // THEN it copies the newest snapshot not stamped in the future, and fails so that someone
    // removes the one that is
    expect(fs.readFileSync(path.join(s.root, 'pvc-data/2026-20/apps/data/changing.txt'), 'utf8')).toBe('v1');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`snapshot pve/vm-101-pvc-aaa_snap_${ahead} is stamped in the future`);
    expect(r.stderr).toContain('failed parts: pvc-data');
  });

  it("keeps the one copy of a configuration folder that is empty at the source (/etc/pve with pmxcfs down) and fails, until ALLOW_EMPTIED names it", () => {
    // GIVEN a copy of the Proxmox configuration from a good run
    const s = setUp({ pfsense: false });
    const pve = s.env.PVE_CONFIG_PATHS;
    expect(runScript(s.script, s.env).status).toBe(0);
    const copy = path.join(s.root, `pve-config${pve}`);
    expect(fs.readFileSync(path.join(copy, 'qemu-server/100.conf'), 'utf8')).toBe('memory: 2048\n');
    // WHEN /etc/pve is an empty folder (pve-cluster did not start, so pmxcfs is not mounted)
    fs.rmSync(pve, { recursive: true });
    fs.mkdirSync(pve);
    const r = runScript(s.script, s.env);
    // THEN its only copy stays, and the run fails saying how to accept the emptying
    expect(fs.readFileSync(path.join(copy, 'qemu-server/100.conf'), 'utf8')).toBe('memory: 2048\n');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${pve} is empty while its copy ${copy} holds files: copy kept`);
    expect(r.stderr).toContain(`ALLOW_EMPTIED='${pve}'`);
    expect(r.stderr).toContain('failed parts: pve-config');
    // and the operator's word for one run empties it
    expect(runScript(s.script, { ...s.env, ALLOW_EMPTIED: pve }).status).toBe(0);
    expect(fs.readdirSync(copy)).toEqual([]);
  });

  describe('pruning old weeks while a PVC fails', () => {
    const weeks = (s: { root: string }) => fs.readdirSync(path.join(s.root, 'pvc-data')).sort();
    const pvcsIn = (s: { root: string }, week: string) => {
      const dir = path.join(s.root, 'pvc-data', week);
      // copies are folders; the .<pvc>.complete markers beside them are not
      return fs.readdirSync(dir).flatMap((ns) => fs.readdirSync(path.join(dir, ns), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${ns}/${e.name}`)).sort();
    };

    it("prunes the other PVCs' old weeks but keeps every week of a PVC that failed this run, until it succeeds again", () => {
      const s = setUp({ pfsense: false });
      const snap = `vm-103-pvc-ccc_snap_${s.newest}`;
      s.st.addLv('vm-103-pvc-ccc', 'data');
      s.st.addLv(snap, 'data', 'vm-103-pvc-ccc');
      s.st.encrypt('pve', snap, 'pass');
      s.st.setPvs([{ lv: 'vm-101-pvc-aaa', ns: 'apps', claim: 'data' }, { lv: 'vm-103-pvc-ccc', ns: 'vault', claim: 'data' }]);
      writeFiles(s.snapDir('vm-103-pvc-ccc', s.newest), { 'raft.db': 'good' });
      writeFiles(s.t, { 'key': 'pass' });
      const key = { ENCRYPTED_VOLUME_KEY_FILE: path.join(s.t, 'key') };
      const noKey = { ENCRYPTED_VOLUME_KEY_FILE: '' };
      const run = (week: string, extra: Record<string, string>) => runScript(s.script, { ...s.env, WEEKLY_VERSIONS: '2', WEEK: week, ...extra }).status;
      const all = ['_unclaimed/vm-102-pvc-bbb', 'apps/data', 'vault/data'];

      expect([run('2026-18', key), run('2026-19', key), run('2026-20', key)]).toEqual([0, 0, 0]);
      expect(weeks(s)).toEqual(['2026-19', '2026-20']);
      // the key is gone: vault/data fails from now on (a kept week, 2026-20, still holds a copy
      // of it, which a failed rsync could have left half-updated: its older weeks stay too)
      expect([run('2026-20', noKey), run('2026-21', noKey)]).toEqual([1, 1]);
      expect(weeks(s)).toEqual(['2026-19', '2026-20', '2026-21']);
      expect(pvcsIn(s, '2026-19')).toEqual(['vault/data']);
      expect(pvcsIn(s, '2026-20')).toEqual(all);
      expect(pvcsIn(s, '2026-21')).toEqual(['_unclaimed/vm-102-pvc-bbb', 'apps/data']);
      expect(fs.readFileSync(path.join(s.root, 'pvc-data/2026-19/vault/data/raft.db'), 'utf8')).toBe('good');

      // it succeeds again: its old weeks go like everyone else's
      expect(run('2026-22', key)).toBe(0);
      expect(weeks(s)).toEqual(['2026-21', '2026-22']);
      expect(pvcsIn(s, '2026-22')).toEqual(all);
    });

    it('does not count a half-written copy a failed run left as holding the PVC, so its last whole copy stays', () => {
      const s = setUp({ pfsense: false });
      const run = (week: string) => runScript(s.script, { ...s.env, WEEKLY_VERSIONS: '2', WEEK: week }).status;
      expect([run('2026-18'), run('2026-19')]).toEqual([0, 0]);
      expect(fs.existsSync(path.join(s.root, 'pvc-data/2026-19/_unclaimed/.vm-102-pvc-bbb.complete'))).toBe(true);
      // a run of week 20 that failed half-way through vm-102's copy, then its LV is removed
      writeFiles(path.join(s.root, 'pvc-data/2026-20/_unclaimed/vm-102-pvc-bbb'), { 'half.txt': 'half' });
      for (const lv of s.st.lvs().map((l) => l.split(' ')[0]).filter((n) => n.startsWith('vm-102-pvc-bbb'))) execFileSync(path.join(s.st.bin, 'lvremove'), ['-y', `pve/${lv}`]);
      expect([run('2026-20'), run('2026-21')]).toEqual([0, 0]);
      // kept weeks 20 and 21 hold no whole copy of it: week 19's (and 18's) stay
      expect(pvcsIn(s, '2026-19')).toEqual(['_unclaimed/vm-102-pvc-bbb']);
      expect(fs.readdirSync(path.join(s.root, 'pvc-data/2026-19/_unclaimed/vm-102-pvc-bbb')).length).toBeGreaterThan(0);
      expect(pvcsIn(s, '2026-21')).toEqual(['apps/data']);
    });

    it('keeps the newest copy of a PVC no longer copied (its LV removed) once it leaves the kept weeks', () => {
      const s = setUp({ pfsense: false });
      const run = (week: string) => runScript(s.script, { ...s.env, WEEKLY_VERSIONS: '2', WEEK: week }).status;
      expect([run('2026-18'), run('2026-19')]).toEqual([0, 0]);
      for (const lv of s.st.lvs().map((l) => l.split(' ')[0]).filter((n) => n.startsWith('vm-102-pvc-bbb'))) execFileSync(path.join(s.st.bin, 'lvremove'), ['-y', `pve/${lv}`]);
      expect([run('2026-20'), run('2026-21'), run('2026-22')]).toEqual([0, 0, 0]);
      expect(weeks(s)).toEqual(['2026-19', '2026-21', '2026-22']);
      expect(pvcsIn(s, '2026-19')).toEqual(['_unclaimed/vm-102-pvc-bbb']);
      expect(pvcsIn(s, '2026-22')).toEqual(['apps/data']);
    });
  });

  describeWithTool('sqlite3', 'sqlite3', 'SQLite', () => {
    function makeDb(file: string, rows: number) {
      execFileSync('sqlite3', [file], {
        input: `PRAGMA journal_mode=WAL;
CREATE TABLE a(id INTEGER PRIMARY KEY, pad TEXT);
CREATE TABLE b(id INTEGER PRIMARY KEY, pad TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
INSERT INTO a(pad) SELECT hex(randomblob(200)) FROM n;
INSERT INTO b(pad) SELECT pad FROM a;
`,
      });
    }

    /** Inserts one row into a and one into b per transaction, as fast as it can, until stopped. */
    function writer(file: string): ChildProcess {
      const sql = "BEGIN IMMEDIATE; INSERT INTO a(pad) VALUES (hex(randomblob(200))); INSERT INTO b(pad) VALUES (hex(randomblob(200))); COMMIT;";
      return spawn('bash', ['-c', `while :; do sqlite3 -cmd '.timeout 10000' "$1" "$2" || exit 1; done`, 'writer', file, sql], { stdio: 'ignore', detached: true });
    }

    it('finds databases by magic number and copies one being written consistently (read-only VACUUM INTO, integrity_check)', async () => {
      const s = setUp({ pfsense: false });
      const dir = s.snapDir('vm-101-pvc-aaa', s.newest);
      const db = path.join(dir, 'app/db.sqlite3');
      fs.mkdirSync(path.dirname(db), { recursive: true });
      makeDb(db, 20_000);
      writeFiles(dir, { 'not-a-db.sqlite': 'SQLite format 2, not really'.padEnd(2000, '.'), 'renamed.dat': '' });
      fs.copyFileSync(db, path.join(dir, 'renamed.dat')); // found by content, not name
      const count = (f: string, t: string) => Number(execFileSync('sqlite3', ['-cmd', '.timeout 10000', f, `SELECT count(*) FROM ${t};`], { encoding: 'utf8' }).trim());
      const w = writer(db);
      try {
        await new Promise((r) => setTimeout(r, 300));
        const during = count(db, 'a');
        const r = runScript(s.script, s.env);
        // the raw copy of a live folder may see the WAL files come and go; the run succeeds
        expect({ status: r.status, failed: /failed/.test(r.stderr) }).toEqual({ status: 0, failed: false });
        expect(count(db, 'a')).toBeGreaterThan(during); // the writer kept writing around the run
      } finally {
        process.kill(-w.pid!, 'SIGKILL');
      }
      const copy = path.join(s.root, 'sqlite-backup/apps/data/app/db.sqlite3');
      expect(execFileSync('sqlite3', [copy, 'PRAGMA integrity_check;'], { encoding: 'utf8' }).trim()).toBe('ok');
      // each transaction adds one row to both tables: a consistent copy has as many in each
      expect(count(copy, 'a')).toBe(count(copy, 'b'));
      expect(count(copy, 'a')).toBeGreaterThanOrEqual(20_000);
      expect(fs.existsSync(path.join(s.root, 'sqlite-backup/apps/data/renamed.dat'))).toBe(true);
      expect(fs.existsSync(path.join(s.root, 'sqlite-backup/apps/data/not-a-db.sqlite'))).toBe(false);
      expect(lines(s.manifest)).toContain('sqlite-backup/apps/data/app/db.sqlite3');
      expect(await gw.value('backup_sqlite_databases', { backup_job: 'daily-backup' })).toBe(2);
    });

    it("finds the database that follows a name not valid in UTF-8, under the host's UTF-8 locale", () => {
      const locale = enUsLocale();
      if (!locale) return;
      const s = setUp({ pfsense: false });
      const dir = s.snapDir('vm-101-pvc-aaa', s.newest);
      // a file whose Latin-1 name ends in a lead byte (a\xe8, sorting just before b.sqlite3):
      // under a UTF-8 locale bash's read -d '' took the NUL after it as part of a character and
      // swallowed the next file, so that database was silently never copied
      fs.writeFileSync(Buffer.concat([Buffer.from(dir + '/a'), Buffer.from([0xe8])]), 'x'.repeat(1000));
      makeDb(path.join(dir, 'b.sqlite3'), 10);
      // find lists files in the directory's hash order: sorted here, so b.sqlite3 follows that name
      fs.writeFileSync(path.join(s.st.bin, 'find'), '#!/bin/bash\ncase "$*" in *-print0*) /usr/bin/find "$@" | LC_ALL=C sort -z ;; *) exec /usr/bin/find "$@" ;; esac\n', { mode: 0o755 });
      const r = runScript(s.script, { ...s.env, ...locale });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(fs.existsSync(path.join(s.root, 'sqlite-backup/apps/data/b.sqlite3'))).toBe(true);
    });

    it('copies a WAL database its writer closed cleanly (no -wal, no -shm) from a read-only snapshot', async () => {
      const s = setUp({ pfsense: false });
      // the snapshot is mounted read-only on the host: SQLite cannot create the -shm a WAL
      // database needs (a real read-only tmpfs as root, a folder without write permission otherwise)
      const ro = s.snapDir('vm-101-pvc-aaa', s.newest);
      const root = process.getuid?.() === 0;
      if (root) execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'bc-ro-snapshot', ro]);
      const db = path.join(ro, 'app/db.sqlite3');
      try {
        fs.mkdirSync(path.dirname(db));
        makeDb(db, 100); // the sqlite3 shell closes it: the WAL is checkpointed and removed
        expect(fs.readdirSync(path.dirname(db))).toEqual(['db.sqlite3']);
        if (root) execFileSync('mount', ['-o', 'remount,ro', ro]);
        else fs.chmodSync(path.dirname(db), 0o555);
        const r = runScript(s.script, s.env);
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      } finally {
        if (root) execFileSync('umount', [ro]);
        else fs.chmodSync(path.dirname(db), 0o755);
      }
      const copy = path.join(s.root, 'sqlite-backup/apps/data/app/db.sqlite3');
      expect(execFileSync('sqlite3', [copy, 'SELECT count(*) FROM a; PRAGMA integrity_check;'], { encoding: 'utf8' }).trim().split('\n')).toEqual(['100', 'ok']);
      expect(await gw.value('backup_sqlite_databases', { backup_job: 'daily-backup' })).toBe(1);
    });

    it('keeps the previous copy when a database cannot be copied, and fails the run', async () => {
      const s = setUp({ pfsense: false });
      const dir = s.snapDir('vm-101-pvc-aaa', s.newest);
      const db = path.join(dir, 'db.sqlite3');
      makeDb(db, 10);
      expect(runScript(s.script, s.env).status).toBe(0);
      const copy = path.join(s.root, 'sqlite-backup/apps/data/db.sqlite3');
      const good = fs.readFileSync(copy);
      // the header survives, the rest is garbage: detected by magic number, refused by sqlite
      const broken = Buffer.concat([good.subarray(0, 100), Buffer.alloc(good.length - 100, 0xff)]);
      fs.writeFileSync(db, broken);
      fs.rmSync(`${db}-wal`, { force: true });
      fs.rmSync(`${db}-shm`, { force: true });
      const r = runScript(s.script, s.env);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/could not back up SQLite database apps\/data\/db.sqlite3/);
      expect(fs.readFileSync(copy).equals(good)).toBe(true);
      expect(await gw.value('backup_last_status', { backup_job: 'daily-backup' })).toBe(1);
    });
  });

  describe('pfSense (a stand-in ssh answers for the firewall)', () => {
    function fakeSsh(s: ReturnType<typeof setUp>, opts: { sleep?: number } = {}) {
      const fw = path.join(s.t, 'firewall');
      writeFiles(fw, { 'cf/conf/config.xml': '<?xml version="1.0"?>\n<pfsense><version>23.3</version></pfsense>\n', 'var/db/dhcpd.leases': 'lease', 'boot/loader.conf': 'autoboot_delay="3"' });
      fs.writeFileSync(
        path.join(s.st.bin, 'ssh'),
        `#!/bin/bash
echo "ssh $*" >>'${s.t}/calls.log'
${opts.sleep ? `sleep ${opts.sleep}` : ''}
while [ "$#" -gt 0 ]; do case "$1" in -i|-o|-p) shift 2 ;; -*) shift ;; *) shift; break ;; esac; done
case "$1" in
  cat) cat '${fw}'"$2" ;;
  tar) cd '${fw}' && shift 3 && tar czf - "\${@#/}" ;;
  *) exit 127 ;;
esac
`,
        { mode: 0o755 },
      );
    }

    // each test pushes under a site label of its own, so series of another test cannot pass for its own
    const pf = (site: string) => ({ backup_job: 'pfsense-backup', job: 'pfsense-backup', site, host: 'pve' });
    const daily = (site: string) => ({ backup_job: 'daily-backup', job: 'daily-backup', site, host: 'pve' });

    it('fetches config.xml every day and the full tar only on the chosen weekday', async () => {
      const s = setUp();
      fakeSsh(s);
      const today = execFileSync('date', ['+%u'], { encoding: 'utf8' }).trim();
      const otherDay = String((Number(today) % 7) + 1);
      expect(runScript(s.script, { ...s.env, PFSENSE_FULL_TAR_WEEKDAY: otherDay, BC_SITE: 'pf-ok' }).status).toBe(0);
      // its own job in the metric scheme, grouped under job/pfsense-backup like every job
      expect(await gw.value('backup_last_status', pf('pf-ok'))).toBe(0);
      expect(await gw.value('backup_last_success_timestamp_seconds', pf('pf-ok'))).toBe(await gw.value('backup_last_run_timestamp_seconds', pf('pf-ok')));
      expect(await gw.value('backup_last_status', daily('pf-ok'))).toBe(0);
      const dir = path.join(s.root, 'pfsense/2026-20');
      expect(fs.readFileSync(path.join(dir, 'config.xml'), 'utf8')).toContain('<pfsense>');
      expect(fs.existsSync(path.join(dir, 'pfsense-full.tar.gz'))).toBe(false);
      const full = runScript(s.script, { ...s.env, PFSENSE_FULL_TAR_WEEKDAY: today });
      expect({ status: full.status, stderr: full.stderr }).toEqual({ status: 0, stderr: '' });
      expect(execFileSync('tar', ['tzf', path.join(dir, 'pfsense-full.tar.gz')], { encoding: 'utf8' })).toContain('var/db/dhcpd.leases');
      expect(lines(s.manifest)).toEqual(expect.arrayContaining(['pfsense/2026-20/config.xml', 'pfsense/2026-20/pfsense-full.tar.gz']));
      expect(lines(path.join(s.t, 'calls.log')).find((l) => l.startsWith('ssh '))).toContain('-i /root/.ssh/pfsense');
    });

    it("writes config.xml and the full tar 0600, in folders 0700, under the host's umask 022: they hold the firewall's secrets", () => {
      // GIVEN a host whose umask is the usual 022
      const s = setUp();
      fakeSsh(s);
      const today = execFileSync('date', ['+%u'], { encoding: 'utf8' }).trim();
      // WHEN the file backup runs on the full tar's weekday
      const r = runScript('/bin/sh', { ...s.env, PFSENSE_FULL_TAR_WEEKDAY: today, BC_SITE: 'pf-modes' }, ['-c', 'umask 022 && exec "$0"', s.script]);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      // THEN no other user on the host can read what it fetched, nor list the folders it made
      const mode = (p: string) => (fs.statSync(path.join(s.root, p)).mode & 0o777).toString(8);
      expect(mode('pfsense/2026-20/config.xml')).toBe('600');
      expect(mode('pfsense/2026-20/pfsense-full.tar.gz')).toBe('600');
      expect(mode('pfsense')).toBe('700');
      expect(mode('pfsense/2026-20')).toBe('700');
      expect(mode('pvc-data')).toBe('700');
      expect(mode('pve-config')).toBe('700');
    });

    it('reports pfsense-backup failed, keeping its last success, and fails daily-backup too, when the firewall cannot be reached', async () => {
      const s = setUp();
      fakeSsh(s);
      expect(runScript(s.script, { ...s.env, BC_SITE: 'pf-fail' }).status).toBe(0);
      const success = await gw.value('backup_last_success_timestamp_seconds', pf('pf-fail'));
      expect(success).toBeGreaterThan(0);
      fs.writeFileSync(path.join(s.st.bin, 'ssh'), '#!/bin/bash\necho "ssh: connect to host pfsense.example port 22: Connection timed out" >&2\nexit 255\n', { mode: 0o755 });
      await new Promise((r) => setTimeout(r, 1100)); // a later second for the run time
      const r = runScript(s.script, { ...s.env, BC_SITE: 'pf-fail' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('pfsense-backup failed with status 255');
      expect(r.stderr).toContain('failed parts: pfsense');
      expect(await gw.value('backup_last_status', pf('pf-fail'))).toBe(255);
      expect(await gw.value('backup_last_run_timestamp_seconds', pf('pf-fail'))).toBeGreaterThan(success!);
      expect(await gw.value('backup_last_success_timestamp_seconds', pf('pf-fail'))).toBe(success);
      expect(await gw.value('backup_last_status', daily('pf-fail'))).toBe(1);
    });

    it('keeps the newest config.xml versions through an outage: a week the firewall was unreachable is no version', () => {
      const s = setUp();
      fakeSsh(s);
      const up = fs.readFileSync(path.join(s.st.bin, 'ssh'), 'utf8');
      const down = '#!/bin/bash\necho "ssh: connect to host pfsense.example port 22: No route to host" >&2\nexit 255\n';
      const top = path.join(s.root, 'pfsense');
      fs.mkdirSync(path.join(top, '2026-39'), { recursive: true }); // left empty by an older release
      const run = (week: string, ssh: string) => {
        fs.writeFileSync(path.join(s.st.bin, 'ssh'), ssh, { mode: 0o755 });
        return runScript(s.script, { ...s.env, WEEK: week, PFSENSE_WEEKLY_VERSIONS: '4', PFSENSE_FULL_TAR_WEEKDAY: '9' }).status;
      };
      for (const week of ['2026-40', '2026-41', '2026-42', '2026-43']) expect(run(week, up)).toBe(0);
      for (const week of ['2026-44', '2026-45', '2026-46']) expect(run(week, down)).toBe(1);
      expect(fs.readdirSync(top).sort()).toEqual(['2026-40', '2026-41', '2026-42', '2026-43']);
      expect(run('2026-47', up)).toBe(0);
      expect(fs.readdirSync(top).sort()).toEqual(['2026-41', '2026-42', '2026-43', '2026-47']);
      for (const week of ['2026-41', '2026-42', '2026-43', '2026-47']) expect(fs.readFileSync(path.join(top, week, 'config.xml'), 'utf8')).toContain('<pfsense>');
    });

    it('keeps the newest full tar through weeks without one, while config.xml versions rotate past it', () => {
      const s = setUp();
      fakeSsh(s);
      const top = path.join(s.root, 'pfsense');
      const today = String(((new Date().getDay() + 6) % 7) + 1);
      const run = (week: string, tarDay: string) => runScript(s.script, { ...s.env, WEEK: week, PFSENSE_WEEKLY_VERSIONS: '2', PFSENSE_FULL_TAR_WEEKDAY: tarDay }).status;
      // week 40 makes the tar; no later week gets one (its tar day failed or did not run), while config.xml still comes daily
      expect(run('2026-40', today)).toBe(0);
      for (const week of ['2026-41', '2026-42', '2026-43']) expect(run(week, '9')).toBe(0);
      expect(fs.readdirSync(top).sort()).toEqual(['2026-40', '2026-42', '2026-43']);
      expect(fs.existsSync(path.join(top, '2026-40/pfsense-full.tar.gz'))).toBe(true);
    });

    it('prunes no week while a week folder is named later than this run (a clock that was or is wrong): the future week would stay "newest" and push real weeks out', () => {
      // GIVEN two weeks of PVC copies and config.xml versions, each kept two weeks
      const s = setUp();
      fakeSsh(s);
      const run = (week: string) => runScript(s.script, { ...s.env, WEEK: week, WEEKLY_VERSIONS: '2', PFSENSE_WEEKLY_VERSIONS: '2', PFSENSE_FULL_TAR_WEEKDAY: '9' });
      for (const week of ['2026-19', '2026-20']) expect(run(week).status).toBe(0);
      // and one run on a day the clock had jumped into next year
      expect(run('2027-05').status).toBe(0);
      // WHEN the clock is right again
      const r = run('2026-21');
      // THEN nothing is pruned, and the run fails naming the week from the future
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/not pruning .*pvc-data: week folder\(s\) 2027-05 named later than this run's week 2026-21/);
      expect(r.stderr).toMatch(/not pruning .*pfsense: week folder\(s\) 2027-05 named later than this run's week 2026-21/);
      expect(r.stderr).toContain('failed parts: pvc-data pfsense');
      for (const dir of ['pvc-data', 'pfsense']) expect(fs.readdirSync(path.join(s.root, dir)).sort()).toEqual(['2026-20', '2026-21', '2027-05']);
      expect(fs.readdirSync(path.join(s.root, 'pvc-data/2026-20/apps/data'))).toContain('changing.txt');
      expect(fs.readFileSync(path.join(s.root, 'pfsense/2026-20/config.xml'), 'utf8')).toContain('<pfsense>');
      // once the week named in the future is removed, the weeks are pruned again
      fs.rmSync(path.join(s.root, 'pvc-data/2027-05'), { recursive: true });
      fs.rmSync(path.join(s.root, 'pfsense/2027-05'), { recursive: true });
      expect(run('2026-21').status).toBe(0);
      for (const dir of ['pvc-data', 'pfsense']) expect(fs.readdirSync(path.join(s.root, dir)).sort()).toEqual(['2026-20', '2026-21']);
    });

    it('reports the failure of both when systemd stops it mid-step (SIGTERM), and releases nothing it still holds', async () => {
      const s = setUp();
      fakeSsh(s, { sleep: 20 });
      const r = await runAndTerminate(s.script, { ...s.env, BC_SITE: 'pf-term' }, 200, () => s.st.calls().some((c) => c.startsWith('ssh ')));
      expect(r.code).toBe(143);
      expect(await gw.value('backup_last_status', daily('pf-term'))).toBe(143);
      expect(await gw.value('backup_last_status', pf('pf-term'))).toBe(143);
      expect(await gw.value('backup_last_success_timestamp_seconds', pf('pf-term'))).toBeUndefined();
      expect(fs.readdirSync(s.env.PVC_MOUNT_DIR)).toEqual([]);
    });

    it('reports nothing for pfsense-backup when the run is stopped before its step began', async () => {
      const s = setUp();
      fakeSsh(s);
      const r = await runAndTerminate(s.script, { ...s.env, BC_SITE: 'pf-early', SLOW_MOUNT: '*/vm-101-pvc-aaa_snap_*' }, 200, () => s.st.calls().some((c) => c.startsWith('mount ')));
      expect(r.code).toBe(143);
      expect(await gw.value('backup_last_status', daily('pf-early'))).toBe(143);
      expect(await gw.value('backup_last_run_timestamp_seconds', pf('pf-early'))).toBeUndefined();
      expect(s.st.calls().some((c) => c.startsWith('ssh '))).toBe(false);
    });
  });
});
