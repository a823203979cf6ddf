import * as fs from 'fs';
import * as path from 'path';
import { Pushgateway } from '../helpers/pushgateway';
import { describeWithTools, tempDir } from '../helpers/tools';
import { enUsLocale, filesUnder, lines, localMirrorEnv, pipelineSite, runScript, writeFiles } from './fixture';

/** The real mirror against temporary folders: what its --delete may reach, and what it reports. */
describeWithTools([['rsync', 'rsync'], ['prometheus-pushgateway', 'prometheus-pushgateway']], 'NfsMirror run for real', () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  function setUp(entries: string[]) {
    const fx = pipelineSite();
    const t = tempDir('bc-mirror-run-');
    const nfs = path.join(t, 'srv/nfs');
    const disk = path.join(t, 'backup');
    writeFiles(nfs, Object.fromEntries(entries.flatMap((e) => [[`${e}/a.db`, `a of ${e}`], [`${e}/b.db`, `b of ${e}`]])));
    fs.mkdirSync(disk, { recursive: true });
    const env = localMirrorEnv({ t, nfs, disk, gateway: gw.url });
    const mirror = (more: Record<string, string> = {}) => runScript(fx.script(fx.mirror.job.scriptPath), { ...env, ...more });
    return { t, nfs, disk, env, mirror };
  }

  it('a half-restored filesystem at the source (most entries gone) empties no copy: the entries still there are not mirrored with --delete either', async () => {
    const s = setUp(['app1', 'app2', 'app3', 'app4', 'app5']);
    expect(s.mirror().status).toBe(0);
    // a restore in progress: four entries not back yet, the fifth back in part
    for (const gone of ['app2', 'app3', 'app4', 'app5']) fs.rmSync(path.join(s.nfs, gone), { recursive: true });
    fs.rmSync(path.join(s.nfs, 'app1/b.db'));
    const r = s.mirror();
    expect(filesUnder(path.join(s.disk, 'app1'))).toEqual(['a.db', 'b.db']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/4 of the 5 entries this mirror copied are gone from .* at once \(limit 25%\): is the right filesystem mounted there\? Nothing removed, nothing mirrored/);
    expect(filesUnder(path.join(s.disk, 'app5'))).toEqual(['a.db', 'b.db']);
    expect(await gw.value('backup_last_status', { backup_job: 'nfs-mirror' })).toBe(1);
    // told it was meant: the copies follow the source
    expect(s.mirror({ VANISHED_LIMIT_PERCENT: '100', REMOVE_VANISHED_AFTER: '0' }).status).toBe(0);
    expect(filesUnder(path.join(s.disk, 'app1'))).toEqual(['a.db']);
    expect(fs.existsSync(path.join(s.disk, 'app5'))).toBe(false);
    expect(lines(s.env.STATE_FILE)).toEqual(['app1\t0']);
  });

  it('mirrors an entry whose name is as long as a name may be (255 bytes), and lists it', () => {
    const long = 'n'.repeat(255);
    const s = setUp(['app1', long]);
    const r = s.mirror();
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(filesUnder(path.join(s.disk, long))).toEqual(['a.db', 'b.db']);
    expect(lines(s.env.MANIFEST)).toEqual(expect.arrayContaining([`${long}/a.db`, `${long}/b.db`, 'app1/a.db']));
    expect(lines(s.env.STATE_FILE)).toContain(`${long}\t0`);
  });

  it('under en_US.UTF-8 (the host locale a systemd service gets) mirrors every entry after one whose name is not UTF-8', () => {
    const locale = enUsLocale();
    if (!locale) return;
    const s = setUp(['app1', 'zed']);
    // Latin-1 "caf\xe8": bash's read -d '' took the NUL after it as part of a character and
    // lost the next entry (zed), or this one when it came last, without a word
    const latin1 = Buffer.concat([Buffer.from(`${s.nfs}/caf`), Buffer.from([0xe8])]);
    fs.mkdirSync(latin1);
    fs.writeFileSync(Buffer.concat([latin1, Buffer.from('/c.db')]), 'c');
    const r = s.mirror(locale);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/^3 entries mirrored/m);
    expect(filesUnder(path.join(s.disk, 'zed'))).toEqual(['a.db', 'b.db']);
    expect(fs.existsSync(Buffer.concat([Buffer.from(`${s.disk}/caf`), Buffer.from([0xe8]), Buffer.from('/c.db')]))).toBe(true);

    // and counts such an entry when it is gone: three of four gone is a wrong filesystem
    for (const gone of ['app1', 'zed']) fs.rmSync(path.join(s.nfs, gone), { recursive: true });
    fs.mkdirSync(path.join(s.nfs, 'new'));
    fs.writeFileSync(path.join(s.nfs, 'new/x'), 'x');
    fs.rmSync(latin1, { recursive: true });
    fs.mkdirSync(path.join(s.nfs, 'other'));
    fs.writeFileSync(path.join(s.nfs, 'other/y'), 'y');
    const again = s.mirror({ ...locale, REMOVE_VANISHED_AFTER: '0' });
    expect(again.stderr).toMatch(/3 of the 3 entries this mirror copied are gone/);
    expect(again.status).toBe(1);
    expect(filesUnder(path.join(s.disk, 'zed'))).toEqual(['a.db', 'b.db']);
  });
});
