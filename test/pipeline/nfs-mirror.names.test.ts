import * as fs from 'fs';
import * as path from 'path';
import { Pushgateway } from '../helpers/pushgateway';
import { describeWithTools, tempDir } from '../helpers/tools';
import { AWKWARD_NAMES, C_LOCALE, enUsLocale, filesUnder, lines, localOffsiteEnv, pipelineSite, runAndTerminate, runScript, writeFiles } from './fixture';

/**
 * File names rsync does not print as they are (it writes \#ooo for a control character, and
 * for every non-ASCII byte under a C locale without -8), run for real under LC_ALL=C as a
 * systemd service without a locale would: the mirror lists them in the manifest, and the
 * nightly (not full) off-site sync must ship every one of them.
 */

describeWithTools([['rsync', 'rsync'], ['prometheus-pushgateway', 'prometheus-pushgateway']], 'file names rsync escapes, from the real mirror to the off-site copy under LC_ALL=C', () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  function setUp() {
    const fx = pipelineSite();
    const t = tempDir('bc-names-');
    const nfs = path.join(t, 'srv/nfs');
    const ssd = path.join(t, 'srv/nfs-ssd');
    const disk = path.join(t, 'backup');
    const offsite = path.join(t, 'offsite');
    // a folder of its own for each name, there from the first run: a folder rsync creates is
    // listed whole, and one name's folder would ship the others
    writeFiles(nfs, { ...Object.fromEntries(AWKWARD_NAMES.map((_n, i) => [`app1/d${i}/keep.txt`, 'k'])), 'app2/keep.txt': 'k' });
    fs.mkdirSync(ssd, { recursive: true });
    fs.mkdirSync(disk, { recursive: true });
    fs.mkdirSync(offsite, { recursive: true });
    const common = { ...C_LOCALE, BC_PUSHGATEWAY: gw.url, MOUNT_POINT: '/', MANIFEST: path.join(disk, '.changed-files'), MANIFEST_ROOT: disk, MANIFEST_LOCK: path.join(t, 'locks/manifest.lock') };
    const mirror = (more: Record<string, string> = {}) =>
      runScript(fx.script(fx.mirror.job.scriptPath), { ...common, ...more, SOURCE: nfs, DEST: disk, WORK_DIR: path.join(t, 'work-mirror'), STATE_FILE: path.join(t, 'state/mirrored-entries') });
    const changeLog = path.join(disk, '.nfs-changes.log');
    const nightly = (more: Record<string, string> = {}) =>
      runScript(fx.script(fx.offsite.job.scriptPath), {
        ...common,
        ...more,
        ...localOffsiteEnv({ t, disk, offsite, nfs, ssd, changeLog, fullSync: 'never' }),
      });
    return { t, nfs, disk, offsite, changeLog, manifest: common.MANIFEST, mirror, nightly, mirrorScript: fx.script(fx.mirror.job.scriptPath), mirrorEnv: { ...common, SOURCE: nfs, DEST: disk, WORK_DIR: path.join(t, 'work-mirror'), STATE_FILE: path.join(t, 'state/mirrored-entries') } };
  }

  it('lists non-ASCII names as their bytes and a name no line can hold as its folder, so the nightly sync ships them all', async () => {
    const s = setUp();
    const first = s.mirror();
    expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });
    expect(s.nightly().status).toBe(0);

    // written after the first week's run: only the nightly sync of the manifest ships them
    writeFiles(s.nfs, Object.fromEntries(AWKWARD_NAMES.map((n, i) => [`app1/d${i}/${n}`, `content of ${n}`])));
    writeFiles(s.nfs, { 'app2/ctl\x01dir/inner.txt': 'in a folder whose name holds a control character' });
    const m = s.mirror();
    expect({ status: m.status, stderr: m.stderr }).toEqual({ status: 0, stderr: '' });
    const listed = lines(s.manifest);
    AWKWARD_NAMES.forEach((n, i) => expect(listed).toContain(/[\x00-\x1f\x7f]/.test(n) ? `app1/d${i}/` : `app1/d${i}/${n}`));
    expect(listed).toContain('app2/');
    expect(listed.filter((l) => /\\#[0-7]{3}/.test(l) && !l.endsWith('x\\#123y'))).toEqual([]);
    expect(listed.filter((l) => /[\x00-\x1f\x7f]/.test(l))).toEqual([]);

    const o = s.nightly();
    expect({ status: o.status, stderr: o.stderr }).toEqual({ status: 0, stderr: '' });
    AWKWARD_NAMES.forEach((n, i) => {
      const f = path.join(s.offsite, 'pve-backup/app1', `d${i}`, n);
      expect({ n, content: fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : 'not shipped' }).toEqual({ n, content: `content of ${n}` });
    });
    expect(filesUnder(path.join(s.offsite, 'pve-backup/app2'))).toContain('ctl\x01dir/inner.txt');
    expect(lines(s.manifest)).toEqual([]);
    expect(await gw.value('backup_offsite_full_sync', { backup_job: 'offsite-sync-backup' })).toBe(0);
  });

  it('fails naming a file when only the manifest root could be listed for it (a top-level entry whose name holds a newline), and still lists the rest', async () => {
    const s = setUp();
    writeFiles(s.nfs, { 'bad\nentry/f.txt': 'f', 'fine/caf\u00e9.txt': 'c' });
    const m = s.mirror();
    expect(m.status).toBe(1);
    expect(m.stderr).toContain('bad\\#012entry/f.txt cannot be listed in the off-site manifest (its name holds a control character) and no folder above it can be listed instead: rename it');
    expect(m.stderr).toMatch(/mirroring .*\/bad\nentry failed with status 1/);
    expect(lines(s.manifest)).toContain('fine/café.txt');
    expect(await gw.value('backup_last_status', { backup_job: 'nfs-mirror' })).toBe(1);
  });

  it("under en_US.UTF-8, ships Latin-1 names on both legs: the locale's sort -u took two of them for one, and grep called them binary", () => {
    const locale = enUsLocale();
    if (!locale) return;
    const s = setUp();
    expect(s.mirror(locale).status).toBe(0);
    expect(s.nightly(locale).status).toBe(0);
    const latin1 = (c: number) => Buffer.concat([Buffer.from('caf'), Buffer.from([c])]);
    for (const c of [0xe8, 0xe9]) fs.writeFileSync(Buffer.concat([Buffer.from(`${s.nfs}/app1/d0/`), latin1(c)]), `byte ${c}`);
    // and on the bypass leg, from the change log
    fs.mkdirSync(path.join(s.nfs, 'immich'));
    for (const c of [0xe8, 0xe9]) fs.writeFileSync(Buffer.concat([Buffer.from(`${s.nfs}/immich/`), latin1(c)]), `byte ${c}`);
    fs.writeFileSync(s.changeLog, Buffer.concat([0xe8, 0xe9].map((c) => Buffer.concat([Buffer.from(`${s.nfs}/immich/`), latin1(c), Buffer.from('\n')]))));
    const m = s.mirror(locale);
    expect({ status: m.status, stderr: m.stderr }).toEqual({ status: 0, stderr: '' });
    const o = s.nightly(locale);
    expect({ status: o.status, stderr: o.stderr }).toEqual({ status: 0, stderr: '' });
    for (const c of [0xe8, 0xe9]) {
      for (const dir of ['pve-backup/app1/d0', 'nfs/immich']) expect({ dir, c, shipped: fs.existsSync(Buffer.concat([Buffer.from(`${s.offsite}/${dir}/`), latin1(c)])) }).toEqual({ dir, c, shipped: true });
    }
  });

  it('a run stopped during such an entry says so instead of dropping it silently', async () => {
    const s = setUp();
    writeFiles(s.nfs, { 'bad\nentry/f.txt': 'f' });
    const bin = path.join(s.t, 'slow-bin');
    const copied = path.join(s.t, 'copied');
    writeFiles(bin, { rsync: `#!/bin/bash\n/usr/bin/rsync "$@"\nrc=$?\ncase "$*" in *bad$'\\n'entry*) touch '${copied}'; sleep 20 ;; esac\nexit "$rc"\n` });
    fs.chmodSync(path.join(bin, 'rsync'), 0o755);
    const r = await runAndTerminate(s.mirrorScript, { ...s.mirrorEnv, PATH: `${bin}:${process.env.PATH}` }, 200, () => fs.existsSync(copied));
    expect(r.code).toBe(143);
    // bash may report the stand-in's killed sleep in the middle of the message's two lines
    expect(r.stderr.replace(/^Terminated\n/gm, '')).toContain(`${s.nfs}/bad\nentry cannot be listed in the off-site manifest (its name holds a line break)`);
    expect(await gw.value('backup_last_status', { backup_job: 'nfs-mirror' })).toBe(143);
  });
});
