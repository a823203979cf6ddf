import { Construct } from 'constructs';
import { z } from 'zod';
import { Duration } from '../lib/duration';
import { BackupConfigError, checkProps } from '../lib/errors';
import type { RestoreStep } from '../lib/model/types';
import { Classification, CLASSIFICATIONS, Location, LOCATIONS, Medium, MEDIA } from '../lib/model/vocabulary';
import { instanceOf } from '../lib/private/zod-helpers';
import { AppBackupPartSpec, appBackupSettings, partFile, renderAppBackupBody, renderAppBackupCleanup } from '../lib/render/compose-app-backup';
import { Schedule } from '../lib/schedule';
import { Guest } from './guest';
import { Host } from './host';
import { siteModelOf } from './private/site-anchor';
import { ScheduledHostJob } from './scheduled-host-job';
import { FOLDER_PATH } from '../lib/path-schema';

const PART_NAME = /^[a-z][a-z0-9-]*$/;
const CONTAINER = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** One piece of an application's backup: a database dump, a folder, an app's own dump. */
export class AppBackupPart {
  /**
   * `pg_dump` run inside the PostgreSQL container (`docker exec`), plain SQL with
   * `--clean --if-exists`, gzipped; refused when pg_dump's closing line is missing.
   */
  static postgres(opts: { container: string; database: string; user?: string; name?: string }): AppBackupPart {
    return new AppBackupPart({ kind: 'postgres', name: opts.name ?? 'postgres', container: opts.container, database: opts.database, user: opts.user ?? opts.database });
  }

  /** A folder on the host (a bind mount such as Authentik's media), as a tar.gz. */
  static directory(opts: { path: string; name: string }): AppBackupPart {
    return new AppBackupPart({ kind: 'directory', name: opts.name, path: opts.path });
  }

  /**
   * `gitea dump` inside the Gitea container as the git user, streamed out as tar.gz;
   * refused without `gitea-db.sql` and `app.ini` in it.
   * @see https://docs.gitea.com/administration/backup-and-restore
   */
  static giteaDump(opts: { container?: string; user?: string; config?: string; name?: string } = {}): AppBackupPart {
    return new AppBackupPart({ kind: 'gitea', name: opts.name ?? 'gitea-dump', container: opts.container ?? 'gitea', user: opts.user ?? 'git', config: opts.config ?? '/data/gitea/conf/app.ini' });
  }

  private constructor(readonly spec: AppBackupPartSpec) {}

  /** `pg_dump of authentik in authentik-postgresql-1` (for descriptions). */
  toHumanString(): string {
    const s = this.spec;
    return s.kind === 'postgres' ? `pg_dump of ${s.database} in ${s.container}` : s.kind === 'directory' ? `folder ${s.path}` : `gitea dump in ${s.container}`;
  }
}

/** Props of {@link ComposeAppBackup} shared by its presets. */
export interface ComposeAppBackupCommonProps {
  /** The Docker host that runs the Compose stack. */
  readonly host: Host;
  /** Folder the runs land in (`<destination>/<UTC stamp>/`). @default - `/var/backups/backup-constructs/<app>` */
  readonly destination?: string;
  /** Runs kept (the newest). @default 7 */
  readonly keep?: number;
  /** @default Schedule.daily('01:30'): before a 02:00 vzdump, so the night's image carries a fresh dump */
  readonly schedule?: Schedule;
  /** @default - `app-backup-<app>` */
  readonly jobId?: string;
  /** @default 'critical' */
  readonly classification?: Classification;
  /**
   * Where the destination physically is. A folder on the Docker host's own disk shares the
   * live data's disk.
   * @default 'source-disk'
   */
  readonly medium?: Medium;
  /** @default 'on-site' */
  readonly location?: Location;
  /**
   * The VM the Docker host is: its vzdump archives carry the dumps, registered as copies of
   * the app data (declare the VzdumpJob that covers it first).
   * @default - none
   */
  readonly guest?: Guest;
  /** @default Duration.hours(1) */
  readonly expectedDuration?: Duration;
  /** @default - one schedule period plus the larger of the expected duration and 2 hours */
  readonly staleAfter?: Duration;
  /** systemd stops a run that takes longer (reported as a failure). @default Duration.hours(2) */
  readonly timeout?: Duration;
  /** @default - the job id in PascalCase */
  readonly alertName?: string;
}

/** Props of {@link ComposeAppBackup}. */
export interface ComposeAppBackupProps extends ComposeAppBackupCommonProps {
  /** The application (`authentik`); names the job, the asset and the default destination. */
  readonly app: string;
  /** What the backup consists of, in order. */
  readonly parts: readonly AppBackupPart[];
  /** What is protected, for reports. @default - the app and its parts */
  readonly protects?: string;
  /** How to restore, for the runbook. @default - none */
  readonly restore?: readonly RestoreStep[];
}

const schema = z
  .object({
    host: z.instanceof(Host, { message: 'expected a Host' }),
    app: z.string().regex(/^[a-z][a-z0-9-]*[a-z0-9]$/, 'expected a lower-case app name such as authentik'),
    parts: z.array(instanceOf(AppBackupPart, 'expected AppBackupPart values, e.g. AppBackupPart.postgres({...})')).min(1, 'expected at least one part'),
    protects: z.string().min(1).optional(),
    restore: z.array(z.any()).optional(),
    destination: FOLDER_PATH.optional(),
    keep: z.number().int().min(1).optional(),
    schedule: instanceOf(Schedule, "expected a Schedule, e.g. Schedule.daily('01:30')").optional(),
    jobId: z.string().regex(/^[a-z][a-z0-9-]{0,62}[a-z0-9]$/, 'expected a lower-case id such as app-backup-authentik').optional(),
    classification: z.enum(CLASSIFICATIONS as [Classification, ...Classification[]]).optional(),
    medium: z.enum(MEDIA as [Medium, ...Medium[]]).optional(),
    location: z.enum(LOCATIONS as [Location, ...Location[]]).optional(),
    guest: z.instanceof(Guest, { message: 'expected a Guest' }).optional(),
    expectedDuration: instanceOf(Duration, 'expected a Duration').optional(),
    staleAfter: instanceOf(Duration, 'expected a Duration').optional(),
    timeout: instanceOf(Duration, 'expected a Duration').optional(),
    alertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase name').optional(),
  })
  .strict();

/**
 * An application's own backup on the Docker host that runs it as a Compose stack: database
 * dumps through `docker exec`, folders, an app's dump command, each checked before the run
 * counts, written to a dated folder, rotated, and reported in the site's metric scheme.
 * Presets: {@link ComposeAppBackup.authentik}, {@link ComposeAppBackup.gitea}.
 */
export class ComposeAppBackup extends Construct {
  /**
   * Authentik: its PostgreSQL database (`pg_dump` in the Compose `postgresql` container) and
   * its media folder (custom icons, flow backgrounds), as Authentik's docs ask.
   * @see https://docs.goauthentik.io/docs/sys-mgmt/ops/backup-restore
   */
  static authentik(
    scope: Construct,
    id: string,
    props: ComposeAppBackupCommonProps & {
      /** Host folder bind-mounted as the media folder (`./media` beside docker-compose.yml). */
      readonly mediaPath: string;
      /** @default 'authentik-postgresql-1' (Compose project `authentik`, service `postgresql`) */
      readonly postgresContainer?: string;
      /** @default 'authentik' */
      readonly database?: string;
      /** @default 'authentik' */
      readonly user?: string;
    },
  ): ComposeAppBackup {
    const { mediaPath, postgresContainer, database, user, ...common } = props;
    const container = postgresContainer ?? 'authentik-postgresql-1';
    const db = database ?? 'authentik';
    const dest = common.destination ?? '/var/backups/backup-constructs/authentik';
    return new ComposeAppBackup(scope, id, {
      ...common,
      app: 'authentik',
      protects: `Authentik (PostgreSQL ${db}, media ${mediaPath})`,
      parts: [AppBackupPart.postgres({ container, database: db, user: user ?? 'authentik' }), AppBackupPart.directory({ name: 'media', path: mediaPath })],
      restore: [
        {
          title: 'Authentik: load the newest dump into the database and unpack the media (stop the server and worker first)',
          notes: [
            'The database is dropped and made anew before the dump is loaded: loaded over the live one, tables made after the dump (a newer migration) would stay beside an older django_migrations. The media folder in place is kept aside, not deleted.',
          ],
          commands: [
            `run=$(ls -1d ${dest}/*Z | tail -n 1) && (cd "$run" && sha256sum -c SHA256SUMS)`,
            'docker stop <server container> <worker container>   # the names docker ps shows, e.g. authentik-server-1 authentik-worker-1',
            `docker exec -i ${container} psql --username=${user ?? 'authentik'} --dbname=postgres --set ON_ERROR_STOP=1 -c 'DROP DATABASE ${db}' -c 'CREATE DATABASE ${db} OWNER ${user ?? 'authentik'}'`,
            `gunzip -c "$run/postgres.sql.gz" | docker exec -i ${container} psql --username=${user ?? 'authentik'} --dbname=${db} --set ON_ERROR_STOP=1`,
            `mv ${mediaPath} ${mediaPath}.before-restore && mkdir ${mediaPath} && tar -C ${mediaPath} -xzf "$run/media.tar.gz"`,
            'docker start <server container> <worker container>',
          ],
        },
      ],
    });
  }

  /**
   * Gitea: `gitea dump` (repositories, database as SQL, attachments, configuration) inside
   * its container.
   * @see https://docs.gitea.com/administration/backup-and-restore
   */
  static gitea(
    scope: Construct,
    id: string,
    props: ComposeAppBackupCommonProps & {
      /** @default 'gitea' (the container_name of Gitea's Compose example) */
      readonly container?: string;
      /** @default 'git' */
      readonly user?: string;
      /** @default '/data/gitea/conf/app.ini' */
      readonly config?: string;
    },
  ): ComposeAppBackup {
    const { container, user, config, ...common } = props;
    const c = container ?? 'gitea';
    const dest = common.destination ?? '/var/backups/backup-constructs/gitea';
    return new ComposeAppBackup(scope, id, {
      ...common,
      app: 'gitea',
      protects: 'Gitea (repositories, database, attachments, configuration)',
      parts: [AppBackupPart.giteaDump({ container: c, user, config })],
      restore: [
        {
          title: "Gitea: unpack the newest dump, put data/, custom/ and repos/ back into the container's /data, load gitea-db.sql into its database, restart, regenerate hooks (Gitea's restore guide, Docker)",
          notes: [
            "repos/ goes to `[repository] ROOT` of app.ini (/data/git/repositories in the official image); with `DB_TYPE = sqlite3` the database is a file in data/ and gitea-db.sql is not needed. Stop anything that writes to Gitea first.",
          ],
          commands: [
            `run=$(ls -1d ${dest}/*Z | tail -n 1) && (cd "$run" && sha256sum -c SHA256SUMS)`,
            'mkdir -p /tmp/gitea-restore && tar -C /tmp/gitea-restore -xzf "$run/gitea-dump.tar.gz"',
            `docker cp /tmp/gitea-restore/. ${c}:/tmp/gitea-restore`,
            'ROOT=/data/git/repositories   # [repository] ROOT of app.ini, if it says otherwise',
            `docker exec -e ROOT="$ROOT" ${c} sh -c 'cp -a /tmp/gitea-restore/data/. /data/gitea/ && if [ -d /tmp/gitea-restore/custom ]; then cp -a /tmp/gitea-restore/custom/. /data/gitea/; fi && mkdir -p "$ROOT" && cp -a /tmp/gitea-restore/repos/. "$ROOT"/ && chown -R git:git /data && rm -rf /tmp/gitea-restore'`,
            '# PostgreSQL: docker exec -i <db container> psql -U <user> -d <database> </tmp/gitea-restore/gitea-db.sql',
            '# MySQL:      docker exec -i <db container> mysql --default-character-set=utf8mb4 -u <user> -p <database> </tmp/gitea-restore/gitea-db.sql',
            `docker restart ${c}`,
            `docker exec --user ${user ?? 'git'} ${c} gitea admin regenerate hooks`,
          ],
        },
      ],
    });
  }

  readonly host: Host;
  readonly app: string;
  readonly jobId: string;
  readonly destination: string;
  readonly keep: number;
  /** The site model asset id (`app-data:<host>:<app>`). */
  readonly assetId: string;
  readonly job: ScheduledHostJob;

  constructor(scope: Construct, id: string, props: ComposeAppBackupProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, { parts: 'AppBackupPart.postgres({ container, database })' });
    this.checkParts(p.parts);
    const model = siteModelOf(this);
    this.host = p.host;
    this.app = p.app;
    this.jobId = p.jobId ?? `app-backup-${p.app}`;
    this.destination = p.destination ?? `/var/backups/backup-constructs/${p.app}`;
    this.keep = p.keep ?? 7;
    const specs = p.parts.map((x) => x.spec);
    const describe = p.parts.map((x) => x.toHumanString()).join(', ');
    const classification = p.classification ?? 'critical';
    this.assetId = `app-data:${p.host.name}:${p.app}`;
    const targetId = `host-path:${p.host.name}:${this.destination}`;
    const other = model.target(targetId);
    if (other) {
      // Each job's rotation keeps its newest KEEP run folders in its destination and its start
      // removes any .*.partial there: two jobs in one folder would delete each other's runs.
      throw new BackupConfigError(this.node.path, [
        {
          field: 'destination',
          message: `expected a folder no other job writes to, got ${this.destination}, which ${other.constructPath} also writes to on host ${p.host.name}: this job's rotation would delete runs it did not make`,
          hint: `give each app its own destination, e.g. ${this.destination}/${p.app}`,
        },
      ]);
    }
    // before the app's asset and folder are registered: the job id is what a second host's
    // backup of the same app has to change (the same app twice on one host is an error on app)
    if (!model.asset(this.assetId)) model.checkJobIdFree(this.jobId, this.node.path, model.jobIdClash(this.jobId, p.host.name));
    model.addAsset({ id: this.assetId, kind: 'app-data', name: p.protects ?? `${p.app} (${describe})`, host: p.host.name, classification, constructPath: this.node.path }, { field: 'app', hint: 'one ComposeAppBackup per app and host; list every part of the app in its parts' });
    model.addTarget({ id: targetId, name: `${this.destination} on ${p.host.name}`, medium: p.medium ?? 'source-disk', location: p.location ?? 'on-site', host: p.host.name, path: this.destination, constructPath: this.node.path });
    this.job = new ScheduledHostJob(this, 'Job', {
      host: p.host,
      jobId: this.jobId,
      schedule: p.schedule ?? Schedule.daily('01:30'),
      description: `${p.app} app-level backup on ${p.host.name}: ${describe}, to ${this.destination}, keeping ${this.keep}`,
      body: renderAppBackupBody(specs),
      cleanup: renderAppBackupCleanup(),
      settings: appBackupSettings(this.destination, this.keep, specs),
      locks: [`/run/lock/backup-constructs/${this.jobId}.lock`],
      timeout: p.timeout ?? Duration.hours(2),
      expectedDuration: p.expectedDuration,
      staleAfter: p.staleAfter,
      classification,
      alertName: p.alertName,
      kind: 'app-backup',
      writesTo: [targetId],
      extraMetrics: ['backup_last_size_bytes'],
      restore: [...((p.restore as RestoreStep[] | undefined) ?? [])].map((r) => ({ asset: this.assetId, ...r })),
    });
    const copyId = `${this.jobId}:${this.assetId}`;
    model.addCopy(
      {
        id: copyId,
        asset: this.assetId,
        job: this.jobId,
        target: targetId,
        layer: 'app',
        retention: `keep-last=${this.keep}`,
        artifact: { host: p.host.name, basePath: this.destination, glob: `*/${partFile(specs[0])}` },
      },
      this.node.path,
    );
    // The Docker host's image backups carry the dumps: copies of this copy on their storage.
    for (const c of p.guest ? model.copiesOf(p.guest.assetId).filter((x) => model.job(x.job)?.kind === 'vzdump') : []) {
      model.addCopy({ id: `${c.job}:${this.assetId}`, asset: this.assetId, derivedFrom: copyId, job: c.job, target: c.target, layer: 'app', retention: c.retention }, this.node.path);
    }
  }

  private checkParts(parts: readonly AppBackupPart[]): void {
    const problems: { field: string; message: string; hint?: string }[] = [];
    const seen = new Set<string>();
    parts.forEach((part, i) => {
      const s = part.spec;
      if (!PART_NAME.test(s.name)) problems.push({ field: `parts.${i}.name`, message: `expected a lower-case name such as media, got ${JSON.stringify(s.name)}` });
      if (seen.has(s.name)) problems.push({ field: `parts.${i}.name`, message: `${s.name} is used by two parts`, hint: 'give each part its own name (it names the file)' });
      seen.add(s.name);
      if (s.kind !== 'directory' && !CONTAINER.test(s.container)) problems.push({ field: `parts.${i}.container`, message: `expected a container name, got ${JSON.stringify(s.container)}` });
      if (s.kind === 'postgres' && !/^[A-Za-z_][A-Za-z0-9_$-]*$/.test(s.database)) problems.push({ field: `parts.${i}.database`, message: `expected a database name, got ${JSON.stringify(s.database)}` });
      if (s.kind === 'directory' && !/^\/\S*$/.test(s.path)) problems.push({ field: `parts.${i}.path`, message: `expected an absolute path, got ${JSON.stringify(s.path)}` });
    });
    if (problems.length) throw new BackupConfigError(this.node.path, problems);
  }
}
