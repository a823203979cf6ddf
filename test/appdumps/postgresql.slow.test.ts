import * as fs from 'fs';
import * as path from 'path';
import { AppDumpCronJob, BackupVolume, DumpEngine, Schedule, SecretRef, Size } from '../../constructs';
import { Pushgateway } from '../helpers/pushgateway';
import { shellcheck, tempDir } from '../helpers/tools';
import { modelOf, synthJson } from '../helpers/synth';
import { describeWithTools, labSite, paste, listDir, newArtifacts, podScripts, PodScripts, rotationFixtures, runPod, runScript } from './run';
import { PostgresServer, sh } from './servers';

const PREFIX_FULL = 'postgresql-backup';
const PREFIX_PER_DB = 'postgresql-backup-per-db';

function scripts(minTables?: number): { full: PodScripts; perDb: PodScripts } {
  const { site } = labSite();
  const backupVolume = BackupVolume.existingClaim('postgresql-backup');
  const password = SecretRef.fromSecret('pg-credentials', 'password');
  new AppDumpCronJob(site, 'Full', {
    namespace: 'dbaas',
    jobId: PREFIX_FULL,
    engine: DumpEngine.postgresql({ host: 'postgresql.dbaas', password, minTables, minSize: Size.bytes(512) }),
    schedule: Schedule.daily('00:00'),
    retentionDays: 14,
    backupVolume,
  });
  new AppDumpCronJob(site, 'PerDb', {
    namespace: 'dbaas',
    jobId: PREFIX_PER_DB,
    engine: DumpEngine.postgresqlPerDatabase({ host: 'postgresql.dbaas', password, minTables, minSize: Size.bytes(512) }),
    schedule: Schedule.daily('00:15'),
    retentionDays: 14,
    backupVolume,
  });
  // the scripts come from the Terraform resources as deployed
  const json = synthJson(site);
  return { full: podScripts(json, PREFIX_FULL), perDb: podScripts(json, PREFIX_PER_DB) };
}

describeWithTools([['pg_dumpall', 'postgresql'], ['prometheus-pushgateway', 'prometheus-pushgateway'], ['shellcheck', 'shellcheck']], 'PostgreSQL engines against a real server', () => {
  let pg: PostgresServer;
  let gw: Pushgateway;
  let s: { full: PodScripts; perDb: PodScripts };

  beforeAll(async () => {
    [pg, gw] = await Promise.all([PostgresServer.start(), Pushgateway.start()]);
    pg.psql('postgres', 'CREATE DATABASE shop');
    pg.psql('postgres', 'CREATE DATABASE wiki');
    pg.psqlFile('shop', "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g; CREATE TABLE orders (id int, item int); INSERT INTO orders VALUES (1, 7), (2, 9);");
    pg.psqlFile('wiki', "CREATE TABLE pages (title text); INSERT INTO pages VALUES ('Home'), ('About');");
    s = scripts();
  }, 120_000);

  afterAll(async () => {
    gw?.stop();
    pg?.stop();
  });

  const env = (out: string, status: string, extra: Record<string, string> = {}) => ({ ...pg.env, BC_OUT_DIR: out, BC_STATUS_DIR: status, ...extra });
  const labels = (job: string) => ({ backup_job: job, site: 'lab', host: 'k8s' });

  it('the scripts pass shellcheck (sh dialect) and hold no credential, only the Secret reference', () => {
    const dir = tempDir();
    for (const [name, text] of Object.entries({ full: s.full.dump, perDb: s.perDb.dump, report: s.full.report })) {
      const file = path.join(dir, `${name}.sh`);
      fs.writeFileSync(file, text);
      expect(shellcheck(file)).toEqual({ status: 0, output: '' });
    }
    const env = s.full.resource.spec.job_template.spec.template.spec.container[0].env;
    expect(env).toContainEqual({ name: 'PGPASSWORD', value_from: { secret_key_ref: { name: 'pg-credentials', key: 'password' } } });
  });

  it('full: pg_dumpall restores into a fresh server with the same rows; rotation deletes only its own old dumps; success is pushed', async () => {
    const out = tempDir();
    const status = tempDir();
    const fx = rotationFixtures(out, PREFIX_FULL, '.sql.gz', 14);
    const run = runPod(s.full, 'dash', env(out, status), gw.url);
    expect(run.dump.stderr).not.toMatch(/FAILED/);
    expect(run.dump.status).toBe(0);
    expect(run.report.status).toBe(0);
    const [dump] = newArtifacts(out, PREFIX_FULL, '.sql.gz');
    expect(dump).toBeDefined();
    // rotation: only this job's dump older than 14 days went
    expect(fs.existsSync(fx.ownOld)).toBe(false);
    expect(fs.existsSync(fx.ownYoung)).toBe(true);
    for (const f of fx.foreign) expect(fs.existsSync(f)).toBe(true);
    expect(listDir(out).filter((n) => n.startsWith('.bc-work'))).toEqual([]);

    const fresh = await PostgresServer.start();
    try {
      fresh.psqlFile('postgres', sh('sh', ['-c', `gzip -dc '${path.join(out, dump)}'`]), false);
      expect(fresh.psql('shop', 'SELECT count(*), sum(id) FROM items')).toBe('500|125250');
      expect(fresh.psql('shop', 'SELECT item FROM orders ORDER BY id')).toBe('7\n9');
      expect(fresh.psql('wiki', 'SELECT string_agg(title, \',\' ORDER BY title) FROM pages')).toBe('About,Home');
    } finally {
      fresh.stop();
    }
    expect(await gw.value('backup_last_status', labels(PREFIX_FULL))).toBe(0);
    expect(await gw.value('backup_last_success_timestamp_seconds', labels(PREFIX_FULL))).toBeGreaterThan(Date.now() / 1000 - 120);
    expect(await gw.value('backup_last_size_bytes', labels(PREFIX_FULL))).toBe(fs.statSync(path.join(out, dump)).size);
  }, 120_000);

  it('per database: one pg_dump -Fc per database, each restores with pg_restore into a fresh database', () => {
    const out = tempDir();
    const status = tempDir();
    const fx = rotationFixtures(path.join(out, 'per-db', 'shop'), PREFIX_PER_DB, '.dump', 14);
    const run = runPod(s.perDb, 'dash', env(path.join(out, 'per-db'), status), gw.url);
    expect(run.dump.stderr).not.toMatch(/FAILED/);
    expect(run.report.status).toBe(0);
    expect(listDir(path.join(out, 'per-db'))).toEqual(['postgres', 'shop', 'wiki']);
    const [shopDump] = newArtifacts(path.join(out, 'per-db', 'shop'), PREFIX_PER_DB, '.dump');
    expect(fs.existsSync(fx.ownOld)).toBe(false);
    expect(fs.existsSync(fx.ownYoung)).toBe(true);
    for (const f of fx.foreign) expect(fs.existsSync(f)).toBe(true);

    pg.psql('postgres', 'DROP DATABASE IF EXISTS shop_restored');
    pg.psql('postgres', 'CREATE DATABASE shop_restored');
    sh('pg_restore', ['-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres', '-d', 'shop_restored', path.join(out, 'per-db', 'shop', shopDump)]);
    expect(pg.psql('shop_restored', 'SELECT count(*), sum(id) FROM items')).toBe('500|125250');
    expect(pg.psql('shop_restored', 'SELECT count(*) FROM orders')).toBe('2');
  });

  it('a failing dump (server unreachable) exits non-zero, pushes the failure, keeps the last success time and every old dump', async () => {
    const out = tempDir();
    const status = tempDir();
    const ok = runPod(s.full, 'dash', env(out, status), gw.url);
    expect(ok.report.status).toBe(0);
    const success = await gw.value('backup_last_success_timestamp_seconds', labels(PREFIX_FULL));
    const fx = rotationFixtures(out, PREFIX_FULL, '.sql.gz', 14);
    const before = listDir(out);

    const direct = runScript('dash', s.full.dump, env(out, tempDir(), { PGPORT: '1' }));
    expect(direct.status).not.toBe(0);
    expect(direct.stderr).toMatch(/pg_dumpall exited with status/);

    const failed = runPod(s.full, 'dash', env(out, status, { PGPORT: '1' }), gw.url);
    expect(failed.dump.status).toBe(0); // the init container records the outcome and lets the report run
    expect(failed.report.status).not.toBe(0);
    expect(await gw.value('backup_last_status', labels(PREFIX_FULL))).toBe(1);
    expect(await gw.value('backup_last_success_timestamp_seconds', labels(PREFIX_FULL))).toBe(success);
    expect(listDir(out)).toEqual(before);
    expect(fs.existsSync(fx.ownOld)).toBe(true);
  });

  it('guards against false success: a truncated dump, a dump whose command failed after writing, and a dump below the table floor all fail', () => {
    const bin = tempDir();
    const real = sh('sh', ['-c', 'command -v pg_dumpall']).trim();
    // stand-ins on PATH before the real pg_dumpall
    fs.writeFileSync(path.join(bin, 'pg_dumpall'), `#!/bin/sh\n'${real}' "$@" | head -c 3000\nexit 0\n`, { mode: 0o755 });
    const truncOut = tempDir();
    const fx = rotationFixtures(truncOut, PREFIX_FULL, '.sql.gz', 14);
    const truncated = runScript('dash', s.full.dump, env(truncOut, tempDir(), { PATH: `${bin}:${process.env.PATH}` }));
    expect(truncated.status).toBe(1);
    expect(truncated.stderr).toMatch(/does not end with pg_dumpall's completion line/);
    expect(fs.existsSync(fx.ownOld)).toBe(true);
    expect(newArtifacts(truncOut, PREFIX_FULL, '.sql.gz')).toEqual([]);

    fs.writeFileSync(path.join(bin, 'pg_dumpall'), `#!/bin/sh\n'${real}' "$@"\nexit 3\n`, { mode: 0o755 });
    const lateFail = runScript('dash', s.full.dump, env(tempDir(), tempDir(), { PATH: `${bin}:${process.env.PATH}` }));
    expect(lateFail.status).toBe(1);
    expect(lateFail.stderr).toMatch(/pg_dumpall exited with status 3/);

    const strict = scripts(50);
    const floorOut = tempDir();
    const belowFloor = runScript('dash', strict.full.dump, env(floorOut, tempDir()));
    expect(belowFloor.status).toBe(1);
    expect(belowFloor.stderr).toMatch(/tables in the dump: \d+, below the floor of 50/);
    expect(listDir(floorOut)).toEqual([]);
  });

  it("per database: the runbook's lines, with <db> chosen, restore the newest dump over the damaged live database", () => {
    // the runbook of a job that names this server, as the restore shell reaches it
    const { site } = labSite();
    new AppDumpCronJob(site, 'PerDb', {
      namespace: 'dbaas',
      jobId: PREFIX_PER_DB,
      engine: DumpEngine.postgresqlPerDatabase({ host: '127.0.0.1', port: pg.port, password: SecretRef.fromSecret('pg-credentials', 'password') }),
      schedule: Schedule.daily('00:15'),
      retentionDays: 14,
      backupVolume: BackupVolume.existingClaim('postgresql-backup'),
    });
    const steps = modelOf(site).job(PREFIX_PER_DB)!.restore!;
    const out = tempDir();
    expect(runPod(s.perDb, 'dash', env(path.join(out, 'per-db'), tempDir()), gw.url).report.status).toBe(0);
    pg.psql('shop', 'DROP TABLE items; DELETE FROM orders');
    // what the operator types in the restore shell: everything after starting it, the database chosen
    const shell = steps.findIndex((x) => /^start a restore shell/.test(x.title));
    const lines = steps
      .slice(shell + 1)
      .flatMap((x) => x.commands)
      .map((c) => (c === "db='<db>'" ? "db='shop'" : c));
    // no libpq variables: the lines name the server themselves (the pod's shell has PGPASSWORD only)
    const r = paste(lines, { '/backup': out }, { PATH: process.env.PATH, HOME: process.env.HOME });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['postgres', 'shop', 'wiki']));
    expect(pg.psql('shop', 'SELECT count(*), sum(id) FROM items')).toBe('500|125250');
    expect(pg.psql('shop', 'SELECT count(*) FROM orders')).toBe('2');
  });
});
