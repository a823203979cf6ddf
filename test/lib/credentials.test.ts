import { z } from 'zod';
import { AlertDelivery, AppDumpCronJob, BackupAlertRules, BackupVolume, BorgPassphrase, DumpEngine, MetricsSink, Schedule, ScheduledHostJob, SecretRef, SiteBackend } from '../../constructs';
import { checkProps, describeValue } from '../../lib/errors';
import { credentialIn, mayBeSecret } from '../../lib/private/credentials';
import { testSite } from '../helpers/fixtures';
import { errorOf } from '../helpers/process-group';

const SECRET = 'Zq8xK2vN7pL4mR9t';
const KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA${SECRET}\n-----END OPENSSH PRIVATE KEY-----`;

describe('credentials in the program', () => {
  it('recognizes the shapes that are a credential whatever the field, and leaves references alone', () => {
    for (const v of [KEY, `https://u:${SECRET}@pgw:9091`, `u:${SECRET}@nas`, `https://hooks.slack.com/services/T0/B0/${SECRET}`, `tgram://${SECRET}/12345`, `https://ntfy.example/t?auth=${SECRET}`, `VAULT_TOKEN=${SECRET}`, `mysqldump -p${SECRET} db`, `sshpass -p ${SECRET} ssh h`, `curl -u admin:${SECRET} http://x`]) {
      expect({ v, found: credentialIn(v) !== undefined }).toEqual({ v, found: true });
    }
    for (const v of [
      // references to a secret, not secrets (review findings: these were refused)
      'VAULT_TOKEN_FILE=/run/secrets/token', 'RESTIC_PASSWORD_FILE=/root/restic.pass', 'BORG_PASSCOMMAND=cat /root/.borg-pass', 'SSH_AUTH_SOCK=/run/ssh.sock',
      'postgres:16-bookworm@sha256:0123abcd', 'mailto:ops@example.org', 'find /var/lib/mysql -name "*.ibd" -print0 | xargs -0 ls',
      'mysqldump --all-databases | gzip >"$BC_OUT"; tar -pczf x /y', 'rsync mysql-data/ /b -partial', 'pg_dump --password mydb', 'kubectl create secret generic x --from-file=password=/root/pw', 'PGPASSFILE=/root/.pgpass',
    ]) {
      expect({ v, found: credentialIn(v) }).toEqual({ v, found: undefined });
    }
    for (const v of [`mysqldump -p${SECRET} db`, `x; mysql -p${SECRET} -e "select 1"`, `--password=${SECRET}`, `DB_PASSWORD="${SECRET}"`]) {
      expect({ v, found: credentialIn(v) !== undefined }).toEqual({ v, found: true });
    }
    for (const v of ['ssh://u123456@u123456.your-storagebox.de:23/./borg/pve', 'backup@pbs!pve', '/root/.pbs-token', 'postgres://$PGUSER:$PGPASSWORD@db/app', 'export PGPASSWORD="$(cat /run/secrets/pg)"', 'http://10.0.20.5:30091', 'docker exec -u 1000:1000 app true', 'BYPASS_LIST=a,b', '03:00']) {
      expect({ v, found: credentialIn(v) }).toEqual({ v, found: undefined });
    }
  });

  it('names the line of a script that holds a credential, not the credential', () => {
    const schema = z.object({ body: z.string() });
    const message = errorOf(() => checkProps('site/Job', schema, { body: `set -e\nexport VAULT_TOKEN_FILE=/run/secrets/token\nmysqldump -p${SECRET} app >/backup/app.sql\n` }));
    expect(message).toBe(
      '[site/Job] body: expected no credential in the program, got a MySQL password on a command line (-pPASS) on line 3 (value not shown): it would be written into cdk.tf.json and the review tree (hint: keep the secret in a root-only file on the host, a Kubernetes Secret (SecretRef.fromSecret) or Vault, and give its path or reference)',
    );
  });

  it('reads a script a line at a time: a line seen before in a clean script still counts in another', () => {
    const template = (extra: string) => ['#!/bin/sh', 'set -eu', 'export VAULT_TOKEN_FILE=/run/secrets/token', extra, 'exit 0', ''].join('\n');
    expect(credentialIn(template('echo one'))).toBeUndefined();
    // every other line was read (and found clean) in the first script
    expect(credentialIn(template(`curl -u admin:${SECRET} http://pgw:9091`))).toBe('user:password for curl -u');
    expect(credentialIn(template('echo two').replace('exit 0', `exit 0\n${KEY}`))).toBe('a private key');
    // the whole-value shape (user:password@host) is one for a field, not for a line of a script
    expect(credentialIn(`u:${SECRET}@nas`)).toBe('user:password@host');
    expect(credentialIn(template('echo done'))).toBeUndefined();
    // a value on the next line is no assignment in a shell
    expect(credentialIn('TOKEN=\nexit 0\n')).toBeUndefined();
    expect(credentialIn(`TOKEN=${SECRET}\nexit 0\n`)).toBe('an assignment of a secret (NAME=value)');
  });

  it('never repeats a credential-shaped or random-looking value in an error, whatever the field', () => {
    expect(describeValue(KEY)).toBe('a value (not shown: it may be a secret)');
    expect(describeValue(`root:${SECRET}@10.0.0.5`)).toBe('a value (not shown: it may be a secret)');
    expect(describeValue('backup@pbs!iac:hunter2')).toBe('a value (not shown: it may be a secret)');
    expect(mayBeSecret('c7a5a5e4-0b1d-4c4e-9d8e-1234567890ab')).toBe(true);
    expect(describeValue('/mnt/backup')).toBe('"/mnt/backup"');
    const schema = z.object({ address: z.string().regex(/^[a-z0-9.]+$/), sshKeyFile: z.string().startsWith('/'), kubeconfig: z.string().startsWith('/') }).strict();
    const message = errorOf(() => checkProps('site/X', schema, { address: `root:${SECRET}@10.0.0.5`, sshKeyFile: 'hunter2', kubeconfig: 'apiVersion: v1' }));
    expect(message).toMatch(/^\[site\/X\] address: .*got a value \(not shown: it may be a secret\)$/m);
    expect(message).toMatch(/^\[site\/X\] sshKeyFile: .*got a value \(not shown: it may be a secret\)$/m);
    expect(message).toMatch(/^\[site\/X\] kubeconfig: .*got a value \(not shown: it may be a secret\)$/m);
    expect(message).not.toMatch(new RegExp(`${SECRET}|hunter2|apiVersion`));
  });

  it('refuses a credential in any string prop at construction, naming the field and not the value', () => {
    const { site } = testSite();
    const message = errorOf(() => new BackupAlertRules(site, 'Alerts', { receiver: `https://hooks.slack.com/services/T0/B0/${SECRET}`, delivery: AlertDelivery.reviewOnly('x') }));
    expect(message).toBe(
      '[test/Alerts] receiver: expected no credential in the program, got a webhook URL, whose path is its token (value not shown): it would be written into cdk.tf.json and the review tree (hint: keep the secret in a root-only file on the host, a Kubernetes Secret (SecretRef.fromSecret) or Vault, and give its path or reference)',
    );
    const dump = (settings: Record<string, string>) => () =>
      new AppDumpCronJob(testSite({ metrics: MetricsSink.pushgateway('http://10.0.20.5:30091', { persistence: true }) }).site, 'Dump', {
        namespace: 'apps', jobId: 'app-backup', schedule: Schedule.daily('01:00'), retentionDays: 7, backupVolume: BackupVolume.existingClaim('app-backup'), image: 'alpine:3.20',
        engine: DumpEngine.command({ description: 'x', protects: 'x', command: 'true', extension: '.tar', settings }),
      });
    const settings = errorOf(dump({ DATABASE_URL: `postgres://app:${SECRET}@db/app` }));
    expect(settings).toMatch(/^\[test\/Dump\] engine\.settings\.DATABASE_URL: expected no credential in the program, got a URL with user:password@ in it \(value not shown\)/);
    expect(settings).not.toContain(SECRET);
    expect(dump({ DATABASE_URL: 'postgres://app@db/app' })).not.toThrow();
  });

  it('refuses a Pushgateway URL with user:password@, which every script and CronJob would carry', () => {
    const message = errorOf(() => MetricsSink.pushgateway(`http://push:${SECRET}@10.0.20.5:30091`));
    expect(message).toMatch(/^\[MetricsSink\] url: expected http\(s\):\/\/host:port without credentials, got a URL with user:password@ in it \(value not shown\) \(hint: a Pushgateway behind basic auth is not supported/);
    expect(message).not.toContain(SECRET);
  });

  it('refuses backend credentials, which Terraform reads from the environment', () => {
    const s3 = errorOf(() => SiteBackend.s3({ bucket: 'b', key: 'k', region: 'eu-central-1', accessKey: 'AKIAEXAMPLE', secretKey: SECRET }));
    expect(s3).toMatch(/^\[SiteBackend\.s3\] accessKey: expected no credential here, got a value \(not shown\)/m);
    expect(s3).toMatch(/^\[SiteBackend\.s3\] secretKey: .*\(hint: set it through AWS_SECRET_ACCESS_KEY/m);
    expect(errorOf(() => SiteBackend.pg({ connStr: `postgres://tf:${SECRET}@db/tf` } as never))).toMatch(/^\[SiteBackend\.pg\] connStr: .*PG_CONN_STR/);
    expect(errorOf(() => SiteBackend.http({ address: 'https://tf.example/state', username: 'tf', password: SECRET }))).toMatch(/^\[SiteBackend\.http\] password: .*TF_HTTP_PASSWORD/);
    for (const m of [s3]) expect(m).not.toContain(SECRET);
    expect(() => SiteBackend.s3({ bucket: 'b', key: 'k', region: 'eu-central-1', profile: 'backup' })).not.toThrow();
  });

  it('does not repeat a secret given where a Secret name, key or Vault address belongs', () => {
    expect(errorOf(() => SecretRef.fromSecret(SECRET, 'password'))).not.toContain(SECRET);
    expect(errorOf(() => SecretRef.fromSecret('pg', `pw ${SECRET}`))).not.toContain(SECRET);
    expect(errorOf(() => BorgPassphrase.vault({ path: 'secret/x', field: 'p', address: `https://u:${SECRET}@vault` }))).not.toContain(SECRET);
  });
});

describe('credentials given by name', () => {
  it("refuses a host job's setting named like a secret, without its value, and keeps references to one", () => {
    const { site, host } = testSite();
    const job = (settings: Record<string, string>) => () => new ScheduledHostJob(site, `J${Object.keys(settings).join('')}`, { host, jobId: 'db-export', schedule: Schedule.daily('01:00'), description: 'export', body: 'run', settings });
    const message = errorOf(job({ DB_PASSWORD: 'hunter2', API_TOKEN: 'abc', TARGET_DIR: '/x' }));
    expect(message.split('\n').map((l) => l.split(':')[0])).toEqual(['[test/JDB_PASSWORDAPI_TOKENTARGET_DIR] settings.DB_PASSWORD', '[test/JDB_PASSWORDAPI_TOKENTARGET_DIR] settings.API_TOKEN']);
    expect(message).toContain("environmentFile: '/root/.db-export.env'");
    expect(message).not.toMatch(/hunter2|abc/);
    expect(job({ DB_PASSWORD_FILE: '/root/.db-pass', TARGET_DIR: '/x' })).not.toThrow();
  });

  it("refuses mount.cifs's pass= and password2=, and name=value after an underscore, but not inside a word", () => {
    for (const v of [`pass=${SECRET}`, `password2=${SECRET}`, `db_password=${SECRET}`, `vers=3.0,pass=${SECRET}`]) {
      expect({ v, found: credentialIn(v) }).toEqual({ v, found: 'an assignment of a secret (name=value)' });
    }
    for (const v of ['bypass=yes', 'compass=north', 'pass=$PASS', 'password_file=/root/p']) {
      expect({ v, found: credentialIn(v) }).toEqual({ v, found: undefined });
    }
  });
});
