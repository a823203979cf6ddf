import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { AppBackupPart, ComposeAppBackup, Host, PveStorage, Retention, Schedule, VzdumpJob } from '../../constructs';
import { testSite, vm } from '../helpers/fixtures';
import { runInProcessGroup } from '../helpers/process-group';
import { modelOf, reviewOf, writeTree } from '../helpers/synth';
import { systemdVerify } from '../helpers/systemd';
import { describeWithTool, shellcheck, tempDir } from '../helpers/tools';
import { makeFakeDocker } from './fake-docker';

/** A Proxmox host whose VM 204 is the Docker host, backed up nightly, running Authentik and Gitea. */
function appSite() {
  const { site, host } = testSite();
  const docker = new Host(site, 'InfraCore', { name: 'infra-core', address: '10.0.0.20' });
  const disk = new PveStorage(site, 'Tank', { host, storageId: 'tank-backups', type: 'dir', path: '/tank/backups/vzdump', retention: Retention.keepLast(2) });
  const g204 = vm(site, host, 204, { classification: 'critical' });
  new VzdumpJob(site, 'Daily', { host, jobId: 'daily', schedule: Schedule.daily('02:00'), storage: disk, guests: [g204] });
  const authentik = ComposeAppBackup.authentik(site, 'Authentik', { host: docker, guest: g204, mediaPath: '/opt/stacks/authentik/media' });
  const gitea = ComposeAppBackup.gitea(site, 'Gitea', { host: docker, guest: g204, schedule: Schedule.daily('01:40') });
  return { site, docker, authentik, gitea };
}

describe('ComposeAppBackup', () => {
  it('registers the app data, its copy on the Docker host, and the copy its VM image carries to tank-backups', () => {
    const { site } = appSite();
    const model = modelOf(site);
    expect(model.asset('app-data:infra-core:authentik')).toMatchObject({ kind: 'app-data', classification: 'critical', name: 'Authentik (PostgreSQL authentik, media /opt/stacks/authentik/media)' });
    expect(model.job('app-backup-authentik')).toMatchObject({ kind: 'app-backup', host: 'infra-core', scheduleHuman: 'daily at 01:30', writesTo: ['host-path:infra-core:/var/backups/backup-constructs/authentik'] });
    expect(model.target('host-path:infra-core:/var/backups/backup-constructs/authentik')).toMatchObject({ medium: 'source-disk', location: 'on-site' });
    expect(model.copiesOf('app-data:infra-core:gitea').map((c) => [c.job, c.target, c.layer, c.retention, c.derivedFrom])).toEqual([
      ['app-backup-gitea', 'host-path:infra-core:/var/backups/backup-constructs/gitea', 'app', 'keep-last=7', undefined],
      ['daily', 'pve-storage:pve:tank-backups', 'app', 'keep-last=2', 'app-backup-gitea:app-data:infra-core:gitea'],
    ]);
    expect(model.signalsOf('app-backup-gitea')[0].metrics).toContain('backup_last_size_bytes');
  });

  it("restores Gitea completely: files back into the container, the database, restart, hooks (not only an unpacked dump)", () => {
    const { site } = appSite();
    const restore = modelOf(site).job('app-backup-gitea')!.restore!.flatMap((r) => r.commands).join('\n');
    const order = ['tar -C /tmp/gitea-restore -xzf', 'docker cp /tmp/gitea-restore/. gitea:/tmp/gitea-restore', "cp -a /tmp/gitea-restore/data/. /data/gitea/", 'chown -R git:git /data', 'gitea-db.sql', 'docker restart gitea', 'gitea admin regenerate hooks'];
    const positions = order.map((o) => restore.indexOf(o));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('pasted as they are, the Gitea steps hold no placeholder in the copy chain (a placeholder there stopped it half-way)', () => {
    const { site } = appSite();
    const commands = modelOf(site).job('app-backup-gitea')!.restore!.flatMap((r) => r.commands);
    const copy = commands.findIndex((c) => c.includes('cp -a /tmp/gitea-restore/repos/.'));
    expect(commands[copy]).toContain('"$ROOT"/');
    expect(commands[copy]).not.toMatch(/<[^>]+>/);
    expect(commands[copy - 1]).toMatch(/^ROOT=\/data\/git\/repositories /);
  });

  it('restores Authentik into a database made anew, with the server and worker stopped, keeping the old media aside', () => {
    const { site } = appSite();
    const restore = modelOf(site).job('app-backup-authentik')!.restore!.flatMap((r) => r.commands).join('\n');
    const order = ['sha256sum -c', 'docker stop', 'DROP DATABASE authentik', 'CREATE DATABASE authentik', 'psql --username=authentik --dbname=authentik', '.before-restore', 'tar -C', 'docker start'];
    const positions = order.map((o) => restore.indexOf(o));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('renders the parts as settings the operator can read (and tests override)', () => {
    const { site } = appSite();
    const script = reviewOf(site).get('hosts/infra-core/usr/local/lib/backup-constructs/app-backup-authentik.sh')!.content;
    for (const line of ['POSTGRES_CONTAINER=${POSTGRES_CONTAINER:-authentik-postgresql-1}', 'POSTGRES_DATABASE=${POSTGRES_DATABASE:-authentik}', 'MEDIA_PATH=${MEDIA_PATH:-/opt/stacks/authentik/media}', 'DEST=${DEST:-/var/backups/backup-constructs/authentik}', 'KEEP=${KEEP:-7}']) {
      expect(script).toContain(`\n${line}\n`);
    }
    const restore = modelOf(site).job('app-backup-authentik')!.restore!.flatMap((r) => r.commands);
    expect(restore.join('\n')).toContain('docker exec -i authentik-postgresql-1 psql --username=authentik --dbname=authentik --set ON_ERROR_STOP=1');
  });

  it('fails when two parts share a name, or a container or path is malformed', () => {
    const { site, docker } = appSite();
    expect(
      () =>
        new ComposeAppBackup(site, 'Bad', {
          host: docker,
          app: 'bad',
          parts: [AppBackupPart.directory({ name: 'data', path: 'relative/dir' }), AppBackupPart.postgres({ name: 'data', container: 'a b', database: 'x' })],
        }),
    ).toThrow(/\[test\/Bad\] parts\.0\.path: expected an absolute path, got "relative\/dir"[\s\S]*\[test\/Bad\] parts\.1\.name: data is used by two parts[\s\S]*\[test\/Bad\] parts\.1\.container: expected a container name, got "a b"/);
    expect(() => new ComposeAppBackup(site, 'Empty', { host: docker, app: 'empty', parts: [] })).toThrow(/\[test\/Empty\] parts: expected at least one part/);
  });

  it('fails when two apps on one host would share a destination (each rotation would delete the other\'s runs)', () => {
    const { site, docker } = appSite();
    const part = AppBackupPart.directory({ name: 'data', path: '/srv/wiki' });
    new ComposeAppBackup(site, 'Wiki', { host: docker, app: 'wiki', parts: [part], destination: '/srv/backups' });
    expect(() => new ComposeAppBackup(site, 'Chat', { host: docker, app: 'chat', parts: [part], destination: '/srv/backups' })).toThrow(
      /\[test\/Chat\] destination: expected a folder no other job writes to, got \/srv\/backups, which test\/Wiki also writes to on host infra-core.*\(hint: give each app its own destination, e\.g\. \/srv\/backups\/chat\)/,
    );
    // a folder inside another's destination is not a run folder there: rotation leaves it alone
    expect(() => new ComposeAppBackup(site, 'Chat2', { host: docker, app: 'chat', jobId: 'app-backup-chat2', parts: [part], destination: '/srv/backups/chat' })).not.toThrow();
  });

  it('fails up front when the same app on a second Docker host keeps the default job id, suggesting one carrying the host', () => {
    const { site } = appSite();
    const second = new Host(site, 'InfraEdge', { name: 'infra-edge', address: '10.0.0.21' });
    expect(() => ComposeAppBackup.gitea(site, 'Gitea2', { host: second })).toThrow(
      /^\[test\/Gitea2\] jobId: job "app-backup-gitea" is already registered in site test by test\/Gitea\/Job \(hint: job ids name metrics, alerts and Proxmox jobs; give each job its own, e\.g\. jobId: 'app-backup-gitea-infra-edge' for the one on infra-edge\)$/,
    );
    // refused before anything of it was registered: the same app under the suggested id works
    const again = ComposeAppBackup.gitea(site, 'Gitea3', { host: second, jobId: 'app-backup-gitea-infra-edge' });
    expect([again.assetId, again.destination]).toEqual(['app-data:infra-edge:gitea', '/var/backups/backup-constructs/gitea']);
    // the same app twice on one host is one backup with every part: said before its job id
    expect(() => ComposeAppBackup.gitea(site, 'Gitea4', { host: second, destination: '/srv/gitea-backups' })).toThrow(/^\[test\/Gitea4\] app: asset "app-data:infra-edge:gitea" is already registered in site test by test\/Gitea3 \(hint: one ComposeAppBackup per app and host; list every part of the app in its parts\)$/);
  });
});

describeWithTool('shellcheck', 'shellcheck', 'app backup scripts (Gitea against stand-ins for docker and gitea)', () => {
  function setUp() {
    const { site, authentik, gitea } = appSite();
    const dir = tempDir('bc-app-');
    writeTree(dir, reviewOf(site).values());
    const fake = makeFakeDocker(dir);
    const dest = path.join(dir, 'dest');
    const config = path.join(dir, 'app.ini');
    fs.writeFileSync(config, '[server]\nDOMAIN = git.shop\n');
    const prom = path.join(dir, 'prom');
    const env = (more: Record<string, string> = {}) => ({
      PATH: `${fake.bin}:${process.env.PATH}`,
      BC_TEXTFILE_DIR: prom,
      BC_LOCK_0: path.join(dir, 'app.lock'),
      DEST: dest,
      GITEA_DUMP_CONFIG: config,
      ...more,
    });
    const script = (b: ComposeAppBackup) => path.join(dir, 'hosts/infra-core', b.job.scriptPath);
    const metrics = () => fs.readFileSync(path.join(prom, 'backup_app-backup-gitea.prom'), 'utf8');
    const runs = () => (fs.existsSync(dest) ? fs.readdirSync(dest).sort() : []);
    return { dir, fake, dest, env, script, metrics, runs, authentik, gitea };
  }

  it('pass shellcheck and systemd-analyze verify', () => {
    const { dir, script, authentik, gitea } = setUp();
    for (const b of [authentik, gitea]) expect(shellcheck(script(b)).output).toBe('');
    expect(systemdVerify(path.join(dir, 'hosts/infra-core'), ['bc-app-backup-gitea.service', 'bc-app-backup-gitea.timer', 'bc-app-backup-authentik.service']).output).toBe('');
  });

  it('Gitea (stand-ins for docker and gitea): runs gitea dump as git in the container, checks it, writes a dated folder with checksums and reports its size', async () => {
    const { dest, env, script, gitea, fake, metrics, runs } = setUp();
    const r = await runInProcessGroup(script(gitea), env());
    expect(r.stderr).toContain('Dumping database...');
    expect(r.status).toBe(0);
    expect(fake.calls()[0]).toBe(`docker exec --user git gitea gitea dump -c ${env().GITEA_DUMP_CONFIG} --type tar.gz --file -`);
    const [run] = runs();
    expect(run).toMatch(/^\d{8}T\d{6}Z$/);
    expect(fs.readdirSync(path.join(dest, run)).sort()).toEqual(['SHA256SUMS', 'gitea-dump.tar.gz']);
    expect(spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: path.join(dest, run) }).status).toBe(0);
    const listing = spawnSync('tar', ['-tzf', path.join(dest, run, 'gitea-dump.tar.gz')], { encoding: 'utf8' }).stdout;
    expect(listing).toContain('repos/shop/site.git/HEAD');
    expect(fs.statSync(path.join(dest, run)).mode & 0o077).toBe(0);
    expect(metrics()).toMatch(/^backup_last_status\{backup_job="app-backup-gitea",site="test",host="infra-core"\} 0$/m);
    expect(Number(/^backup_last_size_bytes\{[^}]*\} (\d+)$/m.exec(metrics())![1])).toBeGreaterThan(100);
  });

  it('refuses a gitea dump without its database (gitea exited 0), leaving no run and no partial folder', async () => {
    const { env, script, gitea, metrics, runs } = setUp();
    const r = await runInProcessGroup(script(gitea), env({ STANDIN_GITEA: 'nodb' }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the gitea dump has no gitea-db.sql: refusing it');
    expect(runs()).toEqual([]);
    expect(metrics()).toMatch(/^backup_last_status\{[^}]*\} 1$/m);
    expect(metrics()).not.toMatch(/backup_last_success_timestamp_seconds/);
  });

  it('fails when the container is not running, or gitea dump fails', async () => {
    const { env, script, gitea, runs } = setUp();
    expect((await runInProcessGroup(script(gitea), env({ STANDIN_STOPPED: 'gitea' }))).status).toBe(1);
    expect((await runInProcessGroup(script(gitea), env({ STANDIN_GITEA: 'fail' }))).status).toBe(1);
    expect(runs()).toEqual([]);
  });

  it('on SIGTERM during the dump, removes the partial folder and reports 143', async () => {
    const { dest, env, script, gitea, metrics, runs } = setUp();
    const partialExists = () => fs.existsSync(dest) && fs.readdirSync(dest).some((f) => f.endsWith('.partial'));
    const r = await runInProcessGroup(script(gitea), env({ STANDIN_GITEA: 'hang' }), partialExists);
    expect(r.status).toBe(143);
    expect(runs()).toEqual([]);
    expect(metrics()).toMatch(/^backup_last_status\{[^}]*\} 143$/m);
  });

  it('keeps the newest KEEP runs, removes a partial folder of a killed run, and leaves anything else alone', async () => {
    const { dest, env, script, gitea, runs } = setUp();
    for (const d of ['20240101T010000Z', '20240102T010000Z', '20240103T010000Z', '.20240104T010000Z.partial', 'manual-copy-before-upgrade']) fs.mkdirSync(path.join(dest, d), { recursive: true });
    fs.writeFileSync(path.join(dest, 'notes.txt'), 'mine');
    const r = await runInProcessGroup(script(gitea), env({ KEEP: '2' }));
    expect(r.status).toBe(0);
    const left = runs();
    expect(left).toHaveLength(4);
    expect(left.slice(0, 1)).toEqual(['20240103T010000Z']);
    expect(left[1]).toMatch(/^20\d{6}T\d{6}Z$/);
    expect(left.slice(2)).toEqual(['manual-copy-before-upgrade', 'notes.txt']);
  });

  it('removes nothing and fails when runs are stamped later than the new one (the clock jumped), keeping the new run', async () => {
    const { dest, env, script, gitea, metrics, runs } = setUp();
    const future = ['29990101T010000Z', '29990102T010000Z'];
    const past = ['20240101T010000Z'];
    for (const d of [...future, ...past]) fs.mkdirSync(path.join(dest, d), { recursive: true });
    const r = await runInProcessGroup(script(gitea), env({ KEEP: '2' }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('not rotating: run 29990102T010000Z is stamped later than this run');
    const left = runs();
    expect(left).toEqual(expect.arrayContaining([...future, ...past]));
    expect(left).toHaveLength(4);
    const made = left.find((d) => ![...future, ...past].includes(d))!;
    expect(fs.readdirSync(path.join(dest, made)).sort()).toEqual(['SHA256SUMS', 'gitea-dump.tar.gz']);
    expect(metrics()).toMatch(/^backup_last_status\{[^}]*\} 1$/m);
  });
});
