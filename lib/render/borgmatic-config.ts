import { toYaml } from '../yaml';
import { generatedHeader } from './shell';

/** Which borgmatic configuration layout to write. */
export type BorgmaticLayout = '1.7' | '1.8';

/** A consistency check borgmatic runs after a backup, at most once per `frequency`. */
export interface BorgmaticCheck {
  /** What borgmatic checks: the repository's segments, the archives' metadata, every chunk's data, or a trial extract. */
  readonly name: 'repository' | 'archives' | 'data' | 'extract';
  /**
   * borgmatic's frequency text (`2 weeks`).
   * @default - every run (borgmatic's `always`)
   */
  readonly frequency?: string;
}

/** A PostgreSQL database dumped through borgmatic's hook (auth from ~/.pgpass or peer, never a password here). */
export interface BorgmaticPostgresDatabase {
  /** The database, or `all` for every database on the server. */
  readonly name: string;
  /** Server to connect to; the database asset is registered on it. @default - the local Unix socket (the asset: on the job's host) */
  readonly hostname?: string;
  /** @default 5432 (borgmatic's) */
  readonly port?: number;
  /** Role to connect as, authenticated by root's `~/.pgpass` or peer authentication. @default - the user borgmatic runs as (root) */
  readonly username?: string;
  /** pg_dump's output format; `directory` cannot be streamed to borg and uses temporary disk space. @default 'custom' (borgmatic's) */
  readonly format?: 'custom' | 'directory' | 'tar' | 'plain';
}

/** A MySQL/MariaDB database dumped through borgmatic's hook (auth from ~/.my.cnf, never a password here). */
export interface BorgmaticMysqlDatabase {
  /** The database, or `all` for every database on the server. */
  readonly name: string;
  /** Server to connect to; the database asset is registered on it. @default - the local Unix socket (the asset: on the job's host) */
  readonly hostname?: string;
  /** @default 3306 (borgmatic's) */
  readonly port?: number;
  /** User to connect as, authenticated by root's `~/.my.cnf`. @default - the user borgmatic runs as (root) */
  readonly username?: string;
}

/** Everything one borgmatic configuration file says, independent of its layout. */
export interface BorgmaticConfigOptions {
  readonly constructPath: string;
  readonly sourceDirectories: readonly string[];
  readonly repository: string;
  /** Label of the repository (1.8 layout only). */
  readonly repositoryLabel: string;
  readonly excludePatterns: readonly string[];
  readonly oneFileSystem: boolean;
  readonly excludeCaches: boolean;
  /** The command whose output is the passphrase: never the passphrase itself. */
  readonly encryptionPasscommand: string;
  readonly compression: string;
  readonly sshCommand?: string;
  readonly remotePath?: string;
  /** `keep_*` options, as `Retention.toBorgmatic()` gives them. */
  readonly retention: Readonly<Record<string, number>>;
  readonly checks: readonly BorgmaticCheck[];
  readonly checkLast?: number;
  readonly postgresqlDatabases: readonly BorgmaticPostgresDatabase[];
  readonly mysqlDatabases: readonly BorgmaticMysqlDatabase[];
}

/**
 * borgmatic has no `keep_last`: Borg's `--keep-last` is an alias of `--keep-secondly`, which
 * borgmatic does know, so a keep-last policy is written as keep_secondly (same archives kept).
 */
function borgmaticRetention(keep: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(keep)) out[k === 'keep_last' ? 'keep_secondly' : k] = v;
  const order = ['keep_secondly', 'keep_minutely', 'keep_hourly', 'keep_daily', 'keep_weekly', 'keep_monthly', 'keep_yearly'];
  return Object.fromEntries(order.filter((k) => out[k] !== undefined).map((k) => [k, out[k]]));
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))) as Partial<T>;
}

/**
 * The options grouped the way borgmatic 1.7 groups them (`location`, `storage`, `retention`,
 * `consistency`, `hooks`); the 1.8 layout is the same options with the sections removed.
 */
function sections(o: BorgmaticConfigOptions): Record<string, Record<string, unknown>> {
  const postgres = o.postgresqlDatabases.map((d) => defined({ name: d.name, hostname: d.hostname, port: d.port, username: d.username, format: d.format }));
  const mysql = o.mysqlDatabases.map((d) => defined({ name: d.name, hostname: d.hostname, port: d.port, username: d.username }));
  return {
    location: defined({
      source_directories: [...o.sourceDirectories],
      repositories: [o.repository],
      one_file_system: o.oneFileSystem,
      exclude_patterns: [...o.excludePatterns],
      exclude_caches: o.excludeCaches,
      remote_path: o.remotePath,
    }),
    storage: defined({
      encryption_passcommand: o.encryptionPasscommand,
      compression: o.compression,
      ssh_command: o.sshCommand,
    }),
    retention: borgmaticRetention(o.retention),
    consistency: defined({
      checks: o.checks.map((c) => defined({ name: c.name, frequency: c.frequency })),
      check_last: o.checkLast,
    }),
    hooks: defined({ postgresql_databases: postgres, mysql_databases: mysql }),
  };
}

/**
 * A borgmatic configuration file. `1.7` writes the sectioned layout that borgmatic 1.7 (Debian
 * 12, Proxmox VE 8) requires; `1.8` writes the flat layout of borgmatic 1.8 and later, with
 * the repository as a `path`/`label` entry.
 *
 * @see https://torsion.org/borgmatic/docs/reference/configuration/
 */
export function renderBorgmaticConfig(o: BorgmaticConfigOptions, layout: BorgmaticLayout): string {
  const grouped = sections(o);
  let doc: Record<string, unknown>;
  if (layout === '1.7') {
    doc = Object.fromEntries(Object.entries(grouped).filter(([, v]) => Object.keys(v).length > 0));
  } else {
    doc = {};
    for (const section of Object.values(grouped)) Object.assign(doc, section);
    doc.repositories = [{ path: o.repository, label: o.repositoryLabel }];
  }
  const header = generatedHeader('#', o.constructPath, `borgmatic ${layout === '1.7' ? '1.7 (sectioned)' : '1.8+ (flat)'} configuration`);
  return header + toYaml(doc, { indent: 4, lineWidth: 0 });
}
