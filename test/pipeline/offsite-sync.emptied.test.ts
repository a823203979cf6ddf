import * as fs from 'fs';
import * as path from 'path';
import { Pushgateway } from '../helpers/pushgateway';
import { describeWithTools, tempDir } from '../helpers/tools';
import { enUsLocale, filesUnder, lines, localOffsiteEnv, pipelineSite, runScript, writeFiles } from './fixture';

/**
 * Step 2's full sync (with --delete) and a bypass entry that is suddenly empty at the source
 * (immich's volume not mounted under /srv/nfs): the real off-site sync, to a local folder and
 * through a stand-in ssh that runs the NAS's rsync here.
 */
describeWithTools([['rsync', 'rsync'], ['prometheus-pushgateway', 'prometheus-pushgateway']], "OffsiteSync Step 2's full sync and a bypass entry emptied at the source", () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  const WEIRD = 'we*rd [x]\\-backup'; // matches *-backup; * [ ] and \ mean something to rsync's filters

  function setUp() {
    const fx = pipelineSite({ pfsense: false });
    const t = tempDir('bc-offsite-emptied-');
    const disk = path.join(t, 'backup');
    const offsite = path.join(t, 'synology');
    const nfs = path.join(t, 'srv/nfs');
    const ssd = path.join(t, 'srv/nfs-ssd');
    writeFiles(disk, { 'mysql/ibdata1': 'db' });
    writeFiles(nfs, { 'immich/library/a.jpg': 'a', 'immich/thumbs/a.webp': 't', 'frigate/rec/old.mp4': 'o', 'frigate/rec/new.mp4': 'n', [`${WEIRD}/dump.sql`]: 'd' });
    writeFiles(ssd, { 'ollama/m.bin': 'm' });
    fs.mkdirSync(path.join(nfs, 'temp'), { recursive: true }); // empty on both sides: nothing to protect
    fs.mkdirSync(offsite, { recursive: true });
    const bin = path.join(t, 'bin');
    // stands in for the NAS's sshd: drops ssh's options and the host, runs the remote command here
    writeFiles(bin, { ssh: `#!/bin/bash\nwhile [ "$#" -gt 0 ]; do case "$1" in -i|-o|-p|-l) shift 2 ;; -*) shift ;; *) shift; break ;; esac; done\nexec "$@"\n` });
    fs.chmodSync(path.join(bin, 'ssh'), 0o755);
    const changeLog = path.join(disk, '.nfs-changes.log');
    const env: Record<string, string> = {
      PATH: `${bin}:${process.env.PATH}`,
      BC_PUSHGATEWAY: gw.url,
      MOUNT_POINT: '/',
      MANIFEST: path.join(disk, '.changed-files'),
      MANIFEST_LOCK: path.join(t, 'locks/manifest.lock'),
      ...localOffsiteEnv({ t, disk, offsite, nfs, ssd, changeLog, fullSync: 'always', workDir: 'work' }),
    };
    const sync = (more: Record<string, string> = {}) => runScript(fx.script(fx.offsite.job.scriptPath), { ...env, ...more });
    return { nfs, ssd, offsite, changeLog, sync, bin };
  }

  function empty(dir: string, keep: string[] = []) {
    for (const e of fs.readdirSync(dir)) fs.rmSync(path.join(dir, e), { recursive: true });
    for (const k of keep) fs.mkdirSync(path.join(dir, k), { recursive: true });
  }

  for (const remote of [false, true]) {
    it(`keeps the off-site copy of an emptied bypass entry, syncs the rest with --delete, and fails naming it until told (${remote ? 'over ssh' : 'local'})`, async () => {
      const s = setUp();
      const dest0 = remote ? `nas.example:${s.offsite}/nfs/` : `${s.offsite}/nfs/`;
      const dest1 = remote ? `nas.example:${s.offsite}/nfs-ssd/` : `${s.offsite}/nfs-ssd/`;
      const first = s.sync({ STEP2_DEST_0: dest0, STEP2_DEST_1: dest1 });
      expect({ status: first.status, stderr: first.stderr }).toEqual({ status: 0, stderr: '' });
      expect(filesUnder(path.join(s.offsite, 'nfs/immich'))).toEqual(['library/a.jpg', 'thumbs/a.webp']);

      empty(path.join(s.nfs, 'immich'), ['library']);
      empty(path.join(s.nfs, WEIRD));
      empty(path.join(s.ssd, 'ollama'));
      fs.rmSync(path.join(s.nfs, 'frigate/rec/old.mp4'));
      fs.writeFileSync(s.changeLog, `${s.nfs}/frigate/rec/new.mp4\n`);
      const r = s.sync({ STEP2_DEST_0: dest0, STEP2_DEST_1: dest1 });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`${s.nfs}/immich is empty but its copy in ${dest0} holds files: is something not mounted there? Left out of the full sync, its copy kept`);
      expect(r.stderr).toContain(`${s.ssd}/ollama is empty but its copy in ${dest1} holds files`);
      expect(r.stderr).toContain(`${s.nfs}/${WEIRD} is empty but its copy`);
      // a path with a space cannot be one word of the setting: all of them, then
      expect(r.stderr).toContain("If they were emptied on purpose, run once with ALLOW_EMPTIED='*' FULL_SYNC=always");
      expect(r.stderr).not.toMatch(/\/temp is empty/);
      expect(r.stderr).toMatch(/step 2 \(bypass paths\) failed with status 1; the change log is kept/);
      expect(filesUnder(path.join(s.offsite, 'nfs/immich'))).toEqual(['library/a.jpg', 'thumbs/a.webp']);
      expect(filesUnder(path.join(s.offsite, 'nfs', WEIRD))).toEqual(['dump.sql']);
      expect(filesUnder(path.join(s.offsite, 'nfs-ssd/ollama'))).toEqual(['m.bin']);
      // the other bypass entries still get their deletions
      expect(filesUnder(path.join(s.offsite, 'nfs/frigate'))).toEqual(['rec/new.mp4']);
      expect(lines(s.changeLog)).toEqual([`${s.nfs}/frigate/rec/new.mp4`]);
      expect(await gw.value('backup_last_status', { backup_job: 'offsite-sync-backup' })).toBe(1);

      // told for immich only: immich follows its source, the others are still kept
      const one = s.sync({ STEP2_DEST_0: dest0, STEP2_DEST_1: dest1, ALLOW_EMPTIED: `${s.nfs}/immich` });
      expect(one.status).toBe(1);
      expect(one.stderr).toContain(`${s.nfs}/immich is empty and ALLOW_EMPTIED names it`);
      expect(filesUnder(path.join(s.offsite, 'nfs/immich'))).toEqual([]);
      expect(filesUnder(path.join(s.offsite, 'nfs-ssd/ollama'))).toEqual(['m.bin']);
      expect(filesUnder(path.join(s.offsite, 'nfs', WEIRD))).toEqual(['dump.sql']);

      const all = s.sync({ STEP2_DEST_0: dest0, STEP2_DEST_1: dest1, ALLOW_EMPTIED: '*' });
      expect(all.status).toBe(0);
      expect(all.stderr).toContain(`${s.ssd}/ollama is empty and ALLOW_EMPTIED names it`);
      expect(filesUnder(path.join(s.offsite, 'nfs-ssd/ollama'))).toEqual([]);
      expect(lines(s.changeLog)).toEqual([]);
      expect(await gw.value('backup_last_status', { backup_job: 'offsite-sync-backup' })).toBe(0);
    });
  }

  it('keeps the emptied entry that follows a name not valid in UTF-8, under the host\'s UTF-8 locale', () => {
    const locale = enUsLocale();
    if (!locale) return;
    const s = setUp();
    // an entry whose Latin-1 name ends in a lead byte (h\xe8, sorting just before immich): under
    // a UTF-8 locale bash's read -d '' took the NUL after it as part of a character and
    // swallowed the next entry, whose emptied guard then never ran
    const latin1 = Buffer.concat([Buffer.from(s.nfs + '/h'), Buffer.from([0xe8])]);
    fs.mkdirSync(latin1);
    fs.writeFileSync(Buffer.concat([latin1, Buffer.from('/dump.sql')]), 'd');
    // find lists entries in the directory's hash order: sorted here, so immich follows that name
    writeFiles(s.bin, { find: '#!/bin/bash\ncase "$*" in *\'%f\\0\'*) /usr/bin/find "$@" | LC_ALL=C sort -z ;; *) exec /usr/bin/find "$@" ;; esac\n' });
    fs.chmodSync(path.join(s.bin, 'find'), 0o755);
    const dest = { STEP2_DEST_0: `${s.offsite}/nfs/`, STEP2_DEST_1: `${s.offsite}/nfs-ssd/` };
    expect(s.sync({ ...dest, ...locale }).status).toBe(0);
    empty(path.join(s.nfs, 'immich'));
    const r = s.sync({ ...dest, ...locale });
    expect(r.stderr).toContain(`${s.nfs}/immich is empty but its copy in ${dest.STEP2_DEST_0} holds files`);
    expect(r.status).toBe(1);
    expect(filesUnder(path.join(s.offsite, 'nfs/immich'))).toEqual(['library/a.jpg', 'thumbs/a.webp']);
  });
});
