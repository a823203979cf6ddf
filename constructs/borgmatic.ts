import { Construct } from 'constructs';
import { z } from 'zod';
import { Duration } from '../lib/duration';
import { BackupConfigError, checkProps, describeValue } from '../lib/errors';
import { overlapping } from '../lib/paths';
import { BackupMetric } from '../lib/metrics';
import type { SiteModel } from '../lib/model/site-model';
import type { RestoreStep } from '../lib/model/types';
import { Classification, CLASSIFICATIONS, Location, LOCATIONS, Medium, MEDIA } from '../lib/model/vocabulary';
import { hostAddress } from '../lib/net';
import { instanceOf } from '../lib/private/zod-helpers';
import {
  BorgmaticCheck,
  BorgmaticLayout,
  BorgmaticMysqlDatabase,
  BorgmaticPostgresDatabase,
  renderBorgmaticConfig,
} from '../lib/render/borgmatic-config';
import { shellCommand, shellQuote } from '../lib/render/shell';
import { Retention } from '../lib/retention';
import { Schedule } from '../lib/schedule';
import { Host } from './host';
import { membersOf, registerMember, siteModelOf } from './private/site-anchor';
import { ScheduledHostJob } from './scheduled-host-job';
import { ABSOLUTE_FILE_PATH, ABSOLUTE_PATH_GLOB } from '../lib/path-schema';

export { BorgmaticCheck, BorgmaticLayout, BorgmaticMysqlDatabase, BorgmaticPostgresDatabase } from '../lib/render/borgmatic-config';

type PassphraseSource = { kind: 'vault'; path: string; field: string; address?: string } | { kind: 'file'; path: string };

/**
 * Where borg's repository passphrase comes from at run time: a Vault secret or a root-only
 * file on the host. There is deliberately no way to give the passphrase itself: the
 * configuration only ever holds the command that reads it (`encryption_passcommand`).
 */
export class BorgPassphrase {
  /**
   * Read with `vault kv get -field=<field> <path>` (KV v1 or v2). The token comes from the
   * environment (`VAULT_TOKEN`, e.g. through the job's `environmentFile`) or root's
   * `~/.vault-token`.
   * @param opts.address Vault's address; @default - `VAULT_ADDR` from the environment
   */
  static vault(opts: { path: string; field: string; address?: string }): BorgPassphrase {
    const problems: { field: string; message: string; hint?: string }[] = [];
    if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)+$/.test(opts.path ?? '')) {
      problems.push({ field: 'path', message: 'expected a Vault secret path such as secret/backup/colo/borgmatic (value not shown)' });
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(opts.field ?? '')) {
      problems.push({ field: 'field', message: 'expected the name of a field of the secret, such as passphrase (value not shown)' });
    }
    if (opts.address !== undefined && !/^https?:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/.test(opts.address)) {
      problems.push({ field: 'address', message: `expected a Vault address such as https://vault.example.com:8200, got ${describeValue(opts.address)}` });
    }
    if (problems.length) throw new BackupConfigError('BorgPassphrase.vault', problems);
    return new BorgPassphrase({ kind: 'vault', path: opts.path, field: opts.field, address: opts.address });
  }

  /** Read with `cat <path>` from a root-only file on the host. */
  static file(path: string): BorgPassphrase {
    if (typeof path !== 'string' || !/^\/[^\s'"$`\\]+$/.test(path)) {
      throw new BackupConfigError('BorgPassphrase.file', [
        { field: 'path', message: 'expected an absolute path without spaces or quotes, such as /root/.borg-passphrase (value not shown: it may be the passphrase itself)' },
      ]);
    }
    return new BorgPassphrase({ kind: 'file', path });
  }

  private constructor(private readonly source: PassphraseSource) {}

  /** The `encryption_passcommand` value (run by borg without a shell). */
  toPasscommand(): string {
    const s = this.source;
    if (s.kind === 'file') return `cat ${s.path}`;
    return ['vault', 'kv', 'get', ...(s.address ? [`-address=${s.address}`] : []), `-field=${s.field}`, s.path].join(' ');
  }

  /** `vault secret/...#passphrase` or `file /root/...`, for reports. */
  toHumanString(): string {
    const s = this.source;
    return s.kind === 'file' ? `file ${s.path}` : `vault ${s.path}#${s.field}`;
  }
}

/** Props of {@link Borgmatic}. */
export interface BorgmaticProps {
  /** The host borgmatic runs on (it reads the sources and dumps the databases there). */
  readonly host: Host;
  /** Job id (`borgmatic-pve`): names the config file, units, metrics and alerts. */
  readonly jobId: string;
  /** When the timer runs the backup (systemd `OnCalendar=`). */
  readonly schedule: Schedule;
  /**
   * The borg repository: `ssh://user@host:port/./path` (a Hetzner Storage Box listens on
   * port 23) or an absolute local path.
   */
  readonly repository: string;
  /** Where the repository passphrase is read at run time. */
  readonly passphrase: BorgPassphrase;
  /** Directories to back up (each registered as a `path` asset). */
  readonly sourceDirectories: readonly string[];
  /** What `prune` keeps (borgmatic `keep_*`). */
  readonly retention: Retention;
  /** Borg exclude patterns. @default - none */
  readonly excludes?: readonly string[];
  /** Borg compression. @default 'zstd,3' */
  readonly compression?: string;
  /** Private key for the repository's SSH server. @default - ssh's default identity */
  readonly sshKeyFile?: string;
  /** Borg executable on the remote side (`borg-1.2`). @default - 'borg' */
  readonly remotePath?: string;
  /** Consistency checks run after each backup, at most once per their frequency. @default repository every 2 weeks, archives every week */
  readonly checks?: readonly BorgmaticCheck[];
  /** The archives check reads only the newest n archives. @default 3 */
  readonly checkLast?: number;
  /** PostgreSQL databases dumped into each archive (authentication from root's ~/.pgpass or peer). @default - none */
  readonly postgresqlDatabases?: readonly BorgmaticPostgresDatabase[];
  /** MySQL/MariaDB databases dumped into each archive (authentication from root's ~/.my.cnf). @default - none */
  readonly mysqlDatabases?: readonly BorgmaticMysqlDatabase[];
  /**
   * The borgmatic version on the host decides the config layout: `1.7` (sectioned, Debian 12
   * and Proxmox VE 8) or `1.8` (flat, 1.8 and later).
   * @default '1.7'
   */
  readonly version?: BorgmaticLayout;
  /** Stay on each source's filesystem. @default true */
  readonly oneFileSystem?: boolean;
  /** A root-only file loaded by systemd (e.g. `VAULT_ADDR` and `VAULT_TOKEN`). @default - none */
  readonly environmentFile?: string;
  /** @default 'remote-storage' for an ssh:// repository, 'local-disk' for a local path */
  readonly medium?: Medium;
  /** @default 'off-site' for an ssh:// repository, 'on-site' for a local path */
  readonly location?: Location;
  /** @default Duration.hours(1) */
  readonly expectedDuration?: Duration;
  /** @default - one schedule period plus the larger of the expected duration and 2 hours */
  readonly staleAfter?: Duration;
  /** systemd stops a run that takes longer (reported as a failure). @default - no limit */
  readonly timeout?: Duration;
  /** @default 'important' */
  readonly classification?: Classification;
  /** @default - the job id in PascalCase */
  readonly alertName?: string;
}

const SSH_REPO = /^ssh:\/\/[A-Za-z0-9._-]+@[A-Za-z0-9.-]+(:\d{1,5})?\/\S+$/;
const DB_NAME = z.string().regex(/^[A-Za-z0-9_.$-]+$/, 'expected a database name (or all)');
const DB_USER = z.string().regex(/^[A-Za-z0-9_.@-]+$/, 'expected a database user name');
const DB_HOST = hostAddress('expected a host name or address', { user: 'username', port: 'port' });
const PORT = z.number().int().min(1).max(65535);

const schema = z
  .object({
    host: z.instanceof(Host, { message: 'expected a Host or PveHost' }),
    jobId: z.string().regex(/^[a-z][a-z0-9-]{0,62}[a-z0-9]$/, 'expected a lower-case id of letters, digits and dashes, such as borgmatic-pve'),
    schedule: instanceOf(Schedule, "expected a Schedule, e.g. Schedule.daily('02:00')"),
    repository: z.string().refine((v) => SSH_REPO.test(v) || /^\/\S+$/.test(v), 'expected ssh://user@host:port/./path or an absolute local path'),
    passphrase: z.any(),
    sourceDirectories: z.array(ABSOLUTE_PATH_GLOB).min(1, 'expected at least one source directory'),
    retention: instanceOf(Retention, 'expected a Retention, e.g. Retention.gfs(7, 4, 6)'),
    excludes: z.array(z.string().min(1).regex(/^[^\n]*$/, 'expected one pattern per entry')).optional(),
    compression: z.string().regex(/^(none|lz4|zstd(,\d{1,2})?|zlib(,\d)?|lzma(,\d)?|auto,(lz4|zstd(,\d{1,2})?|zlib(,\d)?|lzma(,\d)?))$/, 'expected a borg compression such as zstd,3 or lz4').optional(),
    sshKeyFile: ABSOLUTE_FILE_PATH.optional(),
    remotePath: z.string().regex(/^[A-Za-z0-9_./-]+$/, 'expected a command name such as borg-1.2').optional(),
    checks: z
      .array(
        z
          .object({
            name: z.enum(['repository', 'archives', 'data', 'extract']),
            frequency: z.string().regex(/^(always|\d+ (hour|day|week|month|year)s?)$/, 'expected a frequency such as 2 weeks or always').optional(),
          })
          .strict(),
      )
      // none would never read the repository back: corruption shows only at the restore
      .min(1, 'expected at least one check (an empty list turns every consistency check off); omit checks for the default')
      .optional(),
    checkLast: z.number().int().min(1).optional(),
    postgresqlDatabases: z
      .array(z.object({ name: DB_NAME, hostname: DB_HOST.optional(), port: PORT.optional(), username: DB_USER.optional(), format: z.enum(['custom', 'directory', 'tar', 'plain']).optional() }).strict())
      .optional(),
    mysqlDatabases: z.array(z.object({ name: DB_NAME, hostname: DB_HOST.optional(), port: PORT.optional(), username: DB_USER.optional() }).strict()).optional(),
    version: z.enum(['1.7', '1.8']).optional(),
    oneFileSystem: z.boolean().optional(),
    environmentFile: ABSOLUTE_FILE_PATH.optional(),
    medium: z.enum(MEDIA as [Medium, ...Medium[]]).optional(),
    location: z.enum(LOCATIONS as [Location, ...Location[]]).optional(),
    expectedDuration: instanceOf(Duration, 'expected a Duration').optional(),
    staleAfter: instanceOf(Duration, 'expected a Duration').optional(),
    timeout: instanceOf(Duration, 'expected a Duration').optional(),
    classification: z.enum(CLASSIFICATIONS as [Classification, ...Classification[]]).optional(),
    alertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase name').optional(),
  })
  .strict();

const DB_HINT = 'databases authenticate through root\'s ~/.pgpass or ~/.my.cnf on the host; a password never goes in the config';

/** Where generated borgmatic configurations live: not /etc/borgmatic.d, which Debian's own borgmatic.timer runs. */
export const BORGMATIC_CONFIG_DIRECTORY = '/etc/backup-constructs/borgmatic';

/**
 * A borgmatic backup: a configuration (sources, excludes, an SSH or local repository, the
 * passphrase read from Vault or a file, compression, retention, consistency checks, database
 * hooks) and a systemd timer that runs `create`, then `prune compact check`, and reports in
 * the site's metric scheme (status, duration, and the bytes the new archive added).
 *
 * @see https://torsion.org/borgmatic/
 */
export class Borgmatic extends Construct {
  readonly host: Host;
  readonly jobId: string;
  readonly repository: string;
  readonly configPath: string;
  /** The rendered configuration file (as installed). */
  readonly config: string;
  readonly version: BorgmaticLayout;
  readonly retention: Retention;
  readonly compression: string;
  readonly checks: readonly BorgmaticCheck[];
  readonly medium: Medium;
  readonly location: Location;
  /** The site model target id of the repository. */
  readonly targetId: string;
  /** The scheduled job (script, service, timer) that runs borgmatic. */
  readonly job: ScheduledHostJob;
  private readonly model: SiteModel;

  constructor(scope: Construct, id: string, props: BorgmaticProps) {
    super(scope, id);
    const passphrase = (props as { passphrase?: unknown } | undefined)?.passphrase;
    if (!(passphrase instanceof BorgPassphrase)) {
      // never echo the value: it may be the passphrase itself
      throw new BackupConfigError(this.node.path, [
        {
          field: 'passphrase',
          message: `expected BorgPassphrase.vault({...}) or BorgPassphrase.file(path), got ${typeof passphrase === 'string' ? 'a string' : typeof passphrase} (value not shown: a literal passphrase would be written into the config)`,
          hint: "BorgPassphrase.vault({ path: 'secret/backup/borgmatic', field: 'passphrase' }) or BorgPassphrase.file('/root/.borg-passphrase')",
        },
      ]);
    }
    const p = checkProps(this.node.path, schema, props, {
      repository: 'a Storage Box: ssh://u123456@u123456.your-storagebox.de:23/./borg/host',
      retention: 'Retention.gfs(7, 4, 6)',
      postgresqlDatabases: DB_HINT,
      mysqlDatabases: DB_HINT,
    });
    this.model = siteModelOf(this);
    this.host = p.host;
    this.jobId = p.jobId;
    this.repository = p.repository;
    this.version = p.version ?? '1.7';
    this.retention = p.retention;
    this.compression = p.compression ?? 'zstd,3';
    this.checks = p.checks ?? [
      { name: 'repository', frequency: '2 weeks' },
      { name: 'archives', frequency: '1 week' },
    ];
    const remote = this.repository.startsWith('ssh://');
    // a local repository inside what it backs up would back itself up, growing each run
    const holding = remote ? undefined : p.sourceDirectories.find((s) => overlapping(s.replace(/\/?[^/]*[*?[].*$/, '') || '/', this.repository));
    if (holding) {
      throw new BackupConfigError(this.node.path, [
        { field: 'repository', message: `expected a repository outside the source directories, got ${this.repository}, which overlaps ${holding}: each run would back up the repository itself`, hint: 'keep the repository on another disk than the sources, or off-site (ssh://...)' },
      ]);
    }
    this.medium = p.medium ?? (remote ? 'remote-storage' : 'local-disk');
    this.location = p.location ?? (remote ? 'off-site' : 'on-site');
    // the config file is named after the job and installed before the job registers its id
    this.model.checkJobIdFree(p.jobId, this.node.path, this.model.jobIdClash(p.jobId, p.host.name));
    this.configPath = `${BORGMATIC_CONFIG_DIRECTORY}/${p.jobId}.yaml`;
    const postgres = p.postgresqlDatabases ?? [];
    const mysql = p.mysqlDatabases ?? [];

    this.config = renderBorgmaticConfig(
      {
        constructPath: this.node.path,
        sourceDirectories: p.sourceDirectories,
        repository: this.repository,
        repositoryLabel: p.jobId,
        excludePatterns: p.excludes ?? [],
        oneFileSystem: p.oneFileSystem ?? true,
        excludeCaches: true,
        encryptionPasscommand: passphrase.toPasscommand(),
        compression: this.compression,
        // BatchMode: a timer has nobody to answer a password or host-key prompt
        sshCommand: remote ? ['ssh', '-o', 'BatchMode=yes', ...(p.sshKeyFile ? ['-i', p.sshKeyFile] : [])].join(' ') : undefined,
        remotePath: p.remotePath,
        retention: this.retention.toBorgmatic(),
        checks: this.checks,
        checkLast: p.checkLast ?? 3,
        postgresqlDatabases: postgres,
        mysqlDatabases: mysql,
      },
      this.version,
    );
    // The config names the passphrase command and database users: root-only.
    const config = this.host.install(this, { files: [{ path: this.configPath, content: this.config, mode: '0600' }] });

    // a local path is a repository on this host's disk: the same path on another host is another one
    this.targetId = remote ? `borg:${this.repository}` : `borg:${this.host.name}:${this.repository}`;
    const assets = [
      ...p.sourceDirectories.map((dir) => this.pathAsset(dir, p.classification ?? 'important')),
      ...postgres.map((d) => this.databaseAsset('postgresql', d, p.classification ?? 'important')),
      ...mysql.map((d) => this.databaseAsset('mysql', d, p.classification ?? 'important')),
    ];

    this.job = new ScheduledHostJob(this, 'Job', {
      host: this.host,
      jobId: p.jobId,
      schedule: p.schedule,
      description: `borgmatic backup of ${p.sourceDirectories.join(', ')}${postgres.length + mysql.length ? ` and ${postgres.length + mysql.length} database(s)` : ''} to ${this.repository}`,
      body: BORGMATIC_BODY,
      settings: { BORGMATIC_CONFIG: this.configPath },
      locks: [`/run/backup-constructs/${p.jobId}.lock`],
      environmentFile: p.environmentFile,
      expectedDuration: p.expectedDuration,
      staleAfter: p.staleAfter,
      timeout: p.timeout,
      classification: p.classification,
      alertName: p.alertName,
      extraMetrics: [BackupMetric.lastSize],
      restore: this.restoreSteps(p.sourceDirectories, [...postgres.map((d) => d.name), ...mysql.map((d) => d.name)], p.environmentFile, assets),
      kind: 'borgmatic',
      writesTo: [this.targetId],
      // the timer runs borgmatic with this configuration: installed first, removed last
      installedAfter: [config],
    });

    if (!this.model.target(this.targetId)) {
      this.model.addTarget({
        id: this.targetId,
        name: `borg repository ${this.repository}${remote ? '' : ` on ${this.host.name}`}`,
        medium: this.medium,
        location: this.location,
        host: remote ? undefined : this.host.name,
        path: remote ? undefined : this.repository,
        constructPath: this.node.path,
      });
    }
    const retention = this.retention.toHumanString();
    for (const a of assets) {
      this.model.addCopy({ id: `${p.jobId}:${a.id}`, asset: a.id, job: p.jobId, target: this.targetId, layer: a.layer, retention }, this.node.path);
    }
    registerMember('borgmatic', this);
    this.model.addCheck(() => this.crossChecks());
  }

  private pathAsset(dir: string, classification: Classification): { id: string; layer: 'file' } {
    const id = `path:${this.host.name}:${dir}`;
    if (!this.model.asset(id)) this.model.addAsset({ id, kind: 'path', name: `${dir} on ${this.host.name}`, host: this.host.name, classification, constructPath: this.node.path });
    return { id, layer: 'file' };
  }

  private databaseAsset(engine: string, d: { name: string; hostname?: string }, classification: Classification): { id: string; layer: 'app' } {
    const server = d.hostname ?? this.host.name;
    const id = `database:${server}:${engine}:${d.name}`;
    if (!this.model.asset(id)) {
      this.model.addAsset({ id, kind: 'database', name: `${engine} database ${d.name} on ${server}`, host: server, classification, notes: `dumped by borgmatic on ${this.host.name}`, constructPath: this.node.path });
    }
    return { id, layer: 'app' };
  }

  private restoreSteps(dirs: readonly string[], databases: readonly string[], environmentFile: string | undefined, assets: readonly { id: string }[]): RestoreStep[] {
    const cfg = shellQuote(this.configPath);
    // the passcommand may need VAULT_ADDR/VAULT_TOKEN from the unit's environment file
    const env = environmentFile ? [`set -a; . ${shellQuote(environmentFile)}; set +a`] : [];
    const staging = `/var/tmp/restore-${this.jobId}`;
    const steps: RestoreStep[] = [{ title: `on ${this.host.name}: list the archives`, commands: [...env, `borgmatic --config ${cfg} rlist`] }];
    dirs.forEach((dir, i) => {
      steps.push({
        asset: assets[i].id,
        title: `${dir}: extract it from the newest archive into ${staging}, compare, then copy back what is needed`,
        // paths inside a borg archive have no leading slash
        // borgmatic extracts into an existing folder only
        commands: [...env, `mkdir -p ${staging}`, `borgmatic --config ${cfg} extract --archive latest --path ${shellQuote(dir.replace(/^\/+/, ''))} --destination ${staging}`],
      });
    });
    databases.forEach((name, i) => {
      steps.push({
        asset: assets[dirs.length + i].id,
        title: `database ${name}: restore the dump from the newest archive into the running server (it replaces the database)`,
        commands: [...env, shellCommand(['borgmatic', '--config', this.configPath, 'restore', '--archive', 'latest', '--database', name])],
      });
    });
    return steps;
  }

  private crossChecks(): string[] {
    // Two machines writing one borg repository fight over its cache and nonces.
    const others = membersOf<Borgmatic>(this, 'borgmatic').filter((b) => b !== this && b.targetId === this.targetId && b.host !== this.host);
    return others
      .filter((o) => o.jobId > this.jobId)
      .map((o) => `[${this.node.path}] repository: ${this.repository} is also written by ${o.jobId} on host ${o.host.name} (hint: give each host its own repository)`);
  }
}

/**
 * `create` first, so nothing is pruned when the backup fails; the bytes the new archive
 * added (deduplicated, summed over repositories) become backup_last_size_bytes.
 */
const BORGMATIC_BODY = `json=$(borgmatic --config "$BORGMATIC_CONFIG" create --json)
if size=$(printf '%s\\n' "$json" | grep -oE '"deduplicated_size": *[0-9]+' | grep -oE '[0-9]+$' | awk '{ s += $1 } END { if (NR == 0) exit 1; print s }'); then
  bc_metric ${BackupMetric.lastSize} "$size"
else
  echo "$BC_JOB: borgmatic reported no archive size" >&2
fi
borgmatic --config "$BORGMATIC_CONFIG" prune compact check`;
