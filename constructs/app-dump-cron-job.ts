import { Construct } from 'constructs';
import { TerraformResource } from 'cdktf';
import { z } from 'zod';
import { DEFAULTS } from '../lib/defaults';
import { DumpEngine, REPORT_IMAGE, ResolvedEngine } from '../lib/dump-engine';
import { Duration } from '../lib/duration';
import { BackupConfigError, checkProps, withinField } from '../lib/errors';
import { BackupVolume } from '../lib/k8s/backup-volume';
import { dumpCronJobManifest, PodPlacement } from '../lib/k8s/dump-cron-job';
import { RestorePod, restorePod } from '../lib/k8s/restore-pod';
import { CRONJOB_NAME, CronJobManifest, DNS_LABEL, QUANTITY, ResourceRequirements, standardLabels } from '../lib/k8s/manifest';
import { BackupMetric, jobSelector, pushgatewayPath, signalRecord } from '../lib/metrics';
import type { SiteModel } from '../lib/model/site-model';
import { Classification, CLASSIFICATIONS } from '../lib/model/vocabulary';
import { instanceOf } from '../lib/private/zod-helpers';
import { POD_PATHS, renderDumpScript, renderReportScript } from '../lib/render/dump-scripts/script';
import { Schedule } from '../lib/schedule';
import { daylightSavingFindings } from '../lib/schedule-findings';
import { NfsVolume } from './nfs-volume';
import { k8sObject } from './private/k8s-object';
import { siteModelOf } from './private/site-anchor';
import { Pushgateway } from './pushgateway';
import { pascalCase } from './vzdump-job';
import { K8S_LABEL_KEY, K8S_LABEL_VALUE, K8S_LABELS } from '../lib/k8s/labels';

/** CPU and memory of the dump container, as Kubernetes quantities. */
export interface ContainerResources {
  /** Each value given replaces only its own default. @default { cpu: '50m', memory: '128Mi' } */
  readonly requests?: {
    /** @default '50m' */
    readonly cpu?: string;
    /** @default '128Mi' */
    readonly memory?: string;
  };
  /** Each value given replaces only its own default. @default { memory: '1Gi' } */
  readonly limits?: {
    /** @default - none (no CPU limit) */
    readonly cpu?: string;
    /** @default '1Gi' */
    readonly memory?: string;
  };
}

/** Props of {@link AppDumpCronJob}. */
export interface AppDumpCronJobProps {
  /** The namespace the CronJob runs in (the application's, so its Secrets and claims are reachable). */
  readonly namespace: string;
  /** The CronJob's name, and the job id in metrics, alerts and artifact names (`postgresql-backup`). */
  readonly jobId: string;
  /** What is dumped and how: `DumpEngine.postgresql({...})`, `.sqlite({...})`, ... */
  readonly engine: DumpEngine;
  /** When it runs; in its own zone, else the site's (`BackupSite` `timeZone`), else the controller manager's. */
  readonly schedule: Schedule;
  /** Dumps older than this many days are deleted, only after a newer one passed its checks. */
  readonly retentionDays: number;
  /**
   * Dumps are deleted only while at least this many newer ones of the same series (folder)
   * stay, the new one counting, as restic's keep-last: a forward clock jump or weeks without
   * a good dump then cannot take the whole history at once.
   * @default - the runs the schedule makes in `retentionDays` (14 for a daily job kept 14 days), the fewest any such window holds
   */
  readonly keepAtLeast?: number;
  /** Where dumps go: an {@link NfsVolume} (PV/PVC pair) or `BackupVolume.existingClaim(...)`. */
  readonly backupVolume: NfsVolume | BackupVolume;
  /** Folder inside the backup volume. @default - the engine's: '' or 'per-db' for per-database dumps */
  readonly subdirectory?: string;
  /** The dump container's image. @default - the engine's (see DEFAULT_DUMP_IMAGES); etcd and command engines have none */
  readonly image?: string;
  /** @default - requests 50m CPU and 128Mi, limit 1Gi memory */
  readonly resources?: ContainerResources;
  /** @default 3 */
  readonly successfulJobsHistoryLimit?: number;
  /** @default 3 */
  readonly failedJobsHistoryLimit?: number;
  /** The run is killed (and reported by its Stale alert) after this long. @default - the schedule period, at most 6 hours */
  readonly timeout?: Duration;
  /** A run the controller missed by more than this is skipped. @default - the schedule period, at most 1 hour */
  readonly startingDeadline?: Duration;
  /** Where the outcome is pushed. @default - the site's MetricsSink (which must be a Pushgateway) */
  readonly pushgateway?: Pushgateway | string;
  /** The `host` label of the job's series and alerts. @default 'k8s' */
  readonly cluster?: string;
  /** @default - anywhere */
  readonly placement?: PodPlacement;
  /** Pod user, e.g. 0 to read files only root may read. @default - the image's */
  readonly runAsUser?: number;
  /** @default Duration.hours(1) */
  readonly expectedDuration?: Duration;
  /** @default - one schedule period plus the larger of the expected duration and 2 hours */
  readonly staleAfter?: Duration;
  /** Stem of the job's alerts (`PostgreSQLBackup` gives `PostgreSQLBackupStale`). @default - the job id in PascalCase */
  readonly alertName?: string;
  /** @default 'important' */
  readonly classification?: Classification;
}

const QTY = z.string().regex(QUANTITY, 'expected a Kubernetes quantity such as 100m or 256Mi');
const CPU_MEM = z.object({ cpu: QTY.optional(), memory: QTY.optional() }).strict();
const schema = z
  .object({
    namespace: z.string().regex(DNS_LABEL, 'expected a namespace name (lower-case DNS label)'),
    jobId: z.string().regex(CRONJOB_NAME, 'expected a lower-case name of letters, digits and dashes, at most 52 characters (the controller appends 11 to name each Job)'),
    engine: instanceOf(DumpEngine, 'expected a DumpEngine, e.g. DumpEngine.postgresql({ host: ... })'),
    schedule: instanceOf(Schedule, "expected a Schedule, e.g. Schedule.daily('00:00') or Schedule.cron('0 0 * * *')"),
    retentionDays: z.number().int('expected a whole number of days').min(1, 'expected at least 1 day'),
    keepAtLeast: z.number().int('expected a whole number of dumps').min(1, 'expected at least 1 dump').optional(),
    backupVolume: z.union([z.instanceof(NfsVolume), instanceOf(BackupVolume, '')], { message: "expected an NfsVolume or BackupVolume.existingClaim('name')" }),
    subdirectory: z
      .string()
      .regex(/^([A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*)?$/, 'expected a relative folder such as per-db')
      .refine((s) => !s.split('/').includes('..'), 'expected a folder inside the volume')
      .optional(),
    image: z.string().regex(/^[^\s]+$/, 'expected an image reference').optional(),
    resources: z.object({ requests: CPU_MEM.optional(), limits: CPU_MEM.optional() }).strict().optional(),
    successfulJobsHistoryLimit: z.number().int().min(0).max(100).optional(),
    failedJobsHistoryLimit: z.number().int().min(1, 'expected at least 1: a failed run must stay visible').max(100).optional(),
    timeout: instanceOf(Duration, 'expected a Duration').optional(),
    startingDeadline: instanceOf(Duration, 'expected a Duration').optional(),
    pushgateway: z.union([z.instanceof(Pushgateway), z.string().regex(/^https?:\/\/[^\s/]+(:\d+)?\/?$/, 'expected http(s)://host:port')], { message: 'expected a Pushgateway or its URL' }).optional(),
    cluster: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a lower-case cluster name').optional(),
    placement: z
      .object({
        nodeSelector: K8S_LABELS.optional(),
        tolerations: z
          .array(
            z
              .object({
                key: K8S_LABEL_KEY.optional(),
                operator: z.enum(['Exists', 'Equal']).optional(),
                value: K8S_LABEL_VALUE.optional(),
                effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
              })
              .strict()
              // the API server refuses both: an Exists toleration matches any value, and only Exists may omit the key
              .refine((t) => t.operator !== 'Exists' || t.value === undefined || t.value === '', { message: 'expected no value with operator Exists (it matches every value of the key)', path: ['value'] })
              .refine((t) => t.key !== undefined || t.operator === 'Exists', { message: "expected a key, or operator 'Exists' to tolerate every taint", path: ['key'] }),
          )
          .optional(),
        hostNetwork: z.boolean().optional(),
        colocateWith: K8S_LABELS.refine((l) => Object.keys(l).length > 0, 'expected at least one label').optional(),
      })
      .strict()
      .optional(),
    runAsUser: z.number().int().min(0).optional(),
    expectedDuration: instanceOf(Duration, 'expected a Duration').optional(),
    staleAfter: instanceOf(Duration, 'expected a Duration').optional(),
    alertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase name such as PostgreSQLBackup').optional(),
    classification: z.enum(CLASSIFICATIONS as [Classification, ...Classification[]]).optional(),
  })
  .strict();

/** Report container resources: it only reads a small file and runs curl. */
const REPORT_RESOURCES: ResourceRequirements = { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } };

/**
 * An application-level dump as a Kubernetes CronJob (`kubernetes_cron_job_v1`): the engine's
 * dump, its checks and its rotation in the engine's image, then the outcome pushed to the
 * Pushgateway in the site's metric scheme, so the derived Stale, Failing and NeverRan alerts
 * cover it. `concurrencyPolicy: Forbid`, history limits, a deadline, credentials only from
 * Secrets. An SQLite engine adds its hourly integrity check CronJob and the critical alert on
 * `backup_sqlite_integrity_ok == 0`.
 *
 * Guards against false success: an artifact is built in a work folder and becomes a backup
 * only when its dump command and every check passed (non-empty, size floor, table or key
 * floor where the engine can count, the engine's own completeness check); only then are the
 * job's own artifacts older than the retention deleted, never the one just written, and only
 * while `keepAtLeast` newer ones stay.
 *
 * Every object is also rendered to `review/k8s/<namespace>/cronjob-<job id>.yaml` from the
 * same description.
 *
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/
 */
export class AppDumpCronJob extends Construct {
  readonly jobId: string;
  readonly namespace: string;
  readonly schedule: Schedule;
  readonly retentionDays: number;
  /** The count floor of the rotation in effect (the prop, or the runs in the retention). */
  readonly keepAtLeast: number;
  readonly image: string;
  /** The folder the job writes to, as the pod sees it. */
  readonly outputDirectory: string;
  readonly staleAfter: Duration;
  readonly derivedStaleAfter: Duration;
  readonly alertName: string;
  readonly classification: Classification;
  /** The rendered dump script, byte for byte what the dump container runs. */
  readonly script: string;
  /** The rendered report script. */
  readonly reportScript: string;
  /** The description both the Terraform resource and the review manifest were built from. */
  readonly manifest: CronJobManifest;
  readonly resource: TerraformResource;
  /**
   * The interactive pod the runbook restores from (`kubectl run ... --overrides`): the dump
   * container's image and Secrets, the backup claim read-only, the application's data the
   * restore writes read-write, without the job's pod affinity.
   */
  readonly restorePod: RestorePod;
  /** The same without claims: a shell with the job's Secrets, for a client of the restarted server. */
  readonly clientPod: RestorePod;
  /** The hourly integrity check of an SQLite engine, if any. */
  readonly integrityCheck: { readonly jobId: string; readonly script: string; readonly manifest: CronJobManifest; readonly alertName: string; readonly failAlertName: string } | undefined;
  readonly engine: ResolvedEngine;
  private readonly model: SiteModel;

  constructor(scope: Construct, id: string, props: AppDumpCronJobProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, {
      schedule: "Schedule.daily('00:00'), Schedule.everyHours(6) or Schedule.cron('15 0 * * *')",
      retentionDays: 'a retention of zero would delete the dump a run just wrote; use at least 1',
      jobId: 'e.g. postgresql-backup',
    });
    this.model = siteModelOf(this);
    this.jobId = p.jobId;
    this.namespace = p.namespace;
    // Without a zone a CronJob runs in the controller manager's (UTC on kubeadm clusters), not
    // the site's: a schedule without its own zone takes the site's, as host jobs do.
    this.schedule = inSiteZone(p.schedule, this.model.settings.timeZone);
    this.retentionDays = p.retentionDays;
    this.keepAtLeast = p.keepAtLeast ?? this.schedule.runsWithin(Duration.days(p.retentionDays));
    const engine = p.engine.resolve(this.node.path, p.jobId);
    this.engine = engine;
    const problems: { field: string; message: string; hint?: string }[] = [];
    const image = p.image ?? engine.defaultImage;
    if (!image) {
      problems.push({
        field: 'image',
        message: `expected an image for the ${engine.kind} engine, got none`,
        hint:
          engine.kind === 'etcd'
            ? "the etcd project's images are distroless (no shell): use one with /bin/sh, etcdctl and etcdutl, e.g. built FROM alpine with both copied from registry.k8s.io/etcd"
            : 'give an image with /bin/sh and the tools the command runs',
      });
    }
    if (p.backupVolume instanceof NfsVolume && p.backupVolume.namespace !== p.namespace) {
      problems.push({
        field: 'backupVolume',
        message: `expected a claim in namespace ${p.namespace}, got ${p.backupVolume.namespace}/${p.backupVolume.claimName}`,
        hint: 'a pod can only mount claims of its own namespace; declare an NfsVolume in this namespace',
      });
    }
    const pushgateway = this.resolvePushgateway(p.pushgateway, problems);
    if (problems.length) throw new BackupConfigError(this.node.path, problems);
    this.image = image!;
    const { cron, weekdays: weekdayGuard } = this.schedule.toCronWithWeekdayGuard();
    // the guard reads the weekday in the schedule's zone; without one, the controller's is unknown
    if (weekdayGuard && !this.schedule.timeZone) {
      throw new BackupConfigError(this.node.path, [
        { field: 'schedule', message: `${this.schedule.toHumanString()} needs a time zone: the job checks the weekday itself`, hint: ".inTimeZone('UTC') (or the zone the days are meant in)" },
      ]);
    }
    const period = this.schedule.period();
    const timeout = p.timeout ?? minDuration(period, Duration.hours(6));
    const startingDeadline = p.startingDeadline ?? minDuration(period, Duration.hours(1));
    if (timeout.compareTo(Duration.minutes(1)) < 0) throw new BackupConfigError(this.node.path, [{ field: 'timeout', message: `expected at least 1 minute, got ${timeout.toHumanString()}` }]);
    const expected = p.expectedDuration ?? DEFAULTS.expectedDuration;
    this.derivedStaleAfter = period.plus(expected.compareTo(DEFAULTS.staleMargin) > 0 ? expected : DEFAULTS.staleMargin);
    this.staleAfter = p.staleAfter ?? this.derivedStaleAfter;
    this.alertName = p.alertName ?? pascalCase(p.jobId);
    this.classification = p.classification ?? 'important';
    const cluster = p.cluster ?? 'k8s';
    const subdirectory = p.subdirectory ?? engine.subdirectory;
    this.outputDirectory = subdirectory ? `${POD_PATHS.backup}/${subdirectory}` : POD_PATHS.backup;
    const claim = p.backupVolume.claimName;

    this.script = renderDumpScript({
      jobId: p.jobId,
      constructPath: this.node.path,
      description: engine.description,
      settings: { BC_OUT_DIR: this.outputDirectory, BC_RETENTION_DAYS: String(p.retentionDays), BC_KEEP_AT_LEAST: String(this.keepAtLeast), ...engine.settings },
      exports: engine.exports,
      secretEnv: engine.env.map((e) => `${e.name} (secret ${e.valueFrom!.secretKeyRef.name}/${e.valueFrom!.secretKeyRef.key})`),
      writes: true,
      body: engine.body,
      cleanup: engine.cleanup,
      ...(weekdayGuard ? { onlyOnWeekdays: weekdayGuard, weekdayZone: this.schedule.timeZone } : {}),
    });
    const identity = { job: p.jobId, site: this.model.site, host: cluster };
    this.reportScript = renderReportScript({ jobId: p.jobId, constructPath: this.node.path, pushgateway, path: pushgatewayPath(identity) });
    const resources: ResourceRequirements = {
      requests: { cpu: '50m', memory: '128Mi', ...(p.resources?.requests ?? {}) },
      limits: { memory: '1Gi', ...(p.resources?.limits ?? {}) },
    };
    const common = {
      namespace: p.namespace,
      timeZone: this.schedule.timeZone,
      successfulJobsHistoryLimit: p.successfulJobsHistoryLimit ?? 3,
      failedJobsHistoryLimit: p.failedJobsHistoryLimit ?? 3,
      dumpImage: this.image,
      reportImage: REPORT_IMAGE,
      env: engine.env,
      resources,
      reportResources: REPORT_RESOURCES,
      placement: p.placement ?? {},
      runAsUser: p.runAsUser,
    };
    this.manifest = dumpCronJobManifest({
      ...common,
      name: p.jobId,
      labels: standardLabels(p.jobId, 'backup'),
      schedule: cron,
      startingDeadlineSeconds: startingDeadline.toSeconds(),
      activeDeadlineSeconds: timeout.toSeconds(),
      dumpScript: this.script,
      reportScript: this.reportScript,
      backupClaim: claim,
      volumes: engine.volumes,
    });
    this.resource = k8sObject(this, 'CronJob', this.manifest);
    this.restorePod = restorePod(this.manifest, { name: `${p.jobId}-restore`, writes: engine.restoreWrites });
    this.clientPod = restorePod(this.manifest, { name: `${p.jobId}-client`, claims: false });

    const targetId = this.registerTarget(p.backupVolume);
    this.register(p, engine, cron, targetId, cluster, pushgateway, identity);

    this.integrityCheck = engine.integrity ? this.addIntegrityCheck(p, engine, cluster, pushgateway, common) : undefined;
  }

  private resolvePushgateway(given: Pushgateway | string | undefined, problems: { field: string; message: string; hint?: string }[]): string {
    if (given instanceof Pushgateway) return given.url;
    if (typeof given === 'string') return given.replace(/\/$/, '');
    const sink = this.model.settings.metrics;
    if (sink.kind === 'pushgateway') return sink.url;
    problems.push({
      field: 'pushgateway',
      message: 'expected a Pushgateway: the site reports to node-exporter textfiles, which a pod cannot write',
      hint: 'pass pushgateway: a Pushgateway construct or its URL, or use MetricsSink.pushgateway(url) for the site',
    });
    return '';
  }

  private registerTarget(volume: NfsVolume | BackupVolume): string {
    if (volume instanceof NfsVolume) return volume.targetId;
    const id = `k8s-pvc:${this.namespace}/${volume.claimName}`;
    if (!this.model.target(id)) {
      this.model.addTarget({ id, name: `${volume.description} (${this.namespace})`, medium: volume.medium, location: volume.location, constructPath: this.node.path });
    }
    return id;
  }

  private register(p: z.infer<typeof schema>, engine: ResolvedEngine, cron: string, targetId: string, cluster: string, pushgateway: string, identity: { job: string; site: string; host: string }): void {
    const assetId = `${engine.asset.kind}:${this.namespace}/${engine.asset.slug}`;
    if (!this.model.asset(assetId)) {
      this.model.addAsset({ id: assetId, kind: engine.asset.kind, name: engine.asset.name, classification: this.classification, constructPath: this.node.path });
    }
    this.model.addJob({
      id: this.jobId,
      kind: `app-dump:${engine.kind}`,
      host: cluster,
      constructPath: this.node.path,
      enabled: true,
      // without a zone (none on the schedule or the site) the CronJob runs in the controller manager's
      schedule: { ...this.schedule.toJSON(), cron },
      scheduleHuman: this.schedule.toHumanString(),
      expectedDurationSeconds: (p.expectedDuration ?? DEFAULTS.expectedDuration).toSeconds(),
      staleAfterHours: this.staleAfter.toHours({ integral: false }),
      staleAfterExplicit: p.staleAfter !== undefined,
      derivedStaleAfterHours: this.derivedStaleAfter.toHours({ integral: false }),
      alertName: this.alertName,
      runLog: cronJobRunLog(this.namespace, this.jobId),
      restore: engine.restore({
        jobId: this.jobId,
        namespace: this.namespace,
        outDir: this.outputDirectory,
        backupClaim: p.backupVolume.claimName,
        restorePod: this.restorePod,
        clientPod: this.clientPod,
        appSelector: p.placement?.colocateWith,
        nfs: p.backupVolume instanceof NfsVolume ? { server: p.backupVolume.server, path: p.backupVolume.path, host: p.backupVolume.host } : undefined,
      }),
      after: [],
      writesTo: [targetId],
      classification: this.classification,
      description: `${engine.description} (CronJob ${this.namespace}/${this.jobId}, keeps ${this.retentionDays} days)`,
    });
    const target = this.model.target(targetId);
    const base = target?.path ? `${target.path}${this.outputDirectory.slice(POD_PATHS.backup.length)}` : this.outputDirectory;
    this.model.addCopy(
      {
        id: `${this.jobId}:${assetId}`,
        asset: assetId,
        job: this.jobId,
        target: targetId,
        layer: 'app',
        retention: `${this.retentionDays} days`,
        artifact: { host: target?.host ?? cluster, basePath: base, glob: engine.artifactGlob },
      },
      this.node.path,
    );
    this.model.addSignal(signalRecord({ kind: 'pushgateway', url: pushgateway }, identity, [BackupMetric.lastRun, BackupMetric.lastStatus, BackupMetric.lastSuccess, BackupMetric.lastDuration, BackupMetric.lastSize, ...engine.metrics]));
    // without a zone the controller manager's own zone applies (UTC on kubeadm clusters)
    for (const f of daylightSavingFindings(this.jobId, this.node.path, this.schedule, undefined)) this.model.addFinding(f);
  }

  private addIntegrityCheck(
    p: z.infer<typeof schema>,
    engine: ResolvedEngine,
    cluster: string,
    pushgateway: string,
    common: Omit<Parameters<typeof dumpCronJobManifest>[0], 'name' | 'labels' | 'schedule' | 'startingDeadlineSeconds' | 'activeDeadlineSeconds' | 'dumpScript' | 'reportScript' | 'backupClaim' | 'volumes'>,
  ) {
    const check = engine.integrity!;
    const jobId = check.jobId ?? `${this.jobId}-integrity`;
    const schedule = inSiteZone(check.schedule, this.model.settings.timeZone);
    const cron = withinField(this.node.path, 'engine.integrityCheck.schedule', () => schedule.toCron());
    const period = schedule.period();
    const alertName = check.alertName ?? pascalCase(jobId);
    const failAlertName = check.failAlertName ?? `${this.alertName}IntegrityFail`;
    const script = renderDumpScript({
      jobId,
      constructPath: `${this.node.path}/IntegrityCheck`,
      description: `PRAGMA integrity_check of the live ${p.engine.kind} database, pushed as ${check.metric}`,
      settings: check.settings,
      writes: false,
      body: check.body,
    });
    const identity = { job: jobId, site: this.model.site, host: cluster };
    const reportScript = renderReportScript({ jobId, constructPath: `${this.node.path}/IntegrityCheck`, pushgateway, path: pushgatewayPath(identity) });
    const scope = new Construct(this, 'IntegrityCheck');
    const manifest = dumpCronJobManifest({
      ...common,
      name: jobId,
      labels: standardLabels(jobId, 'backup-check'),
      schedule: cron,
      timeZone: schedule.timeZone,
      startingDeadlineSeconds: minDuration(period, Duration.hours(1)).toSeconds(),
      activeDeadlineSeconds: minDuration(period, Duration.hours(6)).toSeconds(),
      dumpScript: script,
      reportScript,
      volumes: engine.volumes,
    });
    k8sObject(scope, 'CronJob', manifest);
    const derived = period.plus(DEFAULTS.staleMargin);
    this.model.addJob({
      id: jobId,
      kind: 'app-check:sqlite-integrity',
      host: cluster,
      constructPath: scope.node.path,
      enabled: true,
      schedule: { ...schedule.toJSON(), cron },
      scheduleHuman: schedule.toHumanString(),
      expectedDurationSeconds: 60,
      staleAfterHours: derived.toHours({ integral: false }),
      staleAfterExplicit: false,
      derivedStaleAfterHours: derived.toHours({ integral: false }),
      alertName,
      runLog: cronJobRunLog(this.namespace, jobId),
      after: [],
      writesTo: [],
      classification: this.classification,
      description: `integrity check of the live database ${engine.asset.name} (CronJob ${this.namespace}/${jobId})`,
    });
    const signal = signalRecord({ kind: 'pushgateway', url: pushgateway }, identity, [BackupMetric.lastRun, BackupMetric.lastStatus, BackupMetric.lastSuccess, BackupMetric.lastDuration, check.metric]);
    this.model.addSignal(signal);
    const selector = jobSelector(identity);
    const series = `${check.metric}${selector}`;
    this.model.addAlertSpec({
      name: failAlertName,
      expr: `min by (backup_job, site, host) (${check.metric}${selector}) == 0`,
      for: '0m',
      severity: 'critical',
      summary: `the live database of ${this.jobId} fails PRAGMA integrity_check`,
      description: `The hourly integrity check ${jobId} found damage in ${engine.asset.name}. Backups stop (${this.jobId} refuses to copy a damaged database), so the newest good backup is the one to restore.`,
      watches: [check.metric],
      labels: { backup_job: jobId },
      runbook: [
        `# ${failAlertName}`,
        '',
        `${engine.asset.name} fails \`PRAGMA integrity_check\` (CronJob \`${this.namespace}/${jobId}\`, defined in \`${scope.node.path}\`).`,
        '',
        `1. Stop writes: scale the application in namespace \`${this.namespace}\` to 0 replicas.`,
        `2. Confirm: \`sqlite3 -readonly ${POD_PATHS.data}/${check.settings.BC_SQLITE_DB ?? '<database>'} 'PRAGMA integrity_check;'\` in the restore shell of \`${this.jobId}\` (see its runbook), which mounts the data claim at ${POD_PATHS.data}.`,
        `3. Restore the newest backup of \`${this.jobId}\` (see its runbook); ${this.jobId} never copied the damaged database, so its newest backup predates the damage.`,
        '4. Check the restored database the same way, then scale the application back up.',
        '',
      ].join('\n'),
      test: {
        firing: [{ series, values: '0x6' }],
        silent: [{ series, values: '1x6' }],
        firingLabels: signal.labels,
      },
      constructPath: scope.node.path,
    });
    return { jobId, script, manifest, alertName, failAlertName };
  }
}

/** The schedule in the site's zone when it names none (a CronJob without `timeZone` runs in the controller's). */
function inSiteZone(schedule: Schedule, siteZone: string | undefined): Schedule {
  return schedule.timeZone || !siteZone ? schedule : schedule.inTimeZone(siteZone);
}

function minDuration(a: Duration, b: Duration): Duration {
  return a.compareTo(b) <= 0 ? a : b;
}

/**
 * Where a CronJob's runs show: its last schedule, the Jobs it made (kept per its history
 * limits), their logs. The dump or check runs in the container `dump`, the push in the
 * container `report` beside it: `kubectl logs` without `-c` shows only one of them.
 */
function cronJobRunLog(namespace: string, name: string): string[] {
  return [
    `kubectl -n ${namespace} get cronjob ${name}`,
    `kubectl -n ${namespace} get jobs --sort-by=.metadata.creationTimestamp | grep '^${name}-'`,
    `kubectl -n ${namespace} logs job/<job> -c dump     # <job>: one from the list above; the run's own lines`,
    `kubectl -n ${namespace} logs job/<job> -c report   # the push to the Pushgateway and the run's status`,
  ];
}
