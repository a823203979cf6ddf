import * as fs from 'fs';
import * as path from 'path';
import { Pushgateway } from '../helpers/pushgateway';
import { describeWithTools, tempDir } from '../helpers/tools';
import { filesUnder, lines, localMirrorEnv, pipelineSite, runScript, writeFiles } from './fixture';

/**
 * An entry of /srv/nfs that is suddenly empty (a per-application mount not mounted under it)
 * while its copy holds files: the real mirror must not copy the emptiness over the copy.
 */
describeWithTools([['rsync', 'rsync'], ['prometheus-pushgateway', 'prometheus-pushgateway']], 'NfsMirror and an entry emptied at the source', () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  function setUp() {
    const fx = pipelineSite();
    const t = tempDir('bc-emptied-');
    const nfs = path.join(t, 'srv/nfs');
    const disk = path.join(t, 'backup');
    writeFiles(nfs, { 'app1/data/a.db': 'a', 'app1/conf.yml': 'c', 'app2/deep/er/b.bin': 'b', 'other/notes.txt': 'v1' });
    // empty on both sides from the start: nothing to protect
    fs.mkdirSync(path.join(nfs, 'spare/sub'), { recursive: true });
    fs.mkdirSync(disk, { recursive: true });
    const env = localMirrorEnv({ t, nfs, disk, gateway: gw.url });
    const mirror = (more: Record<string, string> = {}) => runScript(fx.script(fx.mirror.job.scriptPath), { ...env, ...more });
    return { nfs, disk, env, mirror };
  }

  /** Empties a folder but keeps it, as an unmounted mount point looks; `keep` folders stay, empty. */
  function empty(dir: string, keep: string[] = []) {
    for (const e of fs.readdirSync(dir)) fs.rmSync(path.join(dir, e), { recursive: true });
    for (const k of keep) fs.mkdirSync(path.join(dir, k), { recursive: true });
  }

  it('keeps the copies of entries emptied at the source, mirrors the others, and fails naming them until told it was meant', async () => {
    const s = setUp();
    const first = s.mirror();
    expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });
    expect(filesUnder(path.join(s.disk, 'app1'))).toEqual(['conf.yml', 'data/a.db']);
    fs.writeFileSync(s.env.MANIFEST, '');

    // same names, no content: app1 an empty mount point, app2 a tree of empty folders
    empty(path.join(s.nfs, 'app1'));
    empty(path.join(s.nfs, 'app2'), ['deep/er']);
    fs.writeFileSync(path.join(s.nfs, 'other/notes.txt'), 'v2, changed');
    const r = s.mirror();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${s.nfs}/app1 is empty but its copy ${s.disk}/app1 holds files: is something not mounted there? Not mirrored, its copy kept`);
    expect(r.stderr).toContain(`${s.nfs}/app2 is empty but its copy ${s.disk}/app2 holds files`);
    expect(r.stderr).toContain(`If they were emptied on purpose, run once with ALLOW_EMPTIED='${s.nfs}/app1 ${s.nfs}/app2'`);
    expect(r.stderr).not.toMatch(/spare/);
    expect(r.stdout).toMatch(/2 failed/);
    expect(filesUnder(path.join(s.disk, 'app1'))).toEqual(['conf.yml', 'data/a.db']);
    expect(filesUnder(path.join(s.disk, 'app2'))).toEqual(['deep/er/b.bin']);
    // the other entries are mirrored as usual and listed for the off-site copy
    expect(fs.readFileSync(path.join(s.disk, 'other/notes.txt'), 'utf8')).toBe('v2, changed');
    expect(lines(s.env.MANIFEST)).toEqual(['other/notes.txt']);
    expect(await gw.value('backup_last_status', { backup_job: 'nfs-mirror' })).toBe(1);
    // the kept entries are still recorded as this mirror's own
    expect(lines(s.env.STATE_FILE).map((l) => l.split('\t')[0])).toEqual(expect.arrayContaining(['app1', 'app2']));

    // told for one of them: that one follows its source, the other is still kept
    const one = s.mirror({ ALLOW_EMPTIED: `${s.nfs}/app1` });
    expect(one.status).toBe(1);
    expect(one.stderr).toContain(`${s.nfs}/app1 is empty and ALLOW_EMPTIED names it`);
    expect(filesUnder(path.join(s.disk, 'app1'))).toEqual([]);
    expect(filesUnder(path.join(s.disk, 'app2'))).toEqual(['deep/er/b.bin']);

    const all = s.mirror({ ALLOW_EMPTIED: '*' });
    expect(all.status).toBe(0);
    expect(filesUnder(path.join(s.disk, 'app2'))).toEqual([]);
    // emptied copies stay empty without being told again
    const after = s.mirror();
    expect({ status: after.status, stderr: after.stderr }).toEqual({ status: 0, stderr: '' });
    expect(await gw.value('backup_last_status', { backup_job: 'nfs-mirror' })).toBe(0);
  });

  it('an entry that loses some files but keeps one is mirrored with --delete as before', () => {
    const s = setUp();
    expect(s.mirror().status).toBe(0);
    fs.rmSync(path.join(s.nfs, 'app1/data'), { recursive: true });
    const r = s.mirror();
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(filesUnder(path.join(s.disk, 'app1'))).toEqual(['conf.yml']);
  });
});
