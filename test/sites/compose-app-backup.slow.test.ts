import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ComposeAppBackup, Host } from '../../constructs';
import { freePort } from '../helpers/pushgateway';
import { testSite } from '../helpers/fixtures';
import { reviewOf, writeTree } from '../helpers/synth';
import { describeWithTool, tempDir } from '../helpers/tools';
import { makeFakeDocker } from './fake-docker';

/** A real PostgreSQL 15 (Debian) in a temporary folder on loopback, as TOOLCHAIN.md describes. */
class Postgres {
  static async start(): Promise<Postgres> {
    const dir = fs.mkdtempSync('/tmp/bc-sites-pg-');
    fs.chmodSync(dir, 0o755);
    const port = await freePort();
    const version = fs.readdirSync('/usr/lib/postgresql').sort().reverse()[0];
    const bin = `/usr/lib/postgresql/${version}/bin`;
    execFileSync('chown', ['postgres', dir]);
    execFileSync('runuser', ['-u', 'postgres', '--', `${bin}/initdb`, '-D', `${dir}/data`, '-A', 'trust', '-U', 'postgres', '--no-sync'], { stdio: 'ignore' });
    execFileSync('runuser', ['-u', 'postgres', '--', `${bin}/pg_ctl`, '-D', `${dir}/data`, '-o', `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', `${dir}/pg.log`, '-w', 'start'], { stdio: 'ignore' });
    return new Postgres(dir, port, bin);
  }

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  /** What a `docker exec` into the postgresql container sees: the server on its local socket. */
  get env(): Record<string, string> {
    return { PGHOST: this.dir, PGPORT: String(this.port) };
  }

  psql(db: string, sql: string, user = 'postgres'): string {
    return execFileSync('psql', ['-h', this.dir, '-p', String(this.port), '-U', user, '-d', db, '-AtX', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' }).trim();
  }

  stop(): void {
    try {
      execFileSync('runuser', ['-u', 'postgres', '--', `${this.bin}/pg_ctl`, '-D', `${this.dir}/data`, '-m', 'fast', 'stop'], { stdio: 'ignore' });
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

describeWithTool('pg_ctlcluster', 'postgresql', 'Authentik backup against a stand-in for docker that runs the real pg_dump against a real PostgreSQL', () => {
  let pg: Postgres;
  beforeAll(async () => {
    pg = await Postgres.start();
    pg.psql('postgres', 'CREATE ROLE authentik LOGIN');
    pg.psql('postgres', 'CREATE DATABASE authentik OWNER authentik');
    pg.psql('authentik', "CREATE TABLE authentik_core_user (id serial PRIMARY KEY, username text NOT NULL); INSERT INTO authentik_core_user (username) SELECT 'user' || g FROM generate_series(1, 500) g;", 'authentik');
  }, 60_000);
  afterAll(() => pg?.stop());

  function setUp() {
    const { site } = testSite();
    const docker = new Host(site, 'InfraCore', { name: 'infra-core', address: '10.0.0.20' });
    const backup = ComposeAppBackup.authentik(site, 'Authentik', { host: docker, mediaPath: '/opt/stacks/authentik/media' });
    const dir = tempDir('bc-authentik-');
    writeTree(dir, reviewOf(site).values());
    const fake = makeFakeDocker(dir);
    const media = path.join(dir, 'media');
    fs.mkdirSync(path.join(media, 'public/flow-backgrounds'), { recursive: true });
    fs.writeFileSync(path.join(media, 'public/flow-backgrounds/shop.jpg'), 'jpeg bytes');
    const dest = path.join(dir, 'dest');
    const env = (more: Record<string, string> = {}) => ({
      ...process.env,
      ...pg.env,
      PATH: `${fake.bin}:${process.env.PATH}`,
      BC_TEXTFILE_DIR: path.join(dir, 'prom'),
      BC_LOCK_0: path.join(dir, 'app.lock'),
      DEST: dest,
      MEDIA_PATH: media,
      ...more,
    });
    const run = (more: Record<string, string> = {}) => spawnSync(path.join(dir, 'hosts/infra-core', backup.job.scriptPath), [], { env: env(more), encoding: 'utf8' });
    const status = () => Number(/^backup_last_status\{[^}]*\} (\d+)$/m.exec(fs.readFileSync(path.join(dir, 'prom/backup_app-backup-authentik.prom'), 'utf8'))![1]);
    const runs = () => (fs.existsSync(dest) ? fs.readdirSync(dest) : []);
    return { dir, fake, dest, run, status, runs };
  }

  it('dumps the database through docker exec and archives the media; the dump restores into a fresh database', () => {
    const { fake, dest, run, status, runs, dir } = setUp();
    const r = run();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fake.calls()).toEqual(['docker exec authentik-postgresql-1 pg_dump --username=authentik --dbname=authentik --clean --if-exists']);
    const folder = path.join(dest, runs()[0]);
    expect(fs.readdirSync(folder).sort()).toEqual(['SHA256SUMS', 'media.tar.gz', 'postgres.sql.gz']);
    expect(spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: folder }).status).toBe(0);
    expect(status()).toBe(0);

    // restore: the runbook's commands, with psql on the test server instead of in the container
    pg.psql('postgres', 'CREATE DATABASE restored OWNER authentik');
    const sql = execFileSync('gunzip', ['-c', path.join(folder, 'postgres.sql.gz')]);
    execFileSync('psql', ['-h', pg.dir, '-p', String(pg.port), '-U', 'authentik', '-d', 'restored', '-v', 'ON_ERROR_STOP=1', '-q', '-f', '-'], { input: sql });
    expect(pg.psql('restored', "SELECT count(*), max(username) FROM authentik_core_user WHERE username LIKE 'user%'")).toBe('500|user99');
    const unpacked = path.join(dir, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['-C', unpacked, '-xzf', path.join(folder, 'media.tar.gz')]);
    expect(fs.readFileSync(path.join(unpacked, 'public/flow-backgrounds/shop.jpg'), 'utf8')).toBe('jpeg bytes');
  });

  it('fails without a run when the database does not exist, the container is stopped, or the media folder is missing', () => {
    const { run, status, runs, dest } = setUp();
    const noDb = run({ POSTGRES_DATABASE: 'missing' });
    expect(noDb.status).not.toBe(0);
    expect(noDb.stderr).toMatch(/database "missing" does not exist/);
    expect(status()).not.toBe(0);
    expect(run({ STANDIN_STOPPED: 'authentik-postgresql-1' }).status).toBe(1);
    const noMedia = run({ MEDIA_PATH: path.join(dest, 'nope') });
    expect(noMedia.status).toBe(66);
    expect(runs()).toEqual([]);
  });

  it('refuses a dump cut short although docker exec exited 0 (no closing line from pg_dump)', () => {
    const { run, status, runs } = setUp();
    const r = run({ STANDIN_TRUNCATE: '4000' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("the dump of authentik is incomplete: pg_dump's closing line is missing");
    expect(status()).toBe(1);
    expect(runs()).toEqual([]);
  });
});
