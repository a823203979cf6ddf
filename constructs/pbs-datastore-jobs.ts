import { Construct } from 'constructs';
import { z } from 'zod';
import { DEFAULTS } from '../lib/defaults';
import { Duration } from '../lib/duration';
import { BackupConfigError, checkProps, withinField } from '../lib/errors';
import type { SiteModel } from '../lib/model/site-model';
import { pushedFillAlert } from '../lib/alerts/fill-alert';
import { BackupMetric, signalRecord, signalRemoval } from '../lib/metrics';
import { Classification, CLASSIFICATIONS } from '../lib/model/vocabulary';
import { instanceOf } from '../lib/private/zod-helpers';
import type { Removal } from '../lib/render/install-script';
import { PbsCommands, pbsDatastoreGuard, pbsGcCommands, pbsJobCommands } from '../lib/render/pbs-commands';
import { PBS_DATASTORE_METRICS, PbsReportedJob, renderPbsReportBody } from '../lib/render/pbs-report';
import { generatedHeader } from '../lib/render/shell';
import { Retention } from '../lib/retention';
import { Schedule } from '../lib/schedule';
import { daylightSavingFindings } from '../lib/schedule-findings';
import { Host } from './host';
import { membersOf, registerMember, siteModelOf } from './private/site-anchor';
import { PveStorage } from './pve-storage';
import { ScheduledHostJob } from './scheduled-host-job';
import { pascalCase } from './vzdump-job';
import { NO_CONTROL_CHARACTERS } from '../lib/text-schema';

/** A verify job: re-reads backup snapshots and checks every chunk against its digest. */
export interface PbsVerifyJob {
  /** When PBS runs it (a calendar event, in the PBS host's zone). */
  readonly schedule: Schedule;
  /** @default '<datastore>-verify' ('<host>-<datastore>-verify' for a datastore whose name another PBS host of the site already uses) */
  readonly jobId?: string;
  /** Skip snapshots verified within `outdatedAfter`. @default true */
  readonly ignoreVerified?: boolean;
  /** A verification older than this counts as outdated and is repeated (whole days). @default Duration.days(30) */
  readonly outdatedAfter?: Duration;
  /** @default - the root namespace */
  readonly namespace?: string;
  /** @default - full depth */
  readonly maxDepth?: number;
  /** @default Duration.hours(2) */
  readonly expectedDuration?: Duration;
}

/** A prune job: removes snapshots the retention no longer keeps (garbage collection frees their chunks). */
export interface PbsPruneJob {
  /** When PBS runs it (a calendar event, in the PBS host's zone). */
  readonly schedule: Schedule;
  /** What the prune keeps (`keep-*` of the prune job). */
  readonly retention: Retention;
  /** @default '<datastore>-prune' ('<host>-<datastore>-prune' for a datastore whose name another PBS host of the site already uses) */
  readonly jobId?: string;
  /** @default - the root namespace */
  readonly namespace?: string;
  /** @default - full depth */
  readonly maxDepth?: number;
  /** @default Duration.minutes(30) */
  readonly expectedDuration?: Duration;
}

/** Props of {@link PbsDatastoreJobs}. */
export interface PbsDatastoreJobsProps {
  /** The Proxmox Backup Server the datastore lives on (reached over SSH). */
  readonly host: Host;
  /** The datastore name (it must exist: `proxmox-backup-manager datastore create`). */
  readonly datastore: string;
  /** The Proxmox VE storage that writes to this datastore, so reports tie these jobs to its target. @default - none */
  readonly storage?: PveStorage;
  /** @default - no verify job */
  readonly verify?: PbsVerifyJob;
  /** @default - no prune job */
  readonly prune?: PbsPruneJob;
  /** When garbage collection runs. @default - the datastore's schedule is left as it is */
  readonly gcSchedule?: Schedule;
  /** Shown in the PBS GUI for the jobs. @default 'managed by backup-constructs' */
  readonly comment?: string;
  /** @default 'critical' (a failed verify means backups that may not restore) */
  readonly classification?: Classification;
  /**
   * Report each job's last run in the site's metric scheme, read from the PBS API by a job on
   * the PBS host (needs `jq` there), so the site's Failed and Stale alerts cover these jobs.
   * Turn it off only where something else watches the PBS: the jobs are then unmonitored.
   * @default true
   */
  readonly report?: boolean;
  /** When the report runs: each run pushes the last finished run of every job. @default Schedule.everyHours(1, 15) */
  readonly reportSchedule?: Schedule;
  /** The report also pushes the datastore's fill level; alert above this share used. @default 0.9 */
  readonly datastoreFullRatio?: number;
}

/** PBS's JOB_ID_SCHEMA: 3 to 32 characters. */
const PBS_JOB_ID_MAX = 32;
const JOB_ID = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{2,31}$/, 'expected a PBS job id of 3-32 letters, digits, . _ -');
const NS = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*){0,7}$/, 'expected a namespace such as pve/colo');
const DEPTH = z.number().int().min(0).max(7);
const DURATION = instanceOf(Duration, 'expected a Duration');
const SCHEDULE = instanceOf(Schedule, "expected a Schedule, e.g. Schedule.daily('04:00')");

const schema = z
  .object({
    host: z.instanceof(Host, { message: 'expected the Host of the Proxmox Backup Server' }),
    datastore: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{2,31}$/, 'expected a PBS datastore name of 3-32 letters, digits, . _ -'),
    storage: z.instanceof(PveStorage, { message: 'expected a PveStorage of type pbs' }).optional(),
    verify: z
      .object({ schedule: SCHEDULE, jobId: JOB_ID.optional(), ignoreVerified: z.boolean().optional(), outdatedAfter: DURATION.optional(), namespace: NS.optional(), maxDepth: DEPTH.optional(), expectedDuration: DURATION.optional() })
      .strict()
      .optional(),
    prune: z
      .object({ schedule: SCHEDULE, retention: instanceOf(Retention, 'expected a Retention, e.g. Retention.gfs(7, 4, 6)'), jobId: JOB_ID.optional(), namespace: NS.optional(), maxDepth: DEPTH.optional(), expectedDuration: DURATION.optional() })
      .strict()
      .optional(),
    gcSchedule: SCHEDULE.optional(),
    // eslint-disable-next-line no-control-regex
    comment: z.string().max(200).regex(NO_CONTROL_CHARACTERS, 'expected one line without control characters (proxmox-backup-manager refuses a carriage return or tab in a comment, so the install would fail)').optional(),
    classification: z.enum(CLASSIFICATIONS as [Classification, ...Classification[]]).optional(),
    report: z.boolean().optional(),
    reportSchedule: SCHEDULE.optional(),
    datastoreFullRatio: z.number().gt(0).lt(1).optional(),
  })
  .strict();

/** How each job's tasks are named in the PBS task list. */
const TASK_TYPE: Record<string, string> = { 'pbs-verify': 'verif', 'pbs-prune': 'prune', 'pbs-gc': 'garbage' };
const VERIFY_DELETABLE = ['comment', 'ignore-verified', 'max-depth', 'ns', 'outdated-after'];
const PRUNE_DELETABLE = ['comment', 'keep-last', 'keep-hourly', 'keep-daily', 'keep-weekly', 'keep-monthly', 'keep-yearly', 'max-depth', 'ns'];

/**
 * The maintenance jobs of one Proxmox Backup Server datastore: a verify job (with
 * `outdated-after`), a prune job and the garbage-collection schedule, applied on the PBS host
 * with `proxmox-backup-manager` over SSH (create or update, entry by entry, so jobs made in
 * the GUI survive) and registered in the site model as jobs. PBS runs the jobs itself and
 * reports to nobody, so a report job on the PBS host reads their last runs from the PBS API
 * and pushes them in the site's metric scheme (`report`).
 *
 * @see https://pbs.proxmox.com/docs/maintenance.html
 */
export class PbsDatastoreJobs extends Construct {
  readonly host: Host;
  readonly datastore: string;
  /** The apply script installed on the PBS host (as shown in the review). */
  readonly scriptPath: string;
  readonly script: string;
  readonly verifyJobId: string | undefined;
  readonly pruneJobId: string | undefined;
  readonly gcJobId: string | undefined;
  /** The verification age after which a snapshot is verified again, in days. */
  readonly outdatedAfterDays: number | undefined;
  /** The job on the PBS host that reports these jobs' outcomes (undefined with `report: false`). */
  readonly reportJob: ScheduledHostJob | undefined;
  private readonly reportId: string | undefined;
  /** How late a finished run can be reported: one period of the report job. */
  private readonly reportLag: Duration | undefined;
  private readonly model: SiteModel;

  constructor(scope: Construct, id: string, props: PbsDatastoreJobsProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, {
      datastore: 'the name shown under Datastore in the PBS GUI',
      verify: "{ schedule: Schedule.daily('04:00'), outdatedAfter: Duration.days(30) }",
      prune: "{ schedule: Schedule.daily('03:30'), retention: Retention.gfs(7, 4, 6) }",
    });
    this.model = siteModelOf(this);
    this.host = p.host;
    this.datastore = p.datastore;
    if (!p.verify && !p.prune && !p.gcSchedule) {
      throw new BackupConfigError(this.node.path, [{ field: 'verify', message: 'expected at least one of verify, prune or gcSchedule, got none', hint: 'a datastore without jobs needs no construct' }]);
    }
    if (p.storage && p.storage.type !== 'pbs') {
      throw new BackupConfigError(this.node.path, [{ field: 'storage', message: `expected a PveStorage of type pbs, got ${p.storage.storageId} of type ${p.storage.type}`, hint: 'name the pbs storage that writes to this datastore' }]);
    }
    const comment = p.comment ?? 'managed by backup-constructs';
    const tz = this.host.timeZone;
    const writesTo = p.storage ? [p.storage.targetId] : [];
    const classification = p.classification ?? 'critical';
    const apply: string[] = [...pbsDatastoreGuard(this.datastore, this.host.name)];
    const removals: Removal[] = [];
    const add = (c: PbsCommands) => {
      apply.push(...c.apply);
      if (c.removal) removals.push(c.removal);
    };
    const reported: PbsReportedJob[] = [];
    // The default job ids, the report and the fill alert are named after the datastore; a
    // datastore of the same name on another PBS host adds its host to them (the first keeps
    // the plain names). The same datastore twice on one host is one set of jobs.
    const sameName = membersOf<PbsDatastoreJobs>(this, 'pbs-datastore-jobs').filter((o) => o.datastore === this.datastore);
    const twin = sameName.find((o) => o.host === this.host);
    if (twin) {
      throw new BackupConfigError(this.node.path, [
        {
          field: 'datastore',
          message: `expected one PbsDatastoreJobs per datastore of a host, got a second for ${this.datastore} on ${this.host.name}: ${twin.node.path} manages its jobs already`,
          hint: `put verify, prune and gcSchedule of ${this.datastore} in ${twin.node.path}`,
        },
      ]);
    }
    const stem = sameName.length ? `${this.host.name}-${this.datastore}` : this.datastore;
    this.reportId = p.report === false ? undefined : `pbs-report-${stem}`;
    const reportSchedule = p.reportSchedule ?? Schedule.everyHours(1, 15);
    this.reportLag = this.reportId ? reportSchedule.period() : undefined;

    if (p.verify) {
      const v = p.verify;
      const jobId = defaultJobId(this.node.path, 'verify.jobId', v.jobId, `${stem}-verify`);
      const days = v.outdatedAfter ? withinField(this.node.path, 'verify.outdatedAfter', () => v.outdatedAfter!.toDays()) : 30;
      if (days < 1) throw new BackupConfigError(this.node.path, [{ field: 'verify.outdatedAfter', message: `expected at least one day, got ${days}`, hint: 'Duration.days(30)' }]);
      const schedule = withinField(this.node.path, 'verify.schedule', () => v.schedule.toProxmox(tz));
      add(
        pbsJobCommands(
          'verify-job',
          jobId,
          props_([
            ['store', this.datastore],
            ['schedule', schedule],
            ['ignore-verified', String(v.ignoreVerified ?? true)],
            ['outdated-after', String(days)],
            ['ns', v.namespace],
            ['max-depth', v.maxDepth === undefined ? undefined : String(v.maxDepth)],
            ['comment', comment],
          ]),
          VERIFY_DELETABLE,
        ),
      );
      this.verifyJobId = jobId;
      this.outdatedAfterDays = days;
      reported.push({ jobId, api: '/admin/verify', key: 'id', value: jobId });
      this.register(jobId, 'pbs-verify', v.schedule, schedule, v.expectedDuration ?? Duration.hours(2), writesTo, classification, `PBS verify of datastore ${this.datastore} (re-verify after ${days} days${v.ignoreVerified === false ? ', every snapshot every run' : ''})`);
    }
    if (p.prune) {
      const r = p.prune;
      const jobId = defaultJobId(this.node.path, 'prune.jobId', r.jobId, `${stem}-prune`);
      const schedule = withinField(this.node.path, 'prune.schedule', () => r.schedule.toProxmox(tz));
      const keep = Object.entries(r.retention.toJSON()).map(([k, n]) => [k, String(n)] as [string, string]);
      add(
        pbsJobCommands(
          'prune-job',
          jobId,
          props_([['store', this.datastore], ['schedule', schedule], ...keep, ['ns', r.namespace], ['max-depth', r.maxDepth === undefined ? undefined : String(r.maxDepth)], ['comment', comment]]),
          PRUNE_DELETABLE,
        ),
      );
      this.pruneJobId = jobId;
      reported.push({ jobId, api: '/admin/prune', key: 'id', value: jobId });
      this.register(jobId, 'pbs-prune', r.schedule, schedule, r.expectedDuration ?? Duration.minutes(30), writesTo, classification, `PBS prune of datastore ${this.datastore} (${r.retention.toHumanString()})`);
    }
    if (p.gcSchedule) {
      const schedule = withinField(this.node.path, 'gcSchedule', () => p.gcSchedule!.toProxmox(tz));
      add(pbsGcCommands(this.datastore, schedule));
      this.gcJobId = `${stem}-gc`;
      reported.push({ jobId: this.gcJobId, api: '/admin/gc', key: 'store', value: this.datastore });
      this.register(this.gcJobId, 'pbs-gc', p.gcSchedule, schedule, Duration.hours(1), writesTo, classification, `PBS garbage collection of datastore ${this.datastore}`);
    }

    if (this.reportId) {
      this.reportJob = this.reportOutcomes(this.reportId, reported, reportSchedule);
      this.alertWhenFull(this.reportId, stem, p.datastoreFullRatio ?? 0.9);
      // said at apply time too: without jq the report fails (and alerts) every run
      apply.push(`command -v jq >/dev/null || echo "WARNING: jq is not installed on ${this.host.name}: the job reporting ${this.datastore}'s verify, prune and gc outcomes fails until it is (apt-get install jq)" >&2`);
    }

    this.scriptPath = `${DEFAULTS.libexecDirectory}/pbs-datastore-${this.datastore}.sh`;
    this.script = `#!/bin/bash\n${generatedHeader('#', this.node.path, `verify, prune and garbage-collection settings of PBS datastore ${this.datastore}, create or update`)}set -euo pipefail\n\n${apply.join('\n')}\n`;
    // The script is installed so the review shows, and the host keeps, exactly what is applied;
    // "$R" is the install root (empty on a real host).
    // the series the report pushes for each PBS job go with the job
    const seriesRemovals = reported.map((j) => signalRemoval(this.model.settings.metrics, { job: j.jobId, site: this.model.site, host: this.host.name }));
    this.host.install(this, {
      files: [{ path: this.scriptPath, content: this.script, mode: '0755' }],
      postInstall: [`"$R"${this.scriptPath}`],
      removals: [...removals, ...seriesRemovals],
      dependsOn: p.storage?.installation ? [p.storage.installation] : undefined,
    });
    registerMember('pbs-datastore-jobs', this);
  }

  /** Installs the report job and registers the series it pushes for each job. */
  private reportOutcomes(reportId: string, jobs: readonly PbsReportedJob[], schedule: Schedule): ScheduledHostJob {
    const job = new ScheduledHostJob(this, 'Report', {
      host: this.host,
      jobId: reportId,
      schedule,
      description: `reports the last run of ${jobs.map((j) => j.jobId).join(', ')} from the PBS API`,
      body: renderPbsReportBody(this.datastore, jobs),
      extraMetrics: [PBS_DATASTORE_METRICS.size, PBS_DATASTORE_METRICS.free],
      kind: 'collector',
      expectedDuration: Duration.minutes(5),
      restore: [{ title: `nothing to restore: it only reads job status; run it by hand with systemctl start bc-${reportId}.service`, commands: [] }],
    });
    const sink = this.model.settings.metrics;
    for (const j of jobs) {
      const identity = { job: j.jobId, site: this.model.site, host: this.host.name };
      this.model.addSignal(signalRecord(sink, identity, [BackupMetric.lastRun, BackupMetric.lastStatus, BackupMetric.lastSuccess, BackupMetric.lastDuration]));
    }
    return job;
  }

  /** A full datastore fails every backup to it, and garbage collection needs room to run. */
  private alertWhenFull(reportId: string, stem: string, ratio: number): void {
    const pct = Math.round(ratio * 100);
    this.model.addAlertSpec(
      pushedFillAlert({
        name: `PbsDatastore${pascalCase(stem)}AlmostFull`,
        job: reportId,
        site: this.model.site,
        host: this.host.name,
        free: PBS_DATASTORE_METRICS.free,
        size: PBS_DATASTORE_METRICS.size,
        ratio,
        summary: `PBS datastore ${this.datastore} on ${this.host.name} is over ${pct}% full`,
        description: `Datastore ${this.datastore} on ${this.host.name} has less than ${100 - pct}% free: backups to it fail when it fills, and garbage collection needs room to run.`,
        runbook: [
          `1. See what the datastore holds and when GC last ran: \`proxmox-backup-manager garbage-collection status ${this.datastore}\`.`,
          "2. Check that pruning runs (the prune job's runbook): snapshots beyond the retention mean it fails.",
          `3. Chunks of pruned snapshots are freed only by garbage collection after its grace period (a day): \`proxmox-backup-manager garbage-collection start ${this.datastore}\`; grow the datastore if that is not enough.`,
        ].join('\n'),
        constructPath: this.node.path,
      }),
    );
  }

  private register(jobId: string, kind: string, schedule: Schedule, proxmox: string, expected: Duration, writesTo: string[], classification: Classification, description: string): void {
    const margin = expected.compareTo(DEFAULTS.staleMargin) > 0 ? expected : DEFAULTS.staleMargin;
    // a run is seen only when the report next runs: that lag must not make it stale
    const stale = this.reportLag ? schedule.period().plus(margin).plus(this.reportLag) : schedule.period().plus(margin);
    this.model.addJob({
      id: jobId,
      kind,
      host: this.host.name,
      constructPath: this.node.path,
      enabled: true,
      schedule: { ...schedule.toJSON(), proxmox },
      scheduleHuman: schedule.toHumanString(),
      expectedDurationSeconds: expected.toSeconds(),
      staleAfterHours: stale.toHours({ integral: false }),
      staleAfterExplicit: false,
      derivedStaleAfterHours: stale.toHours({ integral: false }),
      alertName: pascalCase(jobId),
      restore: [{ title: 'nothing to restore: the job maintains the datastore', commands: [] }],
      runLog: [
        `proxmox-backup-manager task list --all --limit 50 | grep -iE '${TASK_TYPE[kind]}'`,
        'proxmox-backup-manager task log <UPID>   # a UPID from the list above',
        ...(this.reportId ? [`journalctl -u bc-${this.reportId}.service -n 20   # what the report last read`] : []),
      ],
      after: [],
      writesTo,
      classification,
      description,
    });
    for (const f of daylightSavingFindings(jobId, this.node.path, schedule, this.host.timeZone)) this.model.addFinding(f);
  }
}

/**
 * The job id given, or the one made from the datastore's name, which PBS must take too: its
 * JOB_ID_SCHEMA (pbs-api-types) allows at most 32 characters, and a datastore name may have
 * 32 by itself, so `verify-job create` would refuse the made-up id at apply time.
 */
function defaultJobId(path: string, field: string, given: string | undefined, made: string): string {
  if (given !== undefined) return given;
  if (made.length <= PBS_JOB_ID_MAX) return made;
  throw new BackupConfigError(path, [
    { field, message: `expected a PBS job id of at most ${PBS_JOB_ID_MAX} characters, got ${made} (${made.length}, made from the datastore name)`, hint: `set ${field} to a shorter id, e.g. ${made.slice(0, PBS_JOB_ID_MAX - 7).replace(/[-.]+$/, '')}-${field.split('.')[0]}` },
  ]);
}

function props_(entries: readonly (readonly [string, string | undefined])[]): [string, string][] {
  return entries.filter((e): e is [string, string] => e[1] !== undefined);
}
