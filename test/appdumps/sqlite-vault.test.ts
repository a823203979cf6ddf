import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { AppDumpCronJob, BackupVolume, DumpEngine, Schedule, SecretRef } from '../../constructs';
import { Pushgateway } from '../helpers/pushgateway';
import type { RestoreStep } from '../../lib/model/types';
import { modelOf, synthJson } from '../helpers/synth';
import { shellcheck, tempDir } from '../helpers/tools';
import { age, busyboxPath, describeWithTools, labSite, listDir, newArtifacts, podScripts, PodScripts, rotationFixtures, runPod, runScript, which } from './run';
import { sh } from './servers';

const labels = (job: string) => ({ backup_job: job, site: 'lab', host: 'k8s' });

function vaultwardenScripts(minRows: Record<string, number> = { users: 1 }): { backup: PodScripts; check: PodScripts; restore: readonly RestoreStep[] } {
  const { site } = labSite();
  new AppDumpCronJob(site, 'Vaultwarden', {
    namespace: 'vaultwarden',
    jobId: 'vaultwarden-backup',
    engine: DumpEngine.sqlite({
      dataClaim: 'vaultwarden-data',
      database: 'db.sqlite3',
      extraFiles: [{ path: 'rsa_key.pem' }, { path: 'attachments', optional: true }, { path: 'sends', optional: true }, { path: 'config.json', optional: true }],
      minRows,
      integrityCheck: { jobId: 'vaultwarden-integrity-check' },
    }),
    schedule: Schedule.everyHours(6),
    retentionDays: 30,
    backupVolume: BackupVolume.existingClaim('vaultwarden-backup'),
    alertName: 'VaultwardenBackup',
  });
  const json = synthJson(site);
  return { backup: podScripts(json, 'vaultwarden-backup'), check: podScripts(json, 'vaultwarden-integrity-check'), restore: modelOf(site).job('vaultwarden-backup')!.restore! };
}

/** A Vaultwarden-like data folder: a WAL-mode database with users and ciphers, keys and attachments. */
function vaultwardenData(): string {
  const data = tempDir('bc-vw-data-');
  sh('sqlite3', [
    path.join(data, 'db.sqlite3'),
    "PRAGMA journal_mode=WAL; CREATE TABLE users (uuid TEXT PRIMARY KEY, email TEXT); CREATE TABLE ciphers (uuid TEXT PRIMARY KEY, user_uuid TEXT, data BLOB);" +
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) INSERT INTO users SELECT 'u' || i, 'user' || i || '@example.org' FROM n;" +
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO ciphers SELECT 'c' || i, 'u' || (i % 3 + 1), randomblob(200) FROM n;",
  ]);
  fs.writeFileSync(path.join(data, 'rsa_key.pem'), '-----BEGIN RSA KEY (test stand-in)-----\n');
  fs.mkdirSync(path.join(data, 'attachments', 'c1'), { recursive: true });
  fs.writeFileSync(path.join(data, 'attachments', 'c1', 'a1'), 'attachment bytes');
  return data;
}

/** Damages a b-tree page of the ciphers table in place (PRAGMA integrity_check then fails). */
function corrupt(db: string): void {
  sh('sqlite3', [db, 'PRAGMA wal_checkpoint(TRUNCATE);']);
  const fd = fs.openSync(db, 'r+');
  fs.writeSync(fd, Buffer.alloc(2048, 0xa5), 0, 2048, 4096 * 5 + 64);
  fs.closeSync(fd);
}

describeWithTools([['sqlite3', 'sqlite3'], ['busybox', 'busybox'], ['prometheus-pushgateway', 'prometheus-pushgateway']], 'SQLite engine (Vaultwarden) run for real with busybox tools, as in an alpine image', () => {
  let gw: Pushgateway;
  let s: { backup: PodScripts; check: PodScripts; restore: readonly RestoreStep[] };
  let PATH: string;

  beforeAll(async () => {
    gw = await Pushgateway.start();
    s = vaultwardenScripts();
    PATH = busyboxPath({ sqlite3: which('sqlite3'), curl: which('curl') });
  });
  afterAll(() => gw?.stop());

  const env = (data: string, out: string, extra: Record<string, string> = {}) => ({ PATH, BC_DATA_DIR: data, BC_OUT_DIR: out, BC_STATUS_DIR: tempDir(), ...extra });

  it('both scripts pass shellcheck', () => {
    const dir = tempDir();
    for (const [name, text] of Object.entries({ backup: s.backup.dump, check: s.check.dump, report: s.check.report })) {
      fs.writeFileSync(path.join(dir, name), text);
      expect(shellcheck(path.join(dir, name))).toEqual({ status: 0, output: '' });
    }
  });

  it('backs up the database (VACUUM INTO) and its keys and attachments; the copy has the same rows; old backups beyond 30 days of this job only are rotated', async () => {
    const data = vaultwardenData();
    const out = tempDir();
    const fx = rotationFixtures(out, 'vaultwarden-backup', '', 30, 4 * 30);
    const run = runPod(s.backup, 'busybox', env(data, out), gw.url);
    expect(run.dump.stderr).not.toMatch(/FAILED/);
    expect(run.report.status).toBe(0);
    const [folder] = newArtifacts(out, 'vaultwarden-backup', '');
    const copy = path.join(out, folder);
    expect(listDir(copy)).toEqual(['attachments', 'db.sqlite3', 'rsa_key.pem']);
    expect(fs.readFileSync(path.join(copy, 'attachments', 'c1', 'a1'), 'utf8')).toBe('attachment bytes');
    expect(sh('sqlite3', [path.join(copy, 'db.sqlite3'), 'PRAGMA integrity_check; SELECT count(*) FROM users; SELECT count(*), sum(length(data)) FROM ciphers;']).trim()).toBe('ok\n3\n2000|400000');
    expect(fs.existsSync(fx.ownOld)).toBe(false);
    expect(fs.existsSync(fx.ownYoung)).toBe(true);
    for (const f of fx.foreign) expect(fs.existsSync(f)).toBe(true);
    expect(await gw.value('backup_last_status', labels('vaultwarden-backup'))).toBe(0);
  });

  it("the runbook's restore shell lines put the newest backup back over a damaged database, dropping its -wal and -shm", async () => {
    const data = vaultwardenData();
    const out = tempDir();
    expect(runPod(s.backup, 'busybox', env(data, out), gw.url).report.status).toBe(0);
    // GIVEN the live database damaged since, with a WAL beside it, and a key file gone
    corrupt(path.join(data, 'db.sqlite3'));
    fs.writeFileSync(path.join(data, 'db.sqlite3-wal'), 'stale wal');
    fs.writeFileSync(path.join(data, 'db.sqlite3-shm'), 'stale shm');
    fs.rmSync(path.join(data, 'rsa_key.pem'));
    // WHEN the lines between starting the restore shell and leaving it run there (busybox, as in the alpine image)
    const from = s.restore.findIndex((x) => /^start a restore shell/.test(x.title));
    const to = s.restore.findIndex((x) => /^leave the restore shell/.test(x.title));
    expect(to).toBeGreaterThan(from + 1);
    const script = s.restore
      .slice(from + 1, to)
      .flatMap((x) => x.commands)
      .join('\n')
      .split('/backup')
      .join(out)
      .split('/data')
      .join(data);
    const r = runScript('busybox', script, { PATH });
    // THEN the backup's check said ok, and the data folder holds the backup's database and files
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ok$/m);
    expect(sh('sqlite3', [path.join(data, 'db.sqlite3'), 'PRAGMA integrity_check; SELECT count(*) FROM users; SELECT count(*) FROM ciphers;']).trim()).toBe('ok\n3\n2000');
    expect(fs.existsSync(path.join(data, 'db.sqlite3-wal'))).toBe(false);
    expect(fs.existsSync(path.join(data, 'db.sqlite3-shm'))).toBe(false);
    expect(fs.readFileSync(path.join(data, 'rsa_key.pem'), 'utf8')).toContain('RSA KEY');
  });

  it('a corrupted live database aborts the backup before it writes anything: the last good backup stays, the failure is pushed', async () => {
    const data = vaultwardenData();
    const out = tempDir();
    const good = runPod(s.backup, 'busybox', env(data, out), gw.url);
    expect(good.report.status).toBe(0);
    const [lastGood] = newArtifacts(out, 'vaultwarden-backup', '');
    // make the good backup older than the retention: a broken run must still not rotate it away
    age(path.join(out, lastGood), 45);
    const before = fs.readFileSync(path.join(out, lastGood, 'db.sqlite3'));
    corrupt(path.join(data, 'db.sqlite3'));

    const direct = runScript('busybox', s.backup.dump, env(data, out));
    expect(direct.status).toBe(1);
    expect(direct.stderr).toMatch(/the live database fails PRAGMA integrity_check; nothing was written/);
    const run = runPod(s.backup, 'busybox', env(data, out), gw.url);
    expect(run.report.status).toBe(1);
    expect(await gw.value('backup_last_status', labels('vaultwarden-backup'))).toBe(1);
    expect(listDir(out)).toEqual([lastGood]);
    expect(fs.readFileSync(path.join(out, lastGood, 'db.sqlite3')).equals(before)).toBe(true);
  });

  it('the hourly check pushes backup_sqlite_integrity_ok 1 for a sound database and 0 for a damaged one, as a successful run', async () => {
    const data = vaultwardenData();
    const ok = runPod(s.check, 'busybox', env(data, tempDir()), gw.url);
    expect(ok.report.status).toBe(0);
    expect(await gw.value('backup_sqlite_integrity_ok', labels('vaultwarden-integrity-check'))).toBe(1);
    corrupt(path.join(data, 'db.sqlite3'));
    const damaged = runPod(s.check, 'busybox', env(data, tempDir()), gw.url);
    expect(damaged.report.status).toBe(0);
    expect(damaged.dump.stderr).toMatch(/reports damage in the live database/);
    expect(await gw.value('backup_sqlite_integrity_ok', labels('vaultwarden-integrity-check'))).toBe(0);
    expect(await gw.value('backup_last_status', labels('vaultwarden-integrity-check'))).toBe(0);
    // a missing database is no verdict: the run fails and integrity_ok keeps its last value
    const missing = runPod(s.check, 'busybox', env(tempDir(), tempDir()), gw.url);
    expect(missing.report.status).toBe(1);
    expect(await gw.value('backup_last_status', labels('vaultwarden-integrity-check'))).toBe(1);
  });

  it('copies and checks a database that another connection writes to without pause, consistently', () => {
    const data = vaultwardenData();
    const db = path.join(data, 'db.sqlite3');
    sh('sqlite3', [db, "CREATE TABLE a (pad TEXT); CREATE TABLE b (pad TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) INSERT INTO a SELECT hex(randomblob(200)) FROM n; INSERT INTO b SELECT pad FROM a;"]);
    // one row into each table per transaction, as fast as it can, until stopped
    const sql = 'BEGIN IMMEDIATE; INSERT INTO a VALUES (hex(randomblob(200))); INSERT INTO b VALUES (hex(randomblob(200))); COMMIT;';
    const writer: ChildProcess = spawn('sh', ['-c', `while :; do sqlite3 -cmd '.timeout 10000' "$1" "$2" || exit 1; done`, 'writer', db, sql], { stdio: 'ignore', detached: true });
    const out = tempDir();
    let r: ReturnType<typeof runScript>;
    let hourly: ReturnType<typeof runScript>;
    try {
      r = runScript('busybox', s.backup.dump, env(data, out), 60_000);
      hourly = runScript('busybox', s.check.dump, env(data, tempDir()), 60_000);
    } finally {
      process.kill(-writer.pid!, 'SIGKILL');
    }
    // a busy database is no damaged one: the hourly check waits for the lock, as the copy does
    expect({ status: hourly.status, stderr: hourly.stderr }).toEqual({ status: 0, stderr: '' });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.not.stringMatching(/FAILED|error/i) });
    expect(s.backup.dump).toContain('BC_SQLITE_TIMEOUT_MS=${BC_SQLITE_TIMEOUT_MS:-30000}'); // the default wait for the app's lock
    const [folder] = newArtifacts(out, 'vaultwarden-backup', '');
    const copy = path.join(out, folder, 'db.sqlite3');
    // each transaction adds one row to both tables: a consistent copy has as many in each
    const [check, a, b] = sh('sqlite3', [copy, 'PRAGMA integrity_check; SELECT count(*) FROM a; SELECT count(*) FROM b;']).trim().split('\n');
    expect(check).toBe('ok');
    expect(Number(a)).toBe(Number(b));
    expect(Number(a)).toBeGreaterThanOrEqual(20_000);
  });

  it('fails when a required file is missing or a table is below its row floor, leaving no partial backup', () => {
    const data = vaultwardenData();
    fs.rmSync(path.join(data, 'rsa_key.pem'));
    const out = tempDir();
    const r = runScript('busybox', s.backup.dump, env(data, out));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/rsa_key.pem is missing/);
    expect(listDir(out)).toEqual([]);

    const empty = vaultwardenData();
    sh('sqlite3', [path.join(empty, 'db.sqlite3'), 'DELETE FROM users;']);
    const floor = runScript('busybox', s.backup.dump, env(empty, out));
    expect(floor.status).toBe(1);
    expect(floor.stderr).toMatch(/rows in users: 0, below the floor of 1/);
    expect(listDir(out)).toEqual([]);
  });
});

describeWithTools([['busybox', 'busybox'], ['prometheus-pushgateway', 'prometheus-pushgateway']], 'Vault raft engine against a stand-in vault CLI (Vault has no Debian package), with busybox tools', () => {
  let gw: Pushgateway;
  let dump: PodScripts;
  let PATH: string;
  let calls: string;
  const TOKEN = 'token-from-the-secret';

  beforeAll(async () => {
    gw = await Pushgateway.start();
    const { site } = labSite();
    new AppDumpCronJob(site, 'Vault', {
      namespace: 'vault',
      jobId: 'vault-backup',
      engine: DumpEngine.vaultRaft({ address: 'http://vault.vault.svc:8200', token: SecretRef.fromSecret('vault-backup-token', 'token') }),
      schedule: Schedule.weekly('sun', '02:00'),
      retentionDays: 30,
      backupVolume: BackupVolume.existingClaim('vault-backup'),
    });
    dump = podScripts(synthJson(site), 'vault-backup');
    // The stand-in answers `vault operator raft snapshot save FILE` like Vault: a gzip'd tar
    // of meta.json, state.bin and SHA256SUMS; STANDIN_MODE=corrupt writes wrong sums,
    // STANDIN_MODE=deny fails like a token without the capability.
    const bin = tempDir('bc-vault-bin-');
    calls = path.join(bin, 'calls.log');
    fs.writeFileSync(
      path.join(bin, 'vault'),
      `#!/bin/sh
set -eu
echo "$* VAULT_ADDR=$VAULT_ADDR VAULT_TOKEN=\${VAULT_TOKEN:-}" >>'${calls}'
[ "$1 $2 $3 $4" = "operator raft snapshot save" ] || { echo "unexpected: $*" >&2; exit 2; }
[ "\${VAULT_TOKEN:-}" = '${TOKEN}' ] || { echo 'Error: permission denied' >&2; exit 2; }
[ "\${STANDIN_MODE:-}" != deny ] || { echo 'Error: 403 permission denied' >&2; exit 2; }
work=$(mktemp -d)
printf '{"ID":"2-1234","Index":1234,"Term":2,"Size":4096}\\n' >"$work/meta.json"
head -c 4096 /dev/urandom >"$work/state.bin"
(cd "$work" && sha256sum meta.json state.bin >SHA256SUMS)
[ "\${STANDIN_MODE:-}" != corrupt ] || printf 'x' >>"$work/state.bin"
tar -czf "$5" -C "$work" meta.json state.bin SHA256SUMS
rm -rf "$work"
`,
      { mode: 0o755 },
    );
    PATH = busyboxPath({ vault: path.join(bin, 'vault'), curl: which('curl'), mktemp: which('busybox') });
  });
  afterAll(() => gw?.stop());

  const env = (out: string, extra: Record<string, string> = {}) => ({ PATH, VAULT_TOKEN: TOKEN, BC_OUT_DIR: out, BC_STATUS_DIR: tempDir(), ...extra });

  it('passes shellcheck; the token comes only from the Secret reference', () => {
    const file = path.join(tempDir(), 'vault.sh');
    fs.writeFileSync(file, dump.dump);
    expect(shellcheck(file)).toEqual({ status: 0, output: '' });
    expect(dump.dump).not.toContain(TOKEN);
    expect(dump.resource.spec.job_template.spec.template.spec.container[0].env).toContainEqual({ name: 'VAULT_TOKEN', value_from: { secret_key_ref: { name: 'vault-backup-token', key: 'token' } } });
  });

  it('saves a snapshot whose SHA256SUMS match, with VAULT_ADDR from the settings; rotation keeps what is not its own', async () => {
    const out = tempDir();
    const fx = rotationFixtures(out, 'vault-backup', '.snap', 30);
    const run = runPod(dump, 'busybox', env(out), gw.url);
    expect(run.dump.stderr).not.toMatch(/FAILED/);
    expect(run.report.status).toBe(0);
    const [snap] = newArtifacts(out, 'vault-backup', '.snap');
    expect(sh('tar', ['-tzf', path.join(out, snap)]).split('\n').filter(Boolean).sort()).toEqual(['SHA256SUMS', 'meta.json', 'state.bin']);
    expect(fs.readFileSync(calls, 'utf8')).toContain('VAULT_ADDR=http://vault.vault.svc:8200');
    expect(fs.existsSync(fx.ownOld)).toBe(false);
    expect(fs.existsSync(fx.ownYoung)).toBe(true);
    for (const f of fx.foreign) expect(fs.existsSync(f)).toBe(true);
    expect(await gw.value('backup_last_status', labels('vault-backup'))).toBe(0);
  });

  it('refuses a snapshot whose sums do not match, and a denied token, pushing the failure and keeping old snapshots', async () => {
    for (const mode of ['corrupt', 'deny']) {
      const out = tempDir();
      const fx = rotationFixtures(out, 'vault-backup', '.snap', 30);
      const direct = runScript('busybox', dump.dump, env(out, { STANDIN_MODE: mode }));
      // the checksum check fails the run itself (1); a denied vault CLI fails it with its own status (2)
      expect(direct.status).toBe(mode === 'corrupt' ? 1 : 2);
      if (mode === 'corrupt') expect(direct.stderr).toMatch(/SHA256SUMS do not match/);
      const run = runPod(dump, 'busybox', env(out, { STANDIN_MODE: mode }), gw.url);
      expect(run.report.status).toBe(direct.status);
      expect(await gw.value('backup_last_status', labels('vault-backup'))).toBe(direct.status);
      expect(newArtifacts(out, 'vault-backup', '.snap')).toEqual([]);
      expect(fs.existsSync(fx.ownOld)).toBe(true);
    }
  });
});
