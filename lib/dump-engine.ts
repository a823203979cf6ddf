import { z } from 'zod';
import { Duration } from './duration';
import { BackupConfigError, checkProps, Problem } from './errors';
import { DNS_SUBDOMAIN, EnvVar, Volume, VolumeMount } from './k8s/manifest';
import { SecretRef } from './k8s/secret-ref';
import { commandRestore, DatabaseServer, etcdRestore, mysqlPerDatabaseRestore, mysqlRestore, postgresqlPerDatabaseRestore, postgresqlRestore, redisRestore, RestoreContext, sqliteRestore, vaultRestore } from './dump-restore';
import type { RestoreStep } from './model/types';
import type { AssetKind } from './model/vocabulary';
import { secretSettingNames } from './private/credentials';
import { instanceOf } from './private/zod-helpers';
import { commandBody } from './render/dump-scripts/command';
import { etcdBody } from './render/dump-scripts/etcd';
import { mysqlAllBody, mysqlPerDatabaseBody } from './render/dump-scripts/mysql';
import { postgresqlAllBody, postgresqlPerDatabaseBody } from './render/dump-scripts/postgresql';
import { redisBody } from './render/dump-scripts/redis';
import { INTEGRITY_METRIC, POD_PATHS } from './render/dump-scripts/script';
import { sqliteBody, sqliteIntegrityBody } from './render/dump-scripts/sqlite';
import { DEFAULT_SQLITE_BUSY_TIMEOUT } from './render/sqlite-copy';
import { vaultBody } from './render/dump-scripts/vault';
import { Schedule } from './schedule';
import { Size } from './size';

/** The kinds of data an {@link DumpEngine} dumps. */
export type DumpEngineKind = 'postgresql' | 'postgresql-per-database' | 'mysql' | 'mysql-per-database' | 'etcd' | 'vault-raft' | 'redis' | 'sqlite' | 'command';

/**
 * Default images: each has `/bin/sh` (dash or busybox), gzip, find and the engine's tools.
 * Match the client's major version to the server's (pg_dump refuses a newer server).
 */
export const DEFAULT_DUMP_IMAGES: Readonly<Partial<Record<DumpEngineKind, string>>> = {
  postgresql: 'postgres:16-bookworm',
  'postgresql-per-database': 'postgres:16-bookworm',
  mysql: 'mariadb:11.4',
  'mysql-per-database': 'mariadb:11.4',
  redis: 'redis:7.2-bookworm',
  'vault-raft': 'hashicorp/vault:1.17',
  sqlite: 'keinos/sqlite3:3.46.1',
};

/** Image of the report container: sh and curl. */
export const REPORT_IMAGE = 'curlimages/curl:8.11.1';

/** Where certificate files for etcd are mounted in the dump container. */
const ETCD_CERT_DIR = '/etc/etcd-certs';

/** Options shared by the PostgreSQL engines. */
export interface PostgresqlOptions {
  /** Server host name, e.g. `postgresql.dbaas.svc.cluster.local`. */
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  /** @default 'postgres' */
  readonly user?: string;
  /** The password, from a Secret (PGPASSWORD). @default - none (trust or peer auth) */
  readonly password?: SecretRef;
  /** The smallest dump that counts as a backup (per database for per-database dumps). @default Size.kibibytes(1) (full), Size.bytes(256) (per database) */
  readonly minSize?: Size;
  /** Fewest tables a dump must hold (per database for per-database dumps: a new, empty database must not fail every run). @default 1 (full), 0 (per database) */
  readonly minTables?: number;
}

/** Options of {@link DumpEngine.postgresqlPerDatabase}. */
export interface PostgresqlPerDatabaseOptions extends PostgresqlOptions {
  /** @default - every database that accepts connections, templates excepted */
  readonly databases?: readonly string[];
  /** The database the list of databases is read from. @default 'postgres' */
  readonly maintenanceDatabase?: string;
}

/** Options shared by the MySQL/MariaDB engines. */
export interface MysqlOptions {
  /** Server host name, e.g. `mariadb.dbaas.svc.cluster.local`. */
  readonly host: string;
  /** @default 3306 */
  readonly port?: number;
  /** @default 'root' */
  readonly user?: string;
  /** The password, from a Secret (MYSQL_PWD). @default - none */
  readonly password?: SecretRef;
  /** @default Size.kibibytes(1) (full), Size.bytes(256) (per database) */
  readonly minSize?: Size;
  /** @default 1 (full), 0 (per database) */
  readonly minTables?: number;
}

/** Options of {@link DumpEngine.mysqlPerDatabase}. */
export interface MysqlPerDatabaseOptions extends MysqlOptions {
  /** @default - every database except information_schema, performance_schema, sys and mysql */
  readonly databases?: readonly string[];
}

/** Client certificate files for etcd, from a folder on the node or a Secret. */
export interface EtcdCertificates {
  /** A folder on the node, e.g. kubeadm's `/etc/kubernetes/pki/etcd`; exactly one of hostPath or secretName. @default - none */
  readonly hostPath?: string;
  /** A Secret holding the files. @default - none */
  readonly secretName?: string;
  /** @default 'ca.crt' */
  readonly ca?: string;
  /** @default 'healthcheck-client.crt' */
  readonly cert?: string;
  /** @default 'healthcheck-client.key' */
  readonly key?: string;
}

/** Options of {@link DumpEngine.etcd}. */
export interface EtcdOptions {
  /** e.g. `https://127.0.0.1:2379` (with hostNetwork on a control-plane node). */
  readonly endpoints: readonly string[];
  /** @default - none (plain http) */
  readonly certificates?: EtcdCertificates;
  /** An empty etcd's snapshot is 20 KiB already: the key floor is the one that tells. @default Size.kibibytes(16) */
  readonly minSize?: Size;
  /** @default 1 */
  readonly minKeys?: number;
  /** `etcdctl snapshot save` is stopped after this long (it waits forever for a silent endpoint). @default Duration.minutes(10) */
  readonly timeout?: Duration;
}

/** Options of {@link DumpEngine.vaultRaft}. */
export interface VaultRaftOptions {
  /** VAULT_ADDR, e.g. `http://vault.vault.svc:8200`. */
  readonly address: string;
  /** A token allowed to read `sys/storage/raft/snapshot` (VAULT_TOKEN). */
  readonly token: SecretRef;
  /** @default Size.kibibytes(1) */
  readonly minSize?: Size;
}

/** Options of {@link DumpEngine.redis}. */
export interface RedisOptions {
  /** Server host name, e.g. `redis.dbaas.svc.cluster.local`. */
  readonly host: string;
  /** @default 6379 */
  readonly port?: number;
  /** From a Secret (REDISCLI_AUTH). @default - none */
  readonly password?: SecretRef;
  /** The PersistentVolumeClaim holding Redis's data folder, mounted read-only. */
  readonly dataClaim: string;
  /** The RDB file's name in that folder. @default 'dump.rdb' */
  readonly rdbFile?: string;
  /** @default Duration.minutes(10) */
  readonly bgsaveTimeout?: Duration;
  /** @default Size.bytes(64) */
  readonly minSize?: Size;
  /** @default 1 */
  readonly minKeys?: number;
}

/** A file or folder copied with an SQLite database. */
export interface SqliteExtraFileOptions {
  /** Relative to the data volume, e.g. `rsa_key.pem`, `attachments`. */
  readonly path: string;
  /** @default false */
  readonly optional?: boolean;
}

/** The hourly integrity check that goes with an SQLite engine. */
export interface SqliteIntegrityCheckOptions {
  /** @default Schedule.everyHours(1) */
  readonly schedule?: Schedule;
  /** @default '<job id>-integrity' */
  readonly jobId?: string;
  /** Stem of the check job's Stale/Failing/NeverRan alerts. @default - the check's job id in PascalCase */
  readonly alertName?: string;
  /** The critical alert on `backup_sqlite_integrity_ok == 0`. @default '<job alertName>IntegrityFail' */
  readonly failAlertName?: string;
}

/** Options of {@link DumpEngine.sqlite}. */
export interface SqliteOptions {
  /** The PersistentVolumeClaim holding the database, mounted read-write (WAL readers write the -shm file). */
  readonly dataClaim: string;
  /** The database file, relative to the claim, e.g. `db.sqlite3`. */
  readonly database: string;
  /** @default - none */
  readonly extraFiles?: readonly SqliteExtraFileOptions[];
  /** @default Size.kibibytes(4) (one page) */
  readonly minSize?: Size;
  /** @default 1 */
  readonly minTables?: number;
  /** Fewest rows per table, e.g. `{ users: 1 }`. @default - none */
  readonly minRows?: Readonly<Record<string, number>>;
  /** An hourly integrity check of the live database, or false. @default - hourly */
  readonly integrityCheck?: SqliteIntegrityCheckOptions | false;
  /** How long the copy and the integrity checks wait for the app's lock before the run fails. @default Duration.seconds(30) */
  readonly busyTimeout?: Duration;
}

/** Options of {@link DumpEngine.command}. */
export interface CommandOptions {
  /** One line for reports, e.g. `Prometheus TSDB snapshot`. */
  readonly description: string;
  /** What is protected (the asset's name). */
  readonly protects: string;
  /** sh lines that write one file or folder to `$BC_OUT` (scratch space in `$BC_WORK`). */
  readonly command: string;
  /** The artifact's extension, e.g. `.tar.gz`, or `''` for a folder. */
  readonly extension: string;
  /** sh lines that check `$BC_OUT`; a failing line fails the run. @default - the size floor only */
  readonly verify?: string;
  /** sh lines run on every exit path (remove what the command made elsewhere). @default - none */
  readonly cleanup?: string;
  /** Settings the command reads (`NAME` -> value), never secrets. @default - none */
  readonly settings?: Readonly<Record<string, string>>;
  /** Environment variables from Secrets. @default - none */
  readonly secrets?: Readonly<Record<string, SecretRef>>;
  /** Existing claims the command reads, mounted at `mountPath`. @default - none */
  readonly volumes?: readonly { readonly claimName: string; readonly mountPath: string; readonly readOnly?: boolean }[];
  /** @default Size.bytes(1) */
  readonly minSize?: Size;
  /** @default 'app-data' */
  readonly assetKind?: AssetKind;
  /**
   * How to put the artifact back, after the restore shell and the pick of the newest file in
   * the runbook: the command is the stack's own, so only it knows.
   * @default - none (the runbook stops at the pick)
   */
  readonly restore?: readonly { readonly title: string; readonly notes?: readonly string[]; readonly commands: readonly string[] }[];
}

/** What an engine gives the job that runs it. */
export interface ResolvedEngine {
  readonly kind: DumpEngineKind;
  readonly description: string;
  readonly defaultImage: string | undefined;
  /** Where under the backup volume its artifacts go by default. */
  readonly subdirectory: string;
  /** Artifact glob relative to the output folder, for the inventory. */
  readonly artifactGlob: string;
  readonly asset: { readonly kind: AssetKind; readonly slug: string; readonly name: string };
  /** Settings baked into the script (overridable from the environment). */
  readonly settings: Readonly<Record<string, string>>;
  readonly exports: readonly string[];
  /** Environment variables from Secrets. */
  readonly env: readonly EnvVar[];
  readonly volumes: readonly { readonly volume: Volume; readonly mount: VolumeMount }[];
  readonly body: string;
  readonly cleanup?: string;
  /** Extra metrics the job pushes beyond the scheme's run/status/success/duration. */
  readonly metrics: readonly string[];
  /** Names of `volumes` the restore writes (the application's data): the restore shell mounts them read-write. */
  readonly restoreWrites: readonly string[];
  /** Restore steps, written for the job's restore shell and backup volume. */
  readonly restore: (ctx: RestoreContext) => RestoreStep[];
  readonly integrity?: ResolvedIntegrityCheck;
}

/** The SQLite integrity check, resolved. */
export interface ResolvedIntegrityCheck {
  readonly schedule: Schedule;
  readonly jobId: string | undefined;
  readonly alertName: string | undefined;
  readonly failAlertName: string | undefined;
  readonly settings: Readonly<Record<string, string>>;
  readonly body: string;
  readonly metric: string;
}

const HOST = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'expected a host name or address');
const PORT = z.number().int().min(1).max(65535);
const USER = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.@-]*$/, 'expected a user name');
const SECRET = instanceOf(SecretRef, "expected a SecretRef, e.g. SecretRef.fromSecret('pg-credentials', 'password')");
const SIZE = instanceOf(Size, 'expected a Size, e.g. Size.kibibytes(1)');
const COUNT = z.number().int().min(0);
const DB_NAME = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'expected a database name of letters, digits, _ . and -');
const CLAIM = z.string().regex(DNS_SUBDOMAIN, 'expected a PersistentVolumeClaim name');
const REL_PATH = z
  .string()
  .regex(/^[A-Za-z0-9_.@+-]+(\/[A-Za-z0-9_.@+-]+)*$/, 'expected a relative path of plain names (no spaces, quotes or colons)')
  .refine((p) => !p.split('/').includes('..'), 'expected a path inside the volume, without ..');
const ABS_PATH = z.string().regex(/^\/[A-Za-z0-9_.@+\/-]*$/, 'expected an absolute path');
const URL = z.string().regex(/^https?:\/\/[^\s'"]+$/, 'expected an http(s) URL');
const SECRET_FIELDS = ['password', 'token'];
/**
 * A command engine's setting or secret: not one of the script's own BC_* variables (BC_JOB
 * would report the dump under another job, BC_OUT_DIR write it elsewhere), nor one the
 * container's environment always has (the script keeps the environment's value).
 */
const SETTING_NAME = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/, 'expected an upper-case shell variable name')
  .refine((k) => !/^(BC_.*|PATH|IFS|HOME|PWD|OLDPWD|HOSTNAME|SHELL|USER)$/.test(k), "expected a name of your own such as SOURCE_DIR: BC_* are the dump script's own variables (BC_JOB names the job its metrics report), and PATH, HOME, HOSTNAME and the like come from the container's environment, which wins");

const postgresql = {
  host: HOST,
  port: PORT.optional(),
  user: USER.optional(),
  password: SECRET.optional(),
  minSize: SIZE.optional(),
  minTables: COUNT.optional(),
};
const mysql = { ...postgresql };
const SCHEMAS: Record<DumpEngineKind, z.ZodType> = {
  postgresql: z.object(postgresql).strict(),
  'postgresql-per-database': z.object({ ...postgresql, databases: z.array(DB_NAME).min(1).optional(), maintenanceDatabase: DB_NAME.optional() }).strict(),
  mysql: z.object(mysql).strict(),
  'mysql-per-database': z.object({ ...mysql, databases: z.array(DB_NAME).min(1).optional() }).strict(),
  etcd: z
    .object({
      endpoints: z.array(URL).min(1, 'expected at least one endpoint'),
      certificates: z
        .object({
          hostPath: ABS_PATH.optional(),
          secretName: z.string().regex(DNS_SUBDOMAIN, 'expected a Secret name').optional(),
          ca: REL_PATH.optional(),
          cert: REL_PATH.optional(),
          key: REL_PATH.optional(),
        })
        .strict()
        .refine((c) => (c.hostPath === undefined) !== (c.secretName === undefined), 'expected exactly one of hostPath or secretName')
        .optional(),
      minSize: SIZE.optional(),
      minKeys: COUNT.optional(),
      timeout: instanceOf(Duration, 'expected a Duration').optional(),
    })
    .strict(),
  'vault-raft': z.object({ address: URL, token: SECRET, minSize: SIZE.optional() }).strict(),
  redis: z
    .object({
      host: HOST,
      port: PORT.optional(),
      password: SECRET.optional(),
      dataClaim: CLAIM,
      rdbFile: REL_PATH.optional(),
      bgsaveTimeout: instanceOf(Duration, 'expected a Duration').optional(),
      minSize: SIZE.optional(),
      minKeys: COUNT.optional(),
    })
    .strict(),
  sqlite: z
    .object({
      dataClaim: CLAIM,
      database: REL_PATH,
      extraFiles: z.array(z.object({ path: REL_PATH, optional: z.boolean().optional() }).strict()).optional(),
      minSize: SIZE.optional(),
      minTables: COUNT.optional(),
      minRows: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a plain table name'), COUNT).optional(),
      busyTimeout: instanceOf(Duration, 'expected a Duration, e.g. Duration.seconds(30)').optional(),
      integrityCheck: z
        .union([
          z.literal(false),
          z
            .object({
              schedule: instanceOf(Schedule, 'expected a Schedule').optional(),
              jobId: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/, 'expected a lower-case id of letters, digits and dashes (at most 52)').optional(),
              alertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase name').optional(),
              failAlertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase name').optional(),
            })
            .strict(),
        ])
        .optional(),
    })
    .strict(),
  command: z
    .object({
      description: z.string().min(1).regex(/^[^\n]*$/, 'expected one line'),
      protects: z.string().min(1),
      command: z.string().min(1),
      extension: z.string().regex(/^(\.[A-Za-z0-9]+)*$/, "expected an extension such as .tar.gz, or '' for a folder"),
      verify: z.string().min(1).optional(),
      cleanup: z.string().min(1).optional(),
      settings: z.record(SETTING_NAME, z.string()).optional(),
      secrets: z.record(SETTING_NAME, SECRET).optional(),
      volumes: z.array(z.object({ claimName: CLAIM, mountPath: ABS_PATH, readOnly: z.boolean().optional() }).strict()).optional(),
      minSize: SIZE.optional(),
      assetKind: z.enum(['guest', 'pvc-set', 'path', 'database', 'app-data']).optional(),
      restore: z.array(z.object({ title: z.string().min(1).regex(/^[^\n]*$/, 'expected one line'), notes: z.array(z.string()).optional(), commands: z.array(z.string()) }).strict()).optional(),
    })
    .strict(),
};

/**
 * What a dump job dumps: one typed engine per kind of data, each giving its dump command,
 * the checks that keep a broken dump from counting as a backup, and its rotation. Options
 * are checked when the job that uses the engine is constructed, so errors name that job.
 *
 * Credentials are only ever {@link SecretRef}s (Kubernetes Secret keys) or mounted files.
 */
export class DumpEngine {
  /** A full `pg_dumpall` of the cluster, gzip (`<job>-<stamp>.sql.gz`). */
  static postgresql(options: PostgresqlOptions): DumpEngine {
    return new DumpEngine('postgresql', options);
  }
  /** `pg_dump -Fc` of each database into `per-db/<db>/` (restore one with `pg_restore`). */
  static postgresqlPerDatabase(options: PostgresqlPerDatabaseOptions): DumpEngine {
    return new DumpEngine('postgresql-per-database', options);
  }
  /** `mysqldump --all-databases`, gzip. */
  static mysql(options: MysqlOptions): DumpEngine {
    return new DumpEngine('mysql', options);
  }
  /** One gzip'd `mysqldump` per database into `per-db/<db>/`. */
  static mysqlPerDatabase(options: MysqlPerDatabaseOptions): DumpEngine {
    return new DumpEngine('mysql-per-database', options);
  }
  /** `etcdctl snapshot save`, checked with `snapshot status`. */
  static etcd(options: EtcdOptions): DumpEngine {
    return new DumpEngine('etcd', options);
  }
  /** `vault operator raft snapshot save`, checked against the snapshot's SHA256SUMS. */
  static vaultRaft(options: VaultRaftOptions): DumpEngine {
    return new DumpEngine('vault-raft', options);
  }
  /** `BGSAVE`, then a copy of the RDB file checked with `redis-check-rdb`. */
  static redis(options: RedisOptions): DumpEngine {
    return new DumpEngine('redis', options);
  }
  /** An SQLite database copied online (`VACUUM INTO`) with integrity checks before and after, plus its extra files. */
  static sqlite(options: SqliteOptions): DumpEngine {
    return new DumpEngine('sqlite', options);
  }
  /** Anything else: the stack's own sh lines write the artifact. */
  static command(options: CommandOptions): DumpEngine {
    return new DumpEngine('command', options);
  }

  private constructor(
    readonly kind: DumpEngineKind,
    private readonly options: unknown,
  ) {}

  /** Checks the options (errors name `constructPath` and `engine.<field>`) and renders the engine. */
  resolve(constructPath: string, jobId: string): ResolvedEngine {
    const raw = (this.options ?? {}) as Record<string, unknown>;
    const problems: Problem[] = [];
    // a credential written into the stack would end up in cdk.tf.json: refuse it without echoing it
    for (const field of SECRET_FIELDS) {
      if (raw[field] !== undefined && !(raw[field] instanceof SecretRef)) {
        problems.push({ field: `engine.${field}`, message: `expected a SecretRef, got a ${typeof raw[field]} (value not shown): secret values must not be written into the stack`, hint: `SecretRef.fromSecret('<secret>', '<key>')` });
      }
    }
    if (this.kind === 'command') {
      for (const name of secretSettingNames((raw.settings ?? {}) as Record<string, unknown>)) {
        problems.push({ field: `engine.settings.${name}`, message: `expected no credential in settings, got a value for ${name} (value not shown)`, hint: `pass it as secrets: { ${name}: SecretRef.fromSecret('<secret>', '<key>') }` });
      }
      for (const [name, value] of Object.entries((raw.secrets ?? {}) as Record<string, unknown>)) {
        if (!(value instanceof SecretRef)) {
          problems.push({ field: `engine.secrets.${name}`, message: `expected a SecretRef, got a ${typeof value} (value not shown): secret values must not be written into the stack`, hint: `SecretRef.fromSecret('<secret>', '<key>')` });
        }
      }
    }
    const known = Object.keys((SCHEMAS[this.kind] as z.ZodObject).shape);
    for (const key of Object.keys(raw).filter((k) => !known.includes(k))) {
      problems.push({ field: `engine.${key}`, message: `expected an option of the ${this.kind} engine, got an unknown one`, hint: `its options are ${known.join(', ')}` });
    }
    if (problems.length) throw new BackupConfigError(constructPath, problems);
    const schema = z.object({ engine: SCHEMAS[this.kind] }).strict();
    const o = checkProps(constructPath, schema, { engine: raw }).engine as never;
    return RENDER[this.kind](o, jobId, constructPath);
  }
}

type Renderer = (o: never, jobId: string, constructPath: string) => ResolvedEngine;

function firstLabel(host: string): string {
  return host.split('.')[0];
}

function bytesOf(size: Size | undefined, fallback: Size): string {
  return String((size ?? fallback).toBytes());
}

function pgSettings(o: PostgresqlOptions): Record<string, string> {
  // libpq otherwise waits for an unreachable server as long as the TCP stack does
  return { PGHOST: o.host, PGPORT: String(o.port ?? 5432), PGUSER: o.user ?? 'postgres', PGCONNECT_TIMEOUT: '30' };
}

function mysqlSettings(o: MysqlOptions): Record<string, string> {
  return { BC_MYSQL_HOST: o.host, BC_MYSQL_PORT: String(o.port ?? 3306), BC_MYSQL_USER: o.user ?? 'root' };
}

function pgServer(o: PostgresqlOptions): DatabaseServer {
  return { host: o.host, port: o.port ?? 5432, user: o.user ?? 'postgres' };
}

function mysqlServer(o: MysqlOptions): DatabaseServer {
  return { host: o.host, port: o.port ?? 3306, user: o.user ?? 'root' };
}

function dataClaim(claimName: string, readOnly: boolean): { volume: Volume; mount: VolumeMount } {
  return { volume: { name: 'data', persistentVolumeClaim: { claimName, readOnly } }, mount: { name: 'data', mountPath: POD_PATHS.data, readOnly } };
}

const RENDER: Record<DumpEngineKind, Renderer> = {
  postgresql: (o: PostgresqlOptions) => ({
    kind: 'postgresql',
    description: `pg_dumpall of every database on ${o.host}, gzip`,
    defaultImage: DEFAULT_DUMP_IMAGES.postgresql,
    subdirectory: '',
    artifactGlob: '*.sql.gz',
    asset: { kind: 'database', slug: firstLabel(o.host), name: `PostgreSQL at ${o.host}` },
    settings: { ...pgSettings(o), BC_MIN_BYTES: bytesOf(o.minSize, Size.kibibytes(1)), BC_MIN_TABLES: String(o.minTables ?? 1) },
    exports: ['PGHOST', 'PGPORT', 'PGUSER', 'PGCONNECT_TIMEOUT'],
    env: o.password ? [o.password.toEnv('PGPASSWORD')] : [],
    volumes: [],
    body: postgresqlAllBody(),
    metrics: [],
    restoreWrites: [],
    restore: (ctx) => postgresqlRestore(pgServer(o), ctx),
  }),
  'postgresql-per-database': (o: PostgresqlPerDatabaseOptions) => ({
    kind: 'postgresql-per-database',
    description: `pg_dump -Fc of ${o.databases ? o.databases.join(', ') : 'each database'} on ${o.host}`,
    defaultImage: DEFAULT_DUMP_IMAGES['postgresql-per-database'],
    subdirectory: 'per-db',
    artifactGlob: '*/*.dump',
    asset: { kind: 'database', slug: firstLabel(o.host), name: `PostgreSQL at ${o.host}` },
    settings: {
      ...pgSettings(o),
      BC_DATABASES: (o.databases ?? []).join(' '),
      BC_PG_MAINTENANCE_DB: o.maintenanceDatabase ?? 'postgres',
      BC_MIN_BYTES: bytesOf(o.minSize, Size.bytes(256)),
      BC_MIN_TABLES: String(o.minTables ?? 0),
    },
    exports: ['PGHOST', 'PGPORT', 'PGUSER', 'PGCONNECT_TIMEOUT'],
    env: o.password ? [o.password.toEnv('PGPASSWORD')] : [],
    volumes: [],
    body: postgresqlPerDatabaseBody(),
    metrics: [],
    restoreWrites: [],
    restore: (ctx) => postgresqlPerDatabaseRestore(pgServer(o), ctx),
  }),
  mysql: (o: MysqlOptions) => ({
    kind: 'mysql',
    description: `mysqldump --all-databases on ${o.host}, gzip`,
    defaultImage: DEFAULT_DUMP_IMAGES.mysql,
    subdirectory: '',
    artifactGlob: '*.sql.gz',
    asset: { kind: 'database', slug: firstLabel(o.host), name: `MySQL at ${o.host}` },
    settings: { ...mysqlSettings(o), BC_MIN_BYTES: bytesOf(o.minSize, Size.kibibytes(1)), BC_MIN_TABLES: String(o.minTables ?? 1) },
    exports: [],
    env: o.password ? [o.password.toEnv('MYSQL_PWD')] : [],
    volumes: [],
    body: mysqlAllBody(),
    metrics: [],
    restoreWrites: [],
    restore: (ctx) => mysqlRestore(mysqlServer(o), ctx),
  }),
  'mysql-per-database': (o: MysqlPerDatabaseOptions) => ({
    kind: 'mysql-per-database',
    description: `mysqldump of ${o.databases ? o.databases.join(', ') : 'each database'} on ${o.host}, gzip`,
    defaultImage: DEFAULT_DUMP_IMAGES['mysql-per-database'],
    subdirectory: 'per-db',
    artifactGlob: '*/*.sql.gz',
    asset: { kind: 'database', slug: firstLabel(o.host), name: `MySQL at ${o.host}` },
    settings: { ...mysqlSettings(o), BC_DATABASES: (o.databases ?? []).join(' '), BC_MIN_BYTES: bytesOf(o.minSize, Size.bytes(256)), BC_MIN_TABLES: String(o.minTables ?? 0) },
    exports: [],
    env: o.password ? [o.password.toEnv('MYSQL_PWD')] : [],
    volumes: [],
    body: mysqlPerDatabaseBody(),
    metrics: [],
    restoreWrites: [],
    restore: (ctx) => mysqlPerDatabaseRestore(mysqlServer(o), ctx),
  }),
  etcd: (o: EtcdOptions) => {
    const c = o.certificates;
    const certSettings: Record<string, string> = c
      ? { ETCDCTL_CACERT: `${ETCD_CERT_DIR}/${c.ca ?? 'ca.crt'}`, ETCDCTL_CERT: `${ETCD_CERT_DIR}/${c.cert ?? 'healthcheck-client.crt'}`, ETCDCTL_KEY: `${ETCD_CERT_DIR}/${c.key ?? 'healthcheck-client.key'}` }
      : {};
    // From the node, only the three files etcdctl reads: the folder (kubeadm's pki/etcd) also
    // holds the CA's and the server's private keys, which a backup pod has no business seeing.
    const files = c ? ([['etcd-ca', c.ca ?? 'ca.crt'], ['etcd-cert', c.cert ?? 'healthcheck-client.crt'], ['etcd-key', c.key ?? 'healthcheck-client.key']] as const) : [];
    const volumes = !c
      ? []
      : c.hostPath
        ? files.map(([name, file]) => ({
            volume: { name, hostPath: { path: `${c.hostPath!.replace(/\/+$/, '')}/${file}`, type: 'File' as const } },
            mount: { name, mountPath: `${ETCD_CERT_DIR}/${file}`, readOnly: true },
          }))
        : [{ volume: { name: 'etcd-certs', secret: { secretName: c.secretName!, defaultMode: 0o400 } }, mount: { name: 'etcd-certs', mountPath: ETCD_CERT_DIR, readOnly: true } }];
    return {
      kind: 'etcd',
      description: `etcdctl snapshot save from ${o.endpoints.join(', ')}`,
      defaultImage: undefined,
      subdirectory: '',
      artifactGlob: '*.db',
      asset: { kind: 'app-data', slug: 'etcd', name: 'etcd (Kubernetes cluster state)' },
      settings: { ETCDCTL_API: '3', ETCDCTL_ENDPOINTS: o.endpoints.join(','), ...certSettings, BC_SNAPSHOT_TIMEOUT: String((o.timeout ?? Duration.minutes(10)).toSeconds()), BC_MIN_BYTES: bytesOf(o.minSize, Size.kibibytes(16)), BC_MIN_KEYS: String(o.minKeys ?? 1) },
      exports: ['ETCDCTL_API', 'ETCDCTL_ENDPOINTS', ...Object.keys(certSettings)],
      env: [],
      volumes,
      body: etcdBody(),
      metrics: [],
      restoreWrites: [],
      restore: etcdRestore,
    };
  },
  'vault-raft': (o: VaultRaftOptions) => ({
    kind: 'vault-raft',
    description: `vault operator raft snapshot save from ${o.address}`,
    defaultImage: DEFAULT_DUMP_IMAGES['vault-raft'],
    subdirectory: '',
    artifactGlob: '*.snap',
    asset: { kind: 'app-data', slug: firstLabel(o.address.replace(/^https?:\/\//, '')), name: `Vault at ${o.address}` },
    settings: { VAULT_ADDR: o.address, BC_MIN_BYTES: bytesOf(o.minSize, Size.kibibytes(1)) },
    exports: ['VAULT_ADDR'],
    env: [o.token.toEnv('VAULT_TOKEN')],
    volumes: [],
    body: vaultBody(),
    metrics: [],
    restoreWrites: [],
    restore: (ctx) => vaultRestore(o.address, ctx),
  }),
  redis: (o: RedisOptions) => ({
    kind: 'redis',
    description: `BGSAVE on ${o.host}, then a copy of ${o.rdbFile ?? 'dump.rdb'}`,
    defaultImage: DEFAULT_DUMP_IMAGES.redis,
    subdirectory: '',
    artifactGlob: '*.rdb',
    asset: { kind: 'database', slug: firstLabel(o.host), name: `Redis at ${o.host}` },
    settings: {
      BC_REDIS_HOST: o.host,
      BC_REDIS_PORT: String(o.port ?? 6379),
      BC_DATA_DIR: POD_PATHS.data,
      BC_RDB_FILE: o.rdbFile ?? 'dump.rdb',
      BC_BGSAVE_TIMEOUT: String((o.bgsaveTimeout ?? Duration.minutes(10)).toSeconds()),
      BC_MIN_BYTES: bytesOf(o.minSize, Size.bytes(64)),
      BC_MIN_KEYS: String(o.minKeys ?? 1),
    },
    exports: [],
    env: o.password ? [o.password.toEnv('REDISCLI_AUTH')] : [],
    volumes: [dataClaim(o.dataClaim, true)],
    body: redisBody(),
    metrics: [],
    // the dump reads the RDB file; the restore writes it
    restoreWrites: ['data'],
    restore: (ctx) => redisRestore({ host: o.host, port: o.port ?? 6379, rdbFile: o.rdbFile ?? 'dump.rdb', dataClaim: o.dataClaim }, ctx),
  }),
  sqlite: (o: SqliteOptions, jobId: string) => {
    const dbFile = o.database.split('/').pop()!;
    const rows = Object.entries(o.minRows ?? {})
      .map(([t, n]) => `${t}:${n}`)
      .join(' ');
    const common = { BC_DATA_DIR: POD_PATHS.data, BC_SQLITE_DB: o.database, BC_SQLITE_TIMEOUT_MS: String((o.busyTimeout ?? DEFAULT_SQLITE_BUSY_TIMEOUT).toMilliseconds()) };
    const integrity = o.integrityCheck === false ? undefined : (o.integrityCheck ?? {});
    return {
      kind: 'sqlite',
      description: `SQLite copy (VACUUM INTO) of ${o.database} with integrity checks before and after${o.extraFiles?.length ? `, plus ${o.extraFiles.map((f) => f.path).join(', ')}` : ''}`,
      defaultImage: DEFAULT_DUMP_IMAGES.sqlite,
      subdirectory: '',
      artifactGlob: `${jobId}-*/${dbFile}`,
      asset: { kind: 'database', slug: `${o.dataClaim}/${o.database}`, name: `SQLite ${o.database} in ${o.dataClaim}` },
      settings: {
        ...common,
        BC_EXTRA_FILES: (o.extraFiles ?? []).map((f) => `${f.optional ? 'optional' : 'required'}:${f.path}`).join(' '),
        BC_MIN_BYTES: bytesOf(o.minSize, Size.kibibytes(4)),
        BC_MIN_TABLES: String(o.minTables ?? 1),
        BC_MIN_ROWS: rows,
      },
      exports: [],
      env: [],
      volumes: [dataClaim(o.dataClaim, false)],
      body: sqliteBody(),
      metrics: [],
      restoreWrites: ['data'],
      restore: (ctx) => sqliteRestore({ dataClaim: o.dataClaim, database: o.database }, ctx),
      integrity: integrity
        ? {
            schedule: integrity.schedule ?? Schedule.everyHours(1),
            jobId: integrity.jobId,
            alertName: integrity.alertName,
            failAlertName: integrity.failAlertName,
            settings: common,
            body: sqliteIntegrityBody(),
            metric: INTEGRITY_METRIC,
          }
        : undefined,
    };
  },
  command: (o: CommandOptions, jobId: string) => ({
    kind: 'command',
    description: o.description,
    defaultImage: undefined,
    subdirectory: '',
    artifactGlob: `${jobId}-*${o.extension}`,
    asset: { kind: o.assetKind ?? 'app-data', slug: jobId, name: o.protects },
    settings: { ...(o.settings ?? {}), BC_EXT: o.extension, BC_MIN_BYTES: bytesOf(o.minSize, Size.bytes(1)) },
    exports: [],
    env: Object.entries(o.secrets ?? {}).map(([name, ref]) => ref.toEnv(name)),
    volumes: (o.volumes ?? []).map((v, i) => ({
      volume: { name: `data-${i}`, persistentVolumeClaim: { claimName: v.claimName, readOnly: v.readOnly ?? true } },
      mount: { name: `data-${i}`, mountPath: v.mountPath, readOnly: v.readOnly ?? true },
    })),
    body: commandBody(o.command, o.verify),
    cleanup: o.cleanup,
    metrics: [],
    // its volumes are the command's to read; mounting them could keep the restore shell from starting beside the running application
    restoreWrites: [],
    restore: (ctx) => [...commandRestore(o.description, o.extension, ctx), ...(o.restore ?? []).map((r) => ({ ...r, notes: r.notes ? [...r.notes] : undefined, commands: [...r.commands] }))],
  }),
};
