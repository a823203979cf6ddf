import * as fs from 'fs';
import * as path from 'path';
import { Pushgateway } from '../helpers/pushgateway';
import { describeWithTools, tempDir } from '../helpers/tools';
import { filesUnder, lines, pipelineSite, runScript, writeFiles } from './fixture';

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
    const env = {
      BC_PUSHGATEWAY: gw.url,
      MOUNT_POINT: '/',
      MANIFEST: path.join(disk, '.changed-files'),
      MANIFEST_ROOT: disk,
      MANIFEST_LOCK: path.join(t, 'locks/manifest.lock'),
      SOURCE: nfs,
      DEST: disk,
      WORK_DIR: path.join(t, 'work'),
      STATE_FILE: path.join(t, 'state/mirrored-entries'),
    };
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
});
