import * as fs from 'fs';
import * as path from 'path';
import { AppDumpCronJob, BackupVolume, DumpEngine, Schedule, SecretRef } from '../../constructs';
import { Pushgateway } from '../helpers/pushgateway';
import { modelOf, synthJson } from '../helpers/synth';
import { shellcheck, tempDir } from '../helpers/tools';
import { describeWithTools, labSite, paste, listDir, newArtifacts, podScripts, PodScripts, rotationFixtures, runPod, runScript } from './run';
import { MariadbServer, sh } from './servers';

const FULL = 'mysql-backup';
const PER_DB = 'mysql-backup-per-db';

function scripts(): { full: PodScripts; perDb: PodScripts } {
  const { site } = labSite();
  const backupVolume = BackupVolume.existingClaim('mysql-backup');
  const password = SecretRef.fromSecret('mysql-credentials', 'root-password');
  new AppDumpCronJob(site, 'Full', { namespace: 'dbaas', jobId: FULL, engine: DumpEngine.mysql({ host: 'mysql.dbaas', user: 'backup', password }), schedule: Schedule.daily('00:30'), retentionDays: 14, backupVolume });
  new AppDumpCronJob(site, 'PerDb', { namespace: 'dbaas', jobId: PER_DB, engine: DumpEngine.mysqlPerDatabase({ host: 'mysql.dbaas', user: 'backup', password, minTables: 1 }), schedule: Schedule.daily('00:45'), retentionDays: 14, backupVolume });
  const json = synthJson(site);
  return { full: podScripts(json, FULL), perDb: podScripts(json, PER_DB) };
}

describeWithTools([['mariadbd', 'mariadb-server'], ['prometheus-pushgateway', 'prometheus-pushgateway'], ['shellcheck', 'shellcheck']], 'MySQL/MariaDB engines against a real server', () => {
  let db: MariadbServer;
  let gw: Pushgateway;
  let s: { full: PodScripts; perDb: PodScripts };
  // the password reaches the script only through MYSQL_PWD, as the Secret reference would give it
  const PASSWORD = 'not-in-the-script-1';

  beforeAll(async () => {
    [db, gw] = await Promise.all([MariadbServer.start(), Pushgateway.start()]);
    db.sql(`CREATE USER 'backup'@'%' IDENTIFIED BY '${PASSWORD}'; GRANT ALL PRIVILEGES ON *.* TO 'backup'@'%'`);
    db.sql('CREATE DATABASE shop; CREATE DATABASE wiki');
    db.sql("CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40)); INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_500; CREATE TABLE orders (id INT, item INT); INSERT INTO orders VALUES (1, 7), (2, 9)", 'shop');
    db.sql("CREATE TABLE pages (title VARCHAR(40)); INSERT INTO pages VALUES ('Home'), ('About')", 'wiki');
    s = scripts();
  }, 180_000);

  afterAll(async () => {
    gw?.stop();
    await db?.stop();
  });

  const env = (out: string, status: string, extra: Record<string, string> = {}) => ({
    BC_MYSQL_HOST: '127.0.0.1',
    BC_MYSQL_PORT: String(db.port),
    MYSQL_PWD: PASSWORD,
    BC_OUT_DIR: out,
    BC_STATUS_DIR: status,
    ...extra,
  });
  const labels = (job: string) => ({ backup_job: job, site: 'lab', host: 'k8s' });

  it('the scripts pass shellcheck and carry the password only as a Secret reference', () => {
    const dir = tempDir();
    for (const [name, text] of Object.entries({ full: s.full.dump, perDb: s.perDb.dump })) {
      fs.writeFileSync(path.join(dir, `${name}.sh`), text);
      expect(shellcheck(path.join(dir, `${name}.sh`))).toEqual({ status: 0, output: '' });
      expect(text).not.toContain(PASSWORD);
    }
    expect(s.full.resource.spec.job_template.spec.template.spec.container[0].env).toContainEqual({ name: 'MYSQL_PWD', value_from: { secret_key_ref: { name: 'mysql-credentials', key: 'root-password' } } });
  });

  it('full: --all-databases restores the dropped database with the same rows; rotation keeps what is not its own', async () => {
    const out = tempDir();
    const fx = rotationFixtures(out, FULL, '.sql.gz', 14);
    const run = runPod(s.full, 'dash', env(out, tempDir()), gw.url);
    expect(run.dump.stderr).not.toMatch(/FAILED/);
    expect(run.report.status).toBe(0);
    const [dump] = newArtifacts(out, FULL, '.sql.gz');
    expect(fs.existsSync(fx.ownOld)).toBe(false);
    expect(fs.existsSync(fx.ownYoung)).toBe(true);
    for (const f of fx.foreign) expect(fs.existsSync(f)).toBe(true);

    db.sql('DROP DATABASE shop');
    db.load(sh('sh', ['-c', `gzip -dc '${path.join(out, dump)}'`]));
    expect(db.sql('SELECT COUNT(*), SUM(id) FROM items', 'shop')).toBe('500\t125250');
    expect(db.sql('SELECT item FROM orders ORDER BY id', 'shop')).toBe('7\n9');
    expect(await gw.value('backup_last_status', labels(FULL))).toBe(0);
  });

  it('per database: one dump per user database (system schemas left to the full dump), each restores into a fresh database', () => {
    const out = path.join(tempDir(), 'per-db');
    const fx = rotationFixtures(path.join(out, 'wiki'), PER_DB, '.sql.gz', 14);
    const run = runPod(s.perDb, 'dash', env(out, tempDir()), gw.url);
    expect(run.dump.stderr).not.toMatch(/FAILED/);
    expect(run.report.status).toBe(0);
    expect(listDir(out)).toEqual(['shop', 'wiki']);
    expect(fs.existsSync(fx.ownOld)).toBe(false);
    expect(fs.existsSync(fx.ownYoung)).toBe(true);
    const [shop] = newArtifacts(path.join(out, 'shop'), PER_DB, '.sql.gz');
    db.sql('DROP DATABASE IF EXISTS shop_restored; CREATE DATABASE shop_restored');
    db.load(sh('sh', ['-c', `gzip -dc '${path.join(out, 'shop', shop)}'`]), 'shop_restored');
    expect(db.sql('SELECT COUNT(*), SUM(id) FROM items', 'shop_restored')).toBe('500\t125250');
  });

  it('a wrong password fails the run, pushes the failure and writes nothing', async () => {
    const out = tempDir();
    const fx = rotationFixtures(out, FULL, '.sql.gz', 14);
    const direct = runScript('dash', s.full.dump, env(out, tempDir(), { MYSQL_PWD: 'wrong' }));
    expect(direct.status).toBe(1);
    expect(direct.stderr).toMatch(/exited with status/);
    const run = runPod(s.full, 'dash', env(out, tempDir(), { MYSQL_PWD: 'wrong' }), gw.url);
    expect(run.report.status).toBe(1);
    expect(await gw.value('backup_last_status', labels(FULL))).toBe(1);
    expect(newArtifacts(out, FULL, '.sql.gz')).toEqual([]);
    expect(fs.existsSync(fx.ownOld)).toBe(true);
    expect(listDir(out).filter((n) => n.startsWith('.bc-work'))).toEqual([]);
  });

  it('a dump cut short (no completion line) fails even though the dump command exited 0', () => {
    const bin = tempDir();
    const real = sh('sh', ['-c', 'command -v mariadb-dump']).trim();
    fs.writeFileSync(path.join(bin, 'mariadb-dump'), `#!/bin/sh\n'${real}' "$@" | head -c 4000\nexit 0\n`, { mode: 0o755 });
    const r = runScript('dash', s.full.dump, env(tempDir(), tempDir(), { PATH: `${bin}:${process.env.PATH}` }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/does not end with mysqldump's completion line/);
  });

  it("per database: the runbook's lines, with <db> chosen and MYSQL_PWD as the Secret gives it, recreate a dropped database from its newest dump", () => {
    const { site } = labSite();
    const password = SecretRef.fromSecret('mysql-credentials', 'root-password');
    new AppDumpCronJob(site, 'PerDb', { namespace: 'dbaas', jobId: PER_DB, engine: DumpEngine.mysqlPerDatabase({ host: '127.0.0.1', port: db.port, user: 'backup', password }), schedule: Schedule.daily('00:45'), retentionDays: 14, backupVolume: BackupVolume.existingClaim('mysql-backup') });
    const steps = modelOf(site).job(PER_DB)!.restore!;
    const out = tempDir();
    expect(runPod(s.perDb, 'dash', env(path.join(out, 'per-db'), tempDir()), gw.url).report.status).toBe(0);
    db.sql('DROP DATABASE shop');
    const shell = steps.findIndex((x) => /^start a restore shell/.test(x.title));
    const lines = steps
      .slice(shell + 1)
      .flatMap((x) => x.commands)
      .map((c) => (c === "db='<db>'" ? "db='shop'" : c));
    const r = paste(lines, { '/backup': out }, { PATH: process.env.PATH, HOME: process.env.HOME, MYSQL_PWD: PASSWORD });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(db.sql('SELECT COUNT(*), SUM(id) FROM items', 'shop')).toBe('500\t125250');
    expect(db.sql('SELECT COUNT(*) FROM orders', 'shop')).toBe('2');
  });
});
