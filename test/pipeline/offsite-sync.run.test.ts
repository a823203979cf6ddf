import * as fs from 'fs';
import * as path from 'path';
import { Pushgateway } from '../helpers/pushgateway';
import { describeWithTools, tempDir } from '../helpers/tools';
import { lines, localOffsiteEnv, pipelineSite, runAndTerminate, runScript, writeFiles } from './fixture';

/**
 * The off-site sync run for real: rsync to local folders (the Synology stands in as a
 * folder), a real Pushgateway, and for the network case a stand-in `ssh` that runs the
 * remote rsync locally, so what goes over the wire (`-z`, the key file) can be seen.
 */
describeWithTools([['rsync', 'rsync'], ['prometheus-pushgateway', 'prometheus-pushgateway']], 'OffsiteSync run for real against temporary folders', () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  function setUp() {
    const fx = pipelineSite({ pfsense: false });
    const t = tempDir('bc-offsite-');
    const disk = path.join(t, 'backup');
    const offsite = path.join(t, 'synology');
    const nfs = path.join(t, 'srv/nfs');
    const ssd = path.join(t, 'srv/nfs-ssd');
    writeFiles(disk, { 'pvc-data/2026-20/apps/data/a.txt': 'a', 'pvc-data/2026-20/apps/data/b.txt': 'b', 'mysql/ibdata1': 'db', 'not-listed.txt': 'only a full sync ships me' });
    writeFiles(nfs, { 'immich/x.jpg': 'x' });
    writeFiles(ssd, { 'ollama/m.bin': 'm' });
    fs.mkdirSync(offsite, { recursive: true });
    const manifest = path.join(disk, '.changed-files');
    fs.writeFileSync(manifest, 'pvc-data/2026-20/apps/data/a.txt\nmysql/ibdata1\npvc-data/2026-19/pruned-since.txt\n');
    const changeLog = path.join(disk, '.nfs-changes.log');
    fs.writeFileSync(changeLog, `${nfs}/immich/x.jpg\n`);
    // every rsync the script runs is logged, then the real one runs
    const bin = path.join(t, 'bin');
    const calls = path.join(t, 'calls.log');
    writeFiles(bin, {
      rsync: `#!/bin/bash
echo "rsync $*" >>'${calls}'
if [ -n "\${APPEND_DURING:-}" ]; then
  flock '${t}/locks/manifest.lock' sh -c 'echo "$0" >>"$1"' "$APPEND_DURING" '${manifest}'
fi
if [ -n "\${SLOW:-}" ]; then sleep 20; fi
exec /usr/bin/rsync "$@"
`,
      // stands in for the NAS's sshd: drops ssh's options and the host, runs the remote command here
      ssh: `#!/bin/bash
echo "ssh $*" >>'${calls}'
while [ "$#" -gt 0 ]; do case "$1" in -i|-o|-p|-l) shift 2 ;; -*) shift ;; *) shift; break ;; esac; done
exec "$@"
`,
    });
    for (const f of ['rsync', 'ssh']) fs.chmodSync(path.join(bin, f), 0o755);
    const env: Record<string, string> = {
      PATH: `${bin}:${process.env.PATH}`,
      BC_PUSHGATEWAY: gw.url,
      MOUNT_POINT: '/',
      MANIFEST: manifest,
      MANIFEST_LOCK: path.join(t, 'locks/manifest.lock'),
      ...localOffsiteEnv({ t, disk, offsite, nfs, ssd, changeLog, fullSync: 'never', workDir: 'work' }),
    };
    return { fx, t, disk, offsite, manifest, changeLog, env, calls, script: fx.script(fx.offsite.job.scriptPath) };
  }

  const status = () => gw.value('backup_last_status', { backup_job: 'offsite-sync-backup' });
  const shipped = (offsite: string, rel: string) => fs.existsSync(path.join(offsite, 'pve-backup', rel));

  it('a destination that fails leaves the manifest and the change log intact and pushes status 1', async () => {
    const s = setUp();
    const before = fs.readFileSync(s.manifest, 'utf8');
    const r = runScript(s.script, { ...s.env, STEP1_DEST: path.join(s.t, 'no/such/parent/pve-backup') + '/', STEP2_DEST_0: path.join(s.t, 'no/such/parent/nfs') + '/' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/step 1 .* failed/);
    expect(fs.readFileSync(s.manifest, 'utf8')).toBe(before);
    expect(lines(s.changeLog)).toEqual([`${s.env.STEP2_SOURCE_0}/immich/x.jpg`]);
    expect(await status()).toBe(1);
    expect(await gw.value('backup_last_success_timestamp_seconds', { backup_job: 'offsite-sync-backup' })).toBeUndefined();
  });

  it('a success ships what the manifest lists, skips what was pruned since, and truncates only those lines', async () => {
    const s = setUp();
    const r = runScript(s.script, { ...s.env, APPEND_DURING: 'pvc-data/2026-20/apps/data/b.txt' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(shipped(s.offsite, 'pvc-data/2026-20/apps/data/a.txt')).toBe(true);
    expect(shipped(s.offsite, 'mysql/ibdata1')).toBe(true);
    expect(shipped(s.offsite, 'not-listed.txt')).toBe(false);
    expect(fs.existsSync(path.join(s.offsite, 'nfs/immich/x.jpg'))).toBe(true);
    // a writer appended while the sync ran (each rsync call appends once): those lines stay
    const left = lines(s.manifest);
    expect(left.length).toBeGreaterThan(0);
    expect(new Set(left)).toEqual(new Set(['pvc-data/2026-20/apps/data/b.txt']));
    expect(lines(s.changeLog)).toEqual([]);
    expect(await status()).toBe(0);
    expect(await gw.value('backup_offsite_manifest_lines', { backup_job: 'offsite-sync-backup' })).toBe(3);
  });

  it('ships listed names that start with # or ;, which --files-from would take for comments and skip without a word', async () => {
    const s = setUp();
    writeFiles(s.disk, { '#notes/n.txt': 'n', ';semi/s.txt': 's' });
    fs.appendFileSync(s.manifest, '#notes/n.txt\n;semi/s.txt\n');
    writeFiles(s.env.STEP2_SOURCE_0, { 'immich/#tagged.jpg': 't' });
    fs.appendFileSync(s.changeLog, `${s.env.STEP2_SOURCE_0}/immich/#tagged.jpg\n`);
    const r = runScript(s.script, s.env);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect([shipped(s.offsite, '#notes/n.txt'), shipped(s.offsite, ';semi/s.txt'), fs.existsSync(path.join(s.offsite, 'nfs/immich/#tagged.jpg'))]).toEqual([true, true, true]);
    expect(lines(s.manifest)).toEqual([]);
  });

  it('a manifest over its cap forces a full sync of the backup disk', async () => {
    const s = setUp();
    const r = runScript(s.script, { ...s.env, MANIFEST_MAX_LINES: '2' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/over the cap of 2: full sync/);
    expect(shipped(s.offsite, 'not-listed.txt')).toBe(true);
    expect(shipped(s.offsite, '.changed-files')).toBe(false);
    expect(lines(s.manifest)).toEqual([]);
    expect(await gw.value('backup_offsite_full_sync', { backup_job: 'offsite-sync-backup' })).toBe(1);
  });

  it('refuses a full sync of a backup disk holding nothing but the logs (not mounted, requireMount off), keeping the off-site copy', async () => {
    const s = setUp();
    writeFiles(path.join(s.offsite, 'pve-backup'), { 'pvc-data/2026-19/apps/data/a.txt': 'shipped last month' });
    for (const entry of fs.readdirSync(s.disk)) if (!entry.startsWith('.')) fs.rmSync(path.join(s.disk, entry), { recursive: true });
    fs.mkdirSync(path.join(s.disk, 'lost+found'));
    const r = runScript(s.script, { ...s.env, FULL_SYNC: 'always' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${s.disk} holds nothing but the logs: is the backup disk mounted? not syncing it with --delete`);
    expect(shipped(s.offsite, 'pvc-data/2026-19/apps/data/a.txt')).toBe(true);
    expect(lines(s.manifest)).toHaveLength(3); // not consumed
    expect(await status()).toBe(1);
  });

  it('compresses and uses the key file only over the network; local copies run without -z', () => {
    const s = setUp();
    const remote = runScript(s.script, { ...s.env, STEP1_DEST: `nas.example:${s.offsite}/pve-backup/` });
    expect({ status: remote.status, stderr: remote.stderr }).toEqual({ status: 0, stderr: '' });
    expect(shipped(s.offsite, 'mysql/ibdata1')).toBe(true);
    const calls = lines(s.calls);
    const ssh = calls.filter((c) => c.startsWith('ssh '));
    expect(ssh).toHaveLength(1);
    expect(ssh[0]).toMatch(/^ssh -i \/root\/\.ssh\/offsite_key -p 22 -o BatchMode=yes .*nas\.example rsync --server -[a-zA-Z]*z[a-zA-Z]*e\./);
    const local = calls.filter((c) => c.startsWith('rsync ') && !c.includes('nas.example') && !c.includes('--server'));
    expect(local.length).toBeGreaterThanOrEqual(1);
    for (const c of local) expect({ c, z: /\s-[a-zA-Z]*z|--compress/.test(c) }).toEqual({ c, z: false });
    expect(calls.find((c) => c.includes('nas.example'))).toMatch(/^rsync -z -e /);
  });

  it('pushes the failure when systemd stops it mid-run (SIGTERM), and keeps the manifest', async () => {
    const s = setUp();
    const before = fs.readFileSync(s.manifest, 'utf8');
    const r = await runAndTerminate(s.script, { ...s.env, SLOW: '1' }, 1000);
    expect(r.code).toBe(143);
    expect(await status()).toBe(143);
    expect(fs.readFileSync(s.manifest, 'utf8')).toBe(before);
  });

  it('refuses to run when the backup disk is not mounted', async () => {
    const s = setUp();
    const r = runScript(s.script, { ...s.env, MOUNT_POINT: s.disk });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/is not a mount point: refusing to run/);
    expect(fs.readdirSync(s.offsite)).toEqual([]);
    expect(await status()).toBe(1);
  });
});
