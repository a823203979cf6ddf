import { Construct } from 'constructs';
import { z } from 'zod';
import { DEFAULTS } from '../lib/defaults';
import { Duration } from '../lib/duration';
import { BackupConfigError, checkProps, describeValue, withinField } from '../lib/errors';
import { closestValue } from '../lib/private/zod-issues';
import { BackupMetric, SeriesIdentity, signalRecord, signalRemoval } from '../lib/metrics';
import type { SiteModel } from '../lib/model/site-model';
import type { AssetRecord, RestoreStep } from '../lib/model/types';
import { Classification, CLASSIFICATIONS } from '../lib/model/vocabulary';
import { idString, instanceOf } from '../lib/private/zod-helpers';
import { backupJobCommands } from '../lib/render/pve-commands';
import { orderSectionProperties } from '../lib/render/section-config';
import { renderVzdumpHook } from '../lib/render/vzdump-hook';
import { Retention } from '../lib/retention';
import { Schedule } from '../lib/schedule';
import { daylightSavingFindings } from '../lib/schedule-findings';
import { Guest } from './guest';
import { PveHost } from './pve-host';
import { PveStorage } from './pve-storage';
import { membersOf, registerMember, siteModelOf } from './private/site-anchor';
import { ABSOLUTE_FOLDER } from '../lib/path-schema';
import { NO_CONTROL_CHARACTERS } from '../lib/text-schema';
import { shellQuote } from '../lib/render/shell';
import { positiveDuration } from '../lib/private/duration-schema';

/** vzdump backup modes. */
export type VzdumpMode = 'snapshot' | 'suspend' | 'stop';
/** vzdump compressors (`none` writes uncompressed archives). */
export type VzdumpCompress = 'zstd' | 'gzip' | 'lzo' | 'none';

/** Mail and notification settings of a job. */
export interface VzdumpNotification {
  /** @default - Proxmox's default (`auto`) */
  readonly mode?: 'auto' | 'legacy-sendmail' | 'notification-system';
  /** @default - none */
  readonly mailto?: readonly string[];
  /** @default - Proxmox's default (`always`) */
  readonly when?: 'always' | 'failure';
}

/** Props of {@link VzdumpJob}. */
export interface VzdumpJobProps {
  /** The Proxmox node the job runs on. */
  readonly host: PveHost;
  /**
   * Job id in jobs.cfg (`backup-home-p0-daily`): lower-case letters, digits and dashes, 2 to 50
   * characters (the longest id Proxmox's backup API reads back); also names its metrics and alerts.
   */
  readonly jobId: string;
  /** When the job runs, in the node's own time zone (Proxmox cannot run it in another). */
  readonly schedule: Schedule;
  /** The target storage; a string must name a storage declared earlier on the same host. */
  readonly storage: PveStorage | string;
  /** Guests to back up. Exactly one of `guests`, `all` or `pool`. @default - none */
  readonly guests?: readonly Guest[];
  /** Back up every guest on the node, except `exclude`. @default false */
  readonly all?: boolean;
  /** With `all`: guests left out. @default - none */
  readonly exclude?: readonly Guest[];
  /** Back up the guests of a Proxmox pool. @default - none */
  readonly pool?: string;
  /** @default 'snapshot' */
  readonly mode?: VzdumpMode;
  /** @default 'zstd' */
  readonly compress?: VzdumpCompress;
  /** Job-level pruning, overriding the storage's. @default - the storage's retention */
  readonly retention?: Retention;
  /** @default - Proxmox's defaults */
  readonly notification?: VzdumpNotification;
  /** @default '{{guestname}}' */
  readonly notesTemplate?: string;
  /** @default true */
  readonly enabled?: boolean;
  /** Shown in the GUI and kept in jobs.cfg. @default - none, or the reason for an automatic tmpdir */
  readonly comment?: string;
  /** Run a missed job when the node comes back up. @default false */
  readonly repeatMissed?: boolean;
  /**
   * Staging folder. Set automatically to /var/tmp when an unprivileged container writes to
   * NFS or CIFS (its mapped root cannot write there, GAP-OP-118), and for an `all` or `pool`
   * job writing there, which may meet containers made later (unprivileged by default).
   * @default - automatic
   */
  readonly tmpdir?: string;
  /** @default Duration.hours(1) */
  readonly expectedDuration?: Duration;
  /** @default - one schedule period plus the larger of the expected duration and 2 hours */
  readonly staleAfter?: Duration;
  /** Jobs that must finish before this one starts (P0 before P1). @default - none */
  readonly after?: readonly VzdumpJob[];
  /** @default - the most critical declared guest's classification; 'important' for a job with none (`all`, `pool`) */
  readonly classification?: Classification;
  /** Stem of the job's alert names, PascalCase. @default - the job id in PascalCase */
  readonly alertName?: string;
}

/** Partial props for the priority tiers of seed 001. */
export interface VzdumpTierPreset {
  /** The tier's schedule (p0 daily 03:00, p1 daily 03:15, p2 Sunday 04:00). */
  readonly schedule: Schedule;
  /** The tier's job-level retention (keep-last 3 for p0 and p1, 2 for p2). */
  readonly retention: Retention;
  /** The job's classification (p0 critical, p1 important, p2 rebuildable). */
  readonly classification: Classification;
}

// Proxmox reads, updates and deletes a backup job by an id of at most 50 characters
// (PVE/API2/Backup.pm, $vzdump_job_id_prop): a longer one could be created but never updated.
const JOB_ID = /^[a-z][a-z0-9-]{0,48}[a-z0-9]$/;
/** The variables vzdump replaces in a notes template. */
const NOTES_VARIABLES = ['cluster', 'guestname', 'node', 'vmid'];
/** The longest job comment Proxmox accepts. */
const PROXMOX_COMMENT_MAX = 512;
const MANAGED_KEYS = ['all', 'comment', 'compress', 'exclude', 'mailnotification', 'mailto', 'mode', 'notes-template', 'notification-mode', 'pool', 'prune-backups', 'repeat-missed', 'script', 'tmpdir', 'vmid'];

const schema = z
  .object({
    host: z.instanceof(PveHost, { message: 'expected a PveHost' }),
    jobId: idString(JOB_ID, 'expected a lower-case id of letters, digits and dashes (2-50 characters, the Proxmox limit), such as backup-home-p0-daily', { lowerCase: true }),
    schedule: instanceOf(Schedule, "expected a Schedule, e.g. Schedule.daily('03:00') or Schedule.weekly('sun', '04:00')"),
    storage: z.union([z.instanceof(PveStorage), z.string().min(1)], { message: 'expected a PveStorage or a storage id' }),
    guests: z.array(z.instanceof(Guest, { message: 'expected Guest constructs' })).min(1, 'expected at least one guest').optional(),
    all: z.boolean().optional(),
    exclude: z.array(z.instanceof(Guest, { message: 'expected Guest constructs' })).optional(),
    pool: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'expected a pool name').optional(),
    mode: z.enum(['snapshot', 'suspend', 'stop']).optional(),
    compress: z.enum(['zstd', 'gzip', 'lzo', 'none']).optional(),
    retention: instanceOf(Retention, 'expected a Retention, e.g. Retention.keepLast(3)').optional(),
    notification: z
      .object({
        mode: z.enum(['auto', 'legacy-sendmail', 'notification-system']).optional(),
        mailto: z.array(z.string().regex(/^[^\s,@]+@[^\s,@]+$/, 'expected an e-mail address')).optional(),
        when: z.enum(['always', 'failure']).optional(),
      })
      .strict()
      .optional(),
    notesTemplate: z
      .string()
      .max(1024, 'expected at most 1024 characters (Proxmox refuses a longer template)')
      .regex(NO_CONTROL_CHARACTERS, 'expected one line without control characters (a carriage return or tab would go into the jobs.cfg line as written)')
      .regex(/^(?:[^\\]|\\[n\\])*$/, "expected a backslash only as \\n (a line break in the notes) or \\\\ (a backslash): vzdump stops on any other escape")
      .refine((t) => [...t.matchAll(/\{\{([^{}]*)\}\}/g)].every((m) => NOTES_VARIABLES.includes(m[1])), 'expected only the variables {{cluster}}, {{guestname}}, {{node}} and {{vmid}}, written without spaces: vzdump leaves any other {{...}} as written')
      .optional(),
    enabled: z.boolean().optional(),
    // the automatic tmpdir reason may be added to it: the total is checked once it is known
    comment: z.string().max(PROXMOX_COMMENT_MAX, `expected at most ${PROXMOX_COMMENT_MAX} characters, Proxmox's limit`).regex(/^[^\n]*$/, 'expected one line').optional(),
    repeatMissed: z.boolean().optional(),
    tmpdir: ABSOLUTE_FOLDER.optional(),
    expectedDuration: positiveDuration('Duration.hours(1)', 'the stale threshold and the overlap checks count on it').optional(),
    staleAfter: instanceOf(Duration, 'expected a Duration').optional(),
    after: z.array(z.custom<VzdumpJob>((v) => v instanceof VzdumpJob, { message: 'expected VzdumpJob constructs' })).optional(),
    classification: z.enum(CLASSIFICATIONS as [Classification, ...Classification[]]).optional(),
    alertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase name such as WeeklyBackup').optional(),
  })
  .strict();

const RANK: Record<Classification, number> = { critical: 0, important: 1, rebuildable: 2 };

/**
 * A scheduled Proxmox backup job (`/etc/pve/jobs.cfg`), applied with `pvesh`, with a hook
 * script that reports each guest's outcome in the site's metric scheme.
 *
 * @see https://pve.proxmox.com/pve-docs/pve-admin-guide.html#chapter_vzdump
 */
export class VzdumpJob extends Construct {
  /** Seed 001's tiers: P0 daily 03:00 keep 3, P1 daily 03:15 keep 3, P2 Sunday 04:00 keep 2. */
  static tier(tier: 'p0' | 'p1' | 'p2'): VzdumpTierPreset {
    switch (tier) {
      case 'p0':
        return { schedule: Schedule.daily('03:00'), retention: Retention.keepLast(3), classification: 'critical' };
      case 'p1':
        return { schedule: Schedule.daily('03:15'), retention: Retention.keepLast(3), classification: 'important' };
      case 'p2':
        return { schedule: Schedule.weekly('sun', '04:00'), retention: Retention.keepLast(2), classification: 'rebuildable' };
    }
    // a tier from YAML ('P0', 'p3') returned undefined: spread into the props, it left the job
    // without a schedule, and the error blamed the schedule instead of the tier
    const meant = closestValue(String(tier), ['p0', 'p1', 'p2']);
    throw new BackupConfigError('VzdumpJob.tier', [
      { field: 'tier', message: `expected p0, p1 or p2, got ${describeValue(tier)}`, hint: meant ? `did you mean ${meant}?` : 'p0: daily 03:00, p1: daily 03:15, p2: Sunday 04:00' },
    ]);
  }

  /** A nightly 02:00 snapshot job with zstd and seven archives kept (seed 003's standard). */
  static nightly(scope: Construct, id: string, props: Omit<VzdumpJobProps, 'schedule'> & { schedule?: Schedule }): VzdumpJob {
    return new VzdumpJob(scope, id, { retention: Retention.keepLast(7), ...props, schedule: props.schedule ?? Schedule.daily('02:00') });
  }

  readonly host: PveHost;
  readonly jobId: string;
  readonly schedule: Schedule;
  readonly storage: PveStorage;
  /** Guests this job covers, as far as the site declares them. */
  readonly guests: readonly Guest[];
  readonly mode: VzdumpMode;
  readonly compress: VzdumpCompress;
  /** The retention in effect: the job's, else the storage's. */
  readonly retention: Retention | undefined;
  readonly enabled: boolean;
  readonly tmpdir: string | undefined;
  readonly comment: string | undefined;
  readonly hookPath: string;
  readonly expectedDuration: Duration;
  readonly staleAfter: Duration;
  /** What the schedule alone gives: one period plus the larger of expected duration and 2 h. */
  readonly derivedStaleAfter: Duration;
  readonly staleAfterExplicit: boolean;
  /** PascalCase stem of this job's alerts (`BackupHomeP0Daily` gives `BackupHomeP0DailyStale`). */
  readonly alertName: string;
  readonly classification: Classification;
  /**
   * The site model asset standing for the guests this job backs up that the program does not
   * declare: `guest:<host>:undeclared` for an `all` job, `guest:<host>:pool=<pool>` for a
   * `pool` job; undefined for a job that lists its guests.
   */
  readonly undeclaredAssetId: string | undefined;
  private readonly model: SiteModel;
  private selectsAll = false;
  private excluded: Guest[] = [];
  private pool: string | undefined;

  constructor(scope: Construct, id: string, props: VzdumpJobProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, {
      jobId: 'ids such as backup-home-p0-daily name the job in Proxmox, metrics and alerts',
      notesTemplate: "one line such as '{{guestname}} on {{node}}'; write a line break as \\n",
    });
    this.model = siteModelOf(this);
    this.host = p.host;
    this.jobId = p.jobId;
    this.schedule = p.schedule;
    this.storage = this.resolveStorage(p.storage);
    this.guests = this.resolveGuests(p);
    this.mode = p.mode ?? 'snapshot';
    this.compress = p.compress ?? 'zstd';
    this.retention = p.retention ?? this.storage.retention;
    this.enabled = p.enabled ?? true;
    this.expectedDuration = p.expectedDuration ?? DEFAULTS.expectedDuration;
    const period = this.schedule.period();
    const margin = this.expectedDuration.compareTo(DEFAULTS.staleMargin) > 0 ? this.expectedDuration : DEFAULTS.staleMargin;
    this.derivedStaleAfter = period.plus(margin);
    this.staleAfter = p.staleAfter ?? this.derivedStaleAfter;
    this.staleAfterExplicit = p.staleAfter !== undefined;
    this.alertName = p.alertName ?? pascalCase(p.jobId);
    this.classification = p.classification ?? this.guests.map((g) => g.classification).sort((a, b) => RANK[a] - RANK[b])[0] ?? 'important';
    this.hookPath = `${DEFAULTS.libexecDirectory}/vzdump-hook-${this.jobId}.sh`;
    this.undeclaredAssetId = this.registerUndeclaredGuests(p.classification);

    const lxcOnNetwork = this.guests.filter((g) => g.type === 'lxc' && g.unprivileged);
    const networkStorage = this.storage.type === 'nfs' || this.storage.type === 'cifs' || this.storage.medium === 'nas';
    // all and pool are resolved when the job runs, and Proxmox creates containers unprivileged
    // by default, so such a job meets unprivileged containers no declared guest stands for
    const selectsAtRun = p.all === true || p.pool !== undefined;
    const autoTmpdir = p.tmpdir === undefined && networkStorage && (lxcOnNetwork.length > 0 || selectsAtRun);
    this.tmpdir = p.tmpdir ?? (autoTmpdir ? DEFAULTS.lxcNfsTmpdir : undefined);
    // a dir storage with medium 'nas' sits on a network mount whose protocol the program does not know
    const onto = this.storage.type === 'nfs' || this.storage.type === 'cifs' ? this.storage.type.toUpperCase() : 'the NAS';
    const who = lxcOnNetwork.length > 0
      ? `unprivileged CT ${lxcOnNetwork.map((g) => g.vmid).join(',')}`
      : `CTs ${p.pool !== undefined ? `in pool ${p.pool}` : 'this all-guests job meets'} are unprivileged by default and`;
    const reason = autoTmpdir
      ? `tmpdir ${DEFAULTS.lxcNfsTmpdir} because ${who} cannot write to ${onto} as mapped root, so pct.conf is staged locally (GAP-OP-118)`
      : undefined;
    this.comment = [p.comment, reason].filter(Boolean).join('; ') || undefined;
    if (this.comment && this.comment.length > PROXMOX_COMMENT_MAX) {
      throw new BackupConfigError(this.node.path, [
        {
          field: 'comment',
          message: `expected at most ${PROXMOX_COMMENT_MAX} characters with the automatic tmpdir reason (Proxmox refuses a longer comment), got ${this.comment.length}: ${p.comment?.length ?? 0} of yours and ${this.comment.length - (p.comment?.length ?? 0)} for the reason`,
          hint: 'shorten the comment, or set tmpdir yourself (no reason is added then)',
        },
      ]);
    }

    const proxmoxSchedule = withinField(this.node.path, 'schedule', () => this.schedule.toProxmox(this.host.timeZone));
    this.register(p.after ?? [], proxmoxSchedule);
    const props_: Record<string, string | undefined> = {
      schedule: proxmoxSchedule,
      comment: this.comment,
      compress: this.compress === 'none' ? '0' : this.compress,
      enabled: this.enabled ? '1' : '0',
      mode: this.mode,
      'notes-template': p.notesTemplate ?? DEFAULTS.vzdumpNotesTemplate,
      'prune-backups': p.retention?.toPruneBackups(),
      'repeat-missed': p.repeatMissed ? '1' : undefined,
      script: this.hookPath,
      storage: this.storage.storageId,
      tmpdir: this.tmpdir,
      vmid: p.guests ? p.guests.map((g) => g.vmid).sort((a, b) => a - b).join(',') : undefined,
      all: p.all ? '1' : undefined,
      exclude: p.exclude?.length ? p.exclude.map((g) => g.vmid).sort((a, b) => a - b).join(',') : undefined,
      pool: p.pool,
      'notification-mode': p.notification?.mode,
      mailto: p.notification?.mailto?.join(','),
      mailnotification: p.notification?.when,
    };
    const ordered = orderSectionProperties(props_, ['schedule']);
    const commands = backupJobCommands(this.jobId, ordered, MANAGED_KEYS);
    // jobs.cfg keeps the comment percent-encoded; the API takes it plain.
    const stored = ordered.map(([k, v]) => [k, k === 'comment' ? encodeJobComment(v) : v] as const);
    this.host.registerSection({ file: 'jobs.cfg', type: 'vzdump', id: this.jobId, properties: stored, createCommand: commands.create, constructPath: this.node.path });
    const hook = renderVzdumpHook({ jobId: this.jobId, site: this.model.site, host: this.host.name, sink: this.model.settings.metrics, constructPath: this.node.path });
    // The hook goes in first: the job names it, and vzdump fails a job whose script is missing.
    this.host.install(this, {
      files: [{ path: this.hookPath, content: hook, mode: '0755' }],
      postInstall: commands.apply,
      // the job's and each guest's series go with the job; a guest's also when it leaves the job
      removals: [
        commands.removal,
        this.jobSeriesRemoval(),
        ...this.guests.map((g) => signalRemoval(this.model.settings.metrics, { job: this.jobId, site: this.model.site, host: this.host.name, guest: String(g.vmid) })),
      ],
      // the storage must exist before a job names it, and outlive it on destroy
      dependsOn: this.storage.installation ? [this.storage.installation] : undefined,
    });
  }

  /**
   * The job's own series, and in a textfile folder every guest's file too: an `all` job reports
   * guests it does not declare, whose files only a pattern finds (job ids have no `_`, so
   * `backup_<job>_guest_*` is this job's alone). A Pushgateway has no such pattern: the groups
   * of undeclared guests stay until deleted by hand.
   */
  private jobSeriesRemoval(): { entry: string; lines: string[] } {
    const sink = this.model.settings.metrics;
    const removal = signalRemoval(sink, { job: this.jobId, site: this.model.site, host: this.host.name });
    if (sink.kind === 'textfile') removal.lines.push(`rm -f "$R"${shellQuote(`${sink.directory}/backup_${this.jobId}_guest_`)}*.prom`);
    return removal;
  }

  private resolveStorage(storage: PveStorage | string): PveStorage {
    if (storage instanceof PveStorage) {
      if (storage.host !== this.host) {
        throw new BackupConfigError(this.node.path, [
          { field: 'storage', message: `storage ${storage.storageId} belongs to host ${storage.host.name}, not ${this.host.name}`, hint: 'declare the storage on the job\'s host' },
        ]);
      }
      return storage;
    }
    const found = membersOf<PveStorage>(this, 'pve-storage').find((c) => c.host === this.host && c.storageId === storage);
    if (!found) {
      throw new BackupConfigError(this.node.path, [
        {
          field: 'storage',
          message: `unknown storage ${JSON.stringify(storage)} on host ${this.host.name}`,
          hint: 'declare it before the job with new PveStorage(...) or PveStorage.existing(...)',
        },
      ]);
    }
    return found;
  }

  private resolveGuests(p: z.infer<typeof schema>): Guest[] {
    const chosen = [p.guests !== undefined, p.all === true, p.pool !== undefined].filter(Boolean).length;
    if (chosen !== 1) {
      throw new BackupConfigError(this.node.path, [
        { field: 'guests', message: `expected exactly one of guests, all or pool, got ${chosen}`, hint: 'list guests, or set all: true (with exclude), or name a pool' },
      ]);
    }
    if (p.exclude && !p.all) {
      throw new BackupConfigError(this.node.path, [{ field: 'exclude', message: 'only applies with all: true', hint: 'remove exclude or set all: true' }]);
    }
    const wrongHost = [...(p.guests ?? []), ...(p.exclude ?? [])].filter((g) => g.host !== this.host);
    if (wrongHost.length) {
      throw new BackupConfigError(this.node.path, [
        { field: 'guests', message: `guest ${wrongHost.map((g) => g.vmid).join(', ')} runs on ${wrongHost[0].host.name}, not ${this.host.name}`, hint: 'a vzdump job only backs up guests of its own node' },
      ]);
    }
    this.selectsAll = p.all === true;
    this.excluded = [...(p.exclude ?? [])];
    this.pool = p.pool;
    if (p.guests) return [...p.guests];
    if (p.all) {
      const excluded = new Set((p.exclude ?? []).map((g) => g.vmid));
      return membersOf<Guest>(this, 'guest').filter((g) => g.host === this.host && !excluded.has(g.vmid));
    }
    return []; // pool members are only known to Proxmox
  }

  private register(after: readonly VzdumpJob[], proxmoxSchedule: string): void {
    const site = this.model.site;
    this.model.addJob({
      id: this.jobId,
      kind: 'vzdump',
      host: this.host.name,
      constructPath: this.node.path,
      enabled: this.enabled,
      schedule: { ...this.schedule.toJSON(), proxmox: proxmoxSchedule },
      scheduleHuman: this.schedule.toHumanString(),
      expectedDurationSeconds: this.expectedDuration.toSeconds(),
      staleAfterHours: this.staleAfter.toHours({ integral: false }),
      staleAfterExplicit: this.staleAfterExplicit,
      derivedStaleAfterHours: this.derivedStaleAfter.toHours({ integral: false }),
      alertName: this.alertName,
      restore: this.restoreSteps(),
      // vzdump runs as Proxmox tasks: the task log holds its output and the hook's
      runLog: ['pvenode task list --typefilter vzdump --limit 20', 'pvenode task log <UPID>   # a UPID from the list above'],
      after: after.map((j) => j.jobId),
      writesTo: [this.storage.targetId],
      classification: this.classification,
      description: `vzdump ${this.mode} of ${this.selectionText()} to ${this.storage.storageId}`,
    });
    const retention = this.retention?.toHumanString() ?? 'keep-all (no pruning)';
    for (const g of this.guests) {
      this.model.addCopy(
        {
          id: `${this.jobId}:${g.assetId}`,
          asset: g.assetId,
          job: this.jobId,
          target: this.storage.targetId,
          layer: 'image',
          retention,
          artifact: this.storage.dumpDirectory
            ? { host: this.host.name, basePath: this.storage.dumpDirectory, glob: g.archiveGlob(this.compress) }
            : undefined,
        },
        this.node.path,
      );
    }
    if (this.undeclaredAssetId) {
      // No artifact location: one glob cannot give the age of each undeclared guest's newest
      // archive (a fresh archive of one guest would hide another's stale one), and a PBS
      // storage has no folder to look in. The job's own alerts cover these guests: the hook
      // marks the run failed when any guest's backup fails.
      this.model.addCopy({ id: `${this.jobId}:${this.undeclaredAssetId}`, asset: this.undeclaredAssetId, job: this.jobId, target: this.storage.targetId, layer: 'image', retention }, this.node.path);
    }
    const sink = this.model.settings.metrics;
    const signal = (id: SeriesIdentity, metrics: string[]) => this.model.addSignal(signalRecord(sink, id, metrics));
    const all = Object.values(BackupMetric).filter((m) => m !== BackupMetric.lastSize);
    signal({ job: this.jobId, site, host: this.host.name }, all);
    for (const g of this.guests) {
      signal({ job: this.jobId, site, host: this.host.name, guest: String(g.vmid) }, [BackupMetric.lastRun, BackupMetric.lastStatus, BackupMetric.lastSuccess, BackupMetric.lastSize]);
    }
    if (!this.retention) {
      this.model.addFinding({
        severity: 'warning',
        rule: 'retention-set',
        subject: this.node.path,
        message: `job ${this.jobId} and storage ${this.storage.storageId} set no retention: archives pile up until the storage is full`,
        fix: 'set retention on the job or the storage, e.g. Retention.keepLast(3)',
      });
    }
    for (const f of daylightSavingFindings(this.jobId, this.node.path, this.schedule, this.host.timeZone)) this.model.addFinding(f);
    this.model.addCheck(() => this.crossChecks());
    registerMember('vzdump-job', this);
  }

  /**
   * Registers the asset standing for the guests this job backs up that the program does not
   * declare, and returns its id.
   *
   * What "undeclared" can mean at synth time: Proxmox resolves `all` and `pool` each time the
   * job runs, from the node's guests and the pool's members, and the program has no list of
   * either. So an `all` job always has such guests as far as the program can tell: every guest
   * on the node besides the declared ones (all declared before the job, which a synth check
   * enforces), possibly none today, and any guest created later in the GUI. A `pool` job stands
   * for every member of its pool, since no declared guest says which pool it is in. A job that
   * lists `guests` backs up only those, so it has none.
   */
  private registerUndeclaredGuests(classification: Classification | undefined): string | undefined {
    const host = this.host.name;
    let asset: AssetRecord;
    if (this.selectsAll) {
      const declared = membersOf<Guest>(this, 'guest').filter((g) => g.host === this.host).map((g) => g.vmid).sort((a, b) => a - b);
      asset = {
        id: `guest:${host}:undeclared`,
        kind: 'guest',
        name: `every guest on ${host} not declared in this program`,
        host,
        // the job's classification, else what an undeclared guest would get if it were declared
        classification: classification ?? DEFAULTS.guestClassification,
        selector: { include: ['vmid=*'], exclude: declared.map((v) => `vmid=${v}`) },
        notes: `the guests Proxmox finds on ${host} when an all-guests job runs${declared.length ? `, besides the declared ${declared.join(', ')}` : ''}; there may be none yet, and a guest created later joins them`,
        constructPath: this.node.path,
      };
    } else if (this.pool !== undefined) {
      asset = {
        id: `guest:${host}:pool=${this.pool}`,
        kind: 'guest',
        name: `every guest in pool ${this.pool} on ${host}`,
        host,
        classification: classification ?? DEFAULTS.guestClassification,
        selector: { include: [`pool=${this.pool}`], exclude: [] },
        notes: `pool members are known only to Proxmox; a declared guest in the pool gets this copy too, which its own row does not show`,
        constructPath: this.node.path,
      };
    } else {
      return undefined;
    }
    // a second all-guests (or same-pool) job on the host covers the same guests: one asset, a copy per job
    if (!this.model.asset(asset.id)) this.model.addAsset(asset);
    return asset.id;
  }

  /** The guests the job names in its description and runbook. */
  private selectionText(): string {
    if (this.selectsAll) {
      const except = this.excluded.map((g) => g.vmid).sort((a, b) => a - b);
      return `every guest on ${this.host.name}${except.length ? ` except ${except.join(', ')}` : ''}`;
    }
    if (this.pool !== undefined) return `every guest in pool ${this.pool}`;
    return this.guests.map((g) => g.vmid).join(', ');
  }

  /**
   * Restoring a guest the program does not know: its VMID and type come from the backup list,
   * so the commands carry placeholders. Volume ids are `<storage>:backup/vm/<vmid>/<time>` on
   * PBS and `<storage>:backup/vzdump-qemu-<vmid>-<time>.vma...` on file storages.
   * @see https://pve.proxmox.com/pve-docs/qmrestore.1.html
   * @see https://pve.proxmox.com/pve-docs/pct.1.html
   */
  private undeclaredRestoreStep(assetId: string, list: string): RestoreStep {
    const id = this.storage.storageId;
    const [vm, ct] = this.storage.type === 'pbs' ? [`${id}:backup/vm/<vmid>/...`, `${id}:backup/ct/<vmid>/...`] : [`${id}:backup/vzdump-qemu-<vmid>-...`, `${id}:backup/vzdump-lxc-<vmid>-...`];
    return {
      asset: assetId,
      title:
        `${this.model.asset(assetId)?.name ?? assetId}: for each guest to bring back, take the newest volume id (Volid) of its VMID from the list and restore it ` +
        'as a VM or as a container under the same VMID; a VM\'s disks go back to the storages named in the backup unless you add --storage, a container\'s volumes all go to the one --storage names (stop and remove the broken guest first, or add --force)',
      commands: [list, `qmrestore <volid> <vmid>   # a VM: <volid> looks like ${vm}`, `pct restore <vmid> <volid> --storage <storage>   # a container: <volid> looks like ${ct}`],
    };
  }

  /** How to restore each guest this job covers (its runbook). */
  private restoreSteps(): RestoreStep[] {
    const dir = this.storage.dumpDirectory;
    const list = `pvesm list ${this.storage.storageId} --content backup`;
    // the steps for undeclared guests start with the list, so they replace the job-wide one
    const steps: RestoreStep[] = [this.undeclaredAssetId ? this.undeclaredRestoreStep(this.undeclaredAssetId, list) : { title: `list the archives on ${this.host.name}`, commands: [list] }];
    for (const g of this.guests) {
      const archive = dir ? `$(ls -1t ${dir}/${g.archiveGlob(this.compress)} | head -n 1)` : `${this.storage.storageId}:backup/<archive of ${g.vmid}>`;
      // pct restore has no "back where it was": without --storage every volume goes to `local`
      // (pve-container PVE::API2::LXC create_vm), which a standard install gives no container
      // content, so the restore is refused; qmrestore puts each disk back on its recorded storage.
      const storage = g.restoreStorage ? ` --storage ${g.restoreStorage}` : g.type === 'lxc' ? ' --storage <storage>' : '';
      const command =
        g.type === 'qemu'
          ? `qmrestore "${archive}" ${g.vmid}${storage}`
          : `pct restore ${g.vmid} "${archive}"${storage}${g.unprivileged ? ' --unprivileged 1' : ''}`;
      const note =
        g.type === 'qemu'
          ? 'The disks go back to the storages the archive records; add --storage <id> to put them elsewhere (a rebuilt node with other storage).'
          : "Replace <storage> with the storage for the container's volumes (one with content rootdir): pct restore puts every volume there, and without --storage on 'local', which holds no containers on a standard install. Declare restoreStorage on the guest to have it filled in.";
      steps.push({
        asset: g.assetId,
        title: `${g.type === 'qemu' ? 'VM' : 'CT'} ${g.vmid} ${g.guestName}: restore the newest archive (stop and remove the broken guest first, or add --force)`,
        ...(g.restoreStorage ? {} : { notes: [note] }),
        commands: [command],
      });
    }
    return steps;
  }

  private crossChecks(): string[] {
    const out: string[] = [];
    const path = this.node.path;
    for (const g of this.guests) {
      // the model knows every job that copies this guest; report each pair once, from the first job
      const others = this.model.copiesOf(g.assetId).map((c) => this.model.job(c.job)).filter((j) => j && j.kind === 'vzdump' && j.id !== this.jobId);
      for (const other of others.filter((j) => j!.id > this.jobId)) {
        out.push(`[${path}] guests: guest ${g.vmid} is also in job ${other!.id} (${other!.constructPath}); two jobs would back it up twice and fight over its lock (hint: keep each guest in one job)`);
      }
    }
    if (this.selectsAll) {
      // `all` covers the guests declared when the job was made; one declared later would be
      // backed up by Proxmox but missing from every report
      const excluded = new Set(this.excluded.map((g) => g.vmid));
      for (const g of membersOf<Guest>(this, 'guest').filter((x) => x.host === this.host && !excluded.has(x.vmid) && !this.guests.includes(x))) {
        out.push(`[${path}] all: guest ${g.vmid} (${g.node.path}) is declared after this all-guests job, so reports miss its copies (hint: declare guests before the job)`);
      }
    }
    if (this.storage.diskPool) {
      for (const g of this.guests.filter((x) => x.diskPool === this.storage.diskPool)) {
        out.push(`[${path}] storage: ${this.storage.storageId} is on disk pool ${this.storage.diskPool}, which also holds guest ${g.vmid}'s disks; one disk failure would take both (hint: back up to a storage on another disk)`);
      }
    }
    if (!this.storage.content.includes('backup')) {
      out.push(`[${path}] storage: ${this.storage.storageId} does not allow content 'backup' (it has ${this.storage.content.join(',')}) (hint: add 'backup' to the storage's content)`);
    }
    return out;
  }
}

/** How Proxmox stores a job comment in jobs.cfg: `%`, `:` and non-printable or non-ASCII bytes percent-encoded. */
export function encodeJobComment(comment: string): string {
  return [...Buffer.from(comment, 'utf8')]
    .map((b) => (b < 0x20 || b > 0x7e || b === 0x25 || b === 0x3a ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b)))
    .join('');
}

/** `backup-home-p0-daily` -> `BackupHomeP0Daily`. */
export function pascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}
