import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { z } from 'zod';
import { DEFAULTS } from '../lib/defaults';
import { Duration } from '../lib/duration';
import { BackupConfigError, checkProps } from '../lib/errors';
import { BackupMetric, signalRecord, signalRemoval } from '../lib/metrics';
import type { SiteModel } from '../lib/model/site-model';
import type { RestoreStep } from '../lib/model/types';
import { Classification, CLASSIFICATIONS } from '../lib/model/vocabulary';
import { secretSettingNames } from '../lib/private/credentials';
import { instanceOf } from '../lib/private/zod-helpers';
import { renderJobScript } from '../lib/render/job-script';
import { generatedHeader } from '../lib/render/shell';
import { renderUnit } from '../lib/render/systemd';
import { Schedule } from '../lib/schedule';
import { daylightSavingFindings } from '../lib/schedule-findings';
import { Host } from './host';
import { manifestsNamedOutsideUsers } from './private/offsite-manifest-users';
import { siteModelOf } from './private/site-anchor';
import { pascalCase } from './vzdump-job';
import { ABSOLUTE_FILE_PATH } from '../lib/path-schema';
import { oneLineText, RESTORE_STEP } from '../lib/text-schema';
import { positiveDuration } from '../lib/private/duration-schema';

/**
 * A step of a host job that is reported as a job of its own (its own id, alerts and runbook),
 * e.g. the pfSense backup inside the daily file backup. The body marks it with
 * `bc_step_begin <jobId>` and `bc_step_end "$status"`; a step begun when the script exits
 * (a SIGTERM during it) is reported as failed.
 */
export interface HostJobStep {
  /** The step's job id: its `backup_job` label and grouping key, and the stem of its alerts. */
  readonly jobId: string;
  /** One line for reports and its runbook. */
  readonly description: string;
  /** @default - the job id in PascalCase */
  readonly alertName?: string;
  /** @default - one period of the job's schedule plus the larger of the expected duration and 2 hours */
  readonly staleAfter?: Duration;
  /** How long after the job starts the step has finished. @default - the job's expected duration */
  readonly expectedDuration?: Duration;
  /** @default - the job's classification */
  readonly classification?: Classification;
  /** @default 'host-job-step' */
  readonly kind?: string;
  /** Site model target ids the step writes to. @default - none */
  readonly writesTo?: readonly string[];
  /** Restore steps for the step's runbook. @default - none */
  readonly restore?: readonly RestoreStep[];
}

/** Props of {@link ScheduledHostJob}. */
export interface ScheduledHostJobProps {
  /** The host the script, service and timer are installed on. */
  readonly host: Host;
  /** Job id (`daily-backup`): names the script, the units, metrics and alerts. */
  readonly jobId: string;
  /** When the timer fires (systemd `OnCalendar=`). */
  readonly schedule: Schedule;
  /** One line for the unit's Description and reports. */
  readonly description: string;
  /** The job's work, bash lines run inside `main()` after the standard preamble. */
  readonly body: string;
  /** Settings the body reads (`NAME` -> value); each can be overridden from the environment. @default - none */
  readonly settings?: Readonly<Record<string, string>>;
  /** Files to hold an exclusive flock on for the whole run. @default - none */
  readonly locks?: readonly string[];
  /** A root-only file with secrets the body needs, loaded by systemd. @default - none */
  readonly environmentFile?: string;
  /** Jobs whose units must finish first when both are due (systemd After=). @default - none */
  readonly after?: readonly ScheduledHostJob[];
  /**
   * What must be installed before this job's timer is enabled, and removed only after it: a
   * tool or a configuration the body uses, installed by the same construct
   * (`host.install(...)` returns it).
   * @default - none
   */
  readonly installedAfter?: readonly ITerraformDependable[];
  /** @default 10 */
  readonly nice?: number;
  /** @default 'idle' */
  readonly ioSchedulingClass?: 'idle' | 'best-effort' | 'realtime';
  /** systemd stops the run (SIGTERM, reported as a failure) after this long. @default - no limit */
  readonly timeout?: Duration;
  /** @default Duration.hours(1) */
  readonly expectedDuration?: Duration;
  /** @default - one schedule period plus the larger of the expected duration and 2 hours */
  readonly staleAfter?: Duration;
  /** @default 'important' */
  readonly classification?: Classification;
  /** @default - the job id in PascalCase */
  readonly alertName?: string;
  /** Extra metric names the body reports with bc_metric. @default - none */
  readonly extraMetrics?: readonly string[];
  /** Restore steps for the job's runbook. @default - none */
  readonly restore?: readonly RestoreStep[];
  /** Model kind (`file-backup`, `offsite-sync`). @default 'host-job' */
  readonly kind?: string;
  /** Site model target ids the job writes to (register targets and copies separately). @default - none */
  readonly writesTo?: readonly string[];
  /**
   * Bash lines run on every exit path before the status is reported (SIGTERM included),
   * e.g. destroying a restore drill's temporary guest; a failing cleanup fails the run.
   * @default - none
   */
  readonly cleanup?: string;
  /** Site model asset ids this job proves restorable (a restore drill). @default - none */
  readonly verifies?: readonly string[];
  /** Steps of the body reported as jobs of their own. @default - none */
  readonly steps?: readonly HostJobStep[];
}

const JOB_ID = /^[a-z][a-z0-9-]{0,62}[a-z0-9]$/;
/** One line for a unit's Description, the script's header and calendar.ics: no control characters (a carriage return ends a line there). */
const ONE_LINE = oneLineText('expected a description, got only whitespace');
/** Variables the script sets itself, or that the service's environment always has (a setting of that name would be ignored). */
const RESERVED_SETTING = /^(BC_.*|PATH|IFS|HOME|PWD|OLDPWD|SHELL|USER|LOGNAME|LANG|INVOCATION_ID|JOURNAL_STREAM|SYSTEMD_EXEC_PID)$/;

const schema = z
  .object({
    host: z.instanceof(Host, { message: 'expected a Host or PveHost' }),
    jobId: z.string().regex(JOB_ID, 'expected a lower-case id of letters, digits and dashes, such as daily-backup'),
    schedule: instanceOf(Schedule, "expected a Schedule, e.g. Schedule.daily('05:00')"),
    description: ONE_LINE,
    body: z.string().min(1),
    settings: z
      .record(
        z
          .string()
          .regex(/^[A-Z][A-Z0-9_]*$/, 'expected an upper-case shell variable name')
          .refine((k) => !RESERVED_SETTING.test(k), 'expected a name of your own: BC_* are the script\'s own variables, and PATH, HOME, IFS and the like come from the service\'s environment, which wins'),
        z.string(),
      )
      .optional(),
    locks: z
      .array(ABSOLUTE_FILE_PATH)
      .refine((l) => new Set(l).size === l.length, 'expected each lock file once: a second flock on the same file waits for the first, so the run would hang for an hour and fail')
      .optional(),
    environmentFile: ABSOLUTE_FILE_PATH.optional(),
    after: z.array(z.custom<ScheduledHostJob>((v) => v instanceof ScheduledHostJob, { message: 'expected ScheduledHostJob constructs' })).optional(),
    installedAfter: z.array(z.custom<ITerraformDependable>((v) => typeof v === 'object' && v !== null && 'fqn' in v, { message: 'expected what host.install(...) returns' })).optional(),
    nice: z.number().int().min(-20).max(19).optional(),
    ioSchedulingClass: z.enum(['idle', 'best-effort', 'realtime']).optional(),
    timeout: instanceOf(Duration, 'expected a Duration')
      .refine((d) => !(d instanceof Duration) || d.toSeconds() > 0, 'expected a Duration of at least 1 second (TimeoutStartSec=0 turns the limit off)')
      .optional(),
    expectedDuration: positiveDuration('Duration.hours(1)', 'the stale threshold and the overlap checks count on it').optional(),
    staleAfter: instanceOf(Duration, 'expected a Duration').optional(),
    classification: z.enum(CLASSIFICATIONS as [Classification, ...Classification[]]).optional(),
    alertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase name').optional(),
    extraMetrics: z.array(z.string().regex(/^[a-z_:][a-z0-9_:]*$/, 'expected a Prometheus metric name')).optional(),
    restore: z.array(RESTORE_STEP).optional(),
    kind: z.string().regex(/^[a-z][a-z0-9-]*$/).optional(),
    writesTo: z.array(z.string().min(1)).optional(),
    cleanup: z.string().min(1).optional(),
    verifies: z.array(z.string().min(1)).optional(),
    steps: z
      .array(
        z
          .object({
            jobId: z.string().regex(JOB_ID, 'expected a lower-case id of letters, digits and dashes, such as pfsense-backup'),
            description: ONE_LINE,
            alertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase name').optional(),
            staleAfter: instanceOf(Duration, 'expected a Duration').optional(),
            expectedDuration: instanceOf(Duration, 'expected a Duration').optional(),
            classification: z.enum(CLASSIFICATIONS as [Classification, ...Classification[]]).optional(),
            kind: z.string().regex(/^[a-z][a-z0-9-]*$/).optional(),
            writesTo: z.array(z.string().min(1)).optional(),
            restore: z.array(RESTORE_STEP).optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

/**
 * A script run by a systemd timer on a host, reporting its last run, status and success in
 * the site's metric scheme on every exit path (a SIGTERM from systemd included). The
 * building block of every host-side job (file backups, mirrors, syncs, drills).
 *
 * @see https://www.freedesktop.org/software/systemd/man/latest/systemd.timer.html
 */
export class ScheduledHostJob extends Construct {
  readonly host: Host;
  readonly jobId: string;
  readonly schedule: Schedule;
  readonly scriptPath: string;
  readonly serviceName: string;
  readonly timerName: string;
  readonly staleAfter: Duration;
  readonly expectedDuration: Duration;
  /** The rendered script (as installed). */
  readonly script: string;
  private readonly model: SiteModel;

  constructor(scope: Construct, id: string, props: ScheduledHostJobProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, {
      schedule: "Schedule.daily('05:00')",
      settings: 'rename the setting, e.g. TARGET_DIR',
      locks: 'list each lock file once, e.g. /run/backup-constructs/manifest.lock',
      timeout: 'omit timeout for no limit',
    });
    if (p.timeout && p.expectedDuration && p.timeout.toSeconds() < p.expectedDuration.toSeconds()) {
      throw new BackupConfigError(this.node.path, [
        {
          field: 'timeout',
          message: `expected at least the expected duration (${p.expectedDuration.toHumanString()}), got ${p.timeout.toHumanString()}: systemd would kill every run that takes as long as expected`,
          hint: `raise timeout above ${p.expectedDuration.toHumanString()} with room to spare, or lower expectedDuration`,
        },
      ]);
    }
    // settings are written into the script on the host, cdk.tf.json and the review tree
    const secretSettings = secretSettingNames(p.settings ?? {});
    if (secretSettings.length) {
      throw new BackupConfigError(
        this.node.path,
        secretSettings.map((name) => ({
          field: `settings.${name}`,
          message: `expected no credential in settings, got a value for ${name} (value not shown): it would be written into the script on the host, cdk.tf.json and the review tree`,
          hint: `keep it in a root-only file on the host: environmentFile: '/root/.${p.jobId}.env' holding ${name}=..., or a setting ${name}_FILE naming a file the body reads`,
        })),
      );
    }
    this.model = siteModelOf(this);
    // before the files named after the job are installed, so a second job of the id is named as such
    this.model.checkJobIdFree(p.jobId, this.node.path, this.model.jobIdClash(p.jobId, p.host.name));
    this.host = p.host;
    this.jobId = p.jobId;
    this.schedule = p.schedule;
    this.scriptPath = `${DEFAULTS.libexecDirectory}/${p.jobId}.sh`;
    this.serviceName = `bc-${p.jobId}.service`;
    this.timerName = `bc-${p.jobId}.timer`;
    this.expectedDuration = p.expectedDuration ?? DEFAULTS.expectedDuration;
    const margin = this.expectedDuration.compareTo(DEFAULTS.staleMargin) > 0 ? this.expectedDuration : DEFAULTS.staleMargin;
    const derived = this.schedule.period().plus(margin);
    this.staleAfter = p.staleAfter ?? derived;
    const sink = this.model.settings.metrics;
    this.script = renderJobScript({
      jobId: p.jobId,
      site: this.model.site,
      host: this.host.name,
      sink,
      constructPath: this.node.path,
      description: p.description,
      settings: p.settings ?? {},
      locks: p.locks ?? [],
      body: p.environmentFile ? `${environmentFileCheck(p.environmentFile)}${p.body}` : p.body,
      cleanup: p.cleanup,
      steps: Boolean(p.steps?.length),
    });
    const header = generatedHeader('#', this.node.path);
    const after = (p.after ?? []).map((j) => j.serviceName);
    const service = renderUnit(header, [
      ['Unit', [['Description', `${p.description} (backup-constructs ${p.jobId})`], ...(after.length ? ([['After', after.join(' ')]] as [string, string][]) : [])]],
      [
        'Service',
        [
          ['Type', 'oneshot'],
          ['ExecStart', this.scriptPath],
          ['Nice', String(p.nice ?? 10)],
          ['IOSchedulingClass', p.ioSchedulingClass ?? 'idle'],
          // '-': a missing file must not stop systemd from starting the script, whose check then
          // fails the run and reports it (systemd alone would fail the unit before any metric)
          ...(p.environmentFile ? ([['EnvironmentFile', `-${p.environmentFile}`]] as [string, string][]) : []),
          ...(p.timeout ? ([['TimeoutStartSec', `${p.timeout.toSeconds()}s`]] as [string, string][]) : []),
        ],
      ],
    ]);
    const timer = renderUnit(header, [
      ['Unit', [['Description', `Run ${p.jobId} ${this.schedule.toHumanString()}`]]],
      ['Timer', [['OnCalendar', this.schedule.toSystemd()], ['Persistent', 'true'], ['Unit', this.serviceName]]],
      ['Install', [['WantedBy', 'timers.target']]],
    ]);
    this.host.install(this, {
      files: [
        { path: this.scriptPath, content: this.script, mode: '0755' },
        { path: `/etc/systemd/system/${this.serviceName}`, content: service },
        { path: `/etc/systemd/system/${this.timerName}`, content: timer },
      ],
      enableUnits: [this.timerName],
      // the job's series and its steps' go with it
      removals: [p.jobId, ...(p.steps ?? []).map((s) => s.jobId)].map((job) => signalRemoval(sink, { job, site: this.model.site, host: this.host.name })),
      dependsOn: p.installedAfter,
    });
    this.model.addJob({
      id: p.jobId,
      kind: p.kind ?? 'host-job',
      host: this.host.name,
      constructPath: this.node.path,
      enabled: true,
      schedule: this.schedule.toJSON(),
      scheduleHuman: this.schedule.toHumanString(),
      expectedDurationSeconds: this.expectedDuration.toSeconds(),
      staleAfterHours: this.staleAfter.toHours({ integral: false }),
      staleAfterExplicit: p.staleAfter !== undefined,
      derivedStaleAfterHours: derived.toHours({ integral: false }),
      alertName: p.alertName ?? pascalCase(p.jobId),
      restore: p.restore,
      runLog: [`systemctl list-timers ${this.timerName}`, `journalctl -u ${this.serviceName} --since -2d`],
      after: (p.after ?? []).map((j) => j.jobId),
      writesTo: [...(p.writesTo ?? [])],
      classification: p.classification ?? 'important',
      description: p.description,
      ...(p.verifies?.length ? { verifies: [...p.verifies] } : {}),
    });
    const identity = { job: p.jobId, site: this.model.site, host: this.host.name };
    this.model.addSignal(signalRecord(sink, identity, [BackupMetric.lastRun, BackupMetric.lastStatus, BackupMetric.lastSuccess, BackupMetric.lastDuration, ...(p.extraMetrics ?? [])]));
    for (const f of daylightSavingFindings(p.jobId, this.node.path, this.schedule, this.host.timeZone)) this.model.addFinding(f);
    for (const step of p.steps ?? []) this.registerStep(step, p.classification ?? 'important');
    const texts = [p.body, ...Object.values(p.settings ?? {})];
    this.model.addCheck(() =>
      manifestsNamedOutsideUsers(this, this.host.name, texts).map(
        ({ file, user }) =>
          `[${this.node.path}] body: expected a job that leaves the off-site manifest ${file} alone (${user.node.path} uses it), got one that names it: only the manifest's writers append to it, under its lock, and only its off-site sync removes what it shipped; another script that truncates or rewrites it loses changes that never reach the off-site copy (seed 002, incident S1) (hint: write the job's output below the manifest's root instead: the off-site sync's full sync ships it, or a FileBackup lists what it copies)`,
      ),
    );
  }

  /** A step of this job's body as a job of its own: same schedule and host, its own series. */
  private registerStep(step: HostJobStep, classification: Classification): void {
    const expected = step.expectedDuration ?? this.expectedDuration;
    const margin = expected.compareTo(DEFAULTS.staleMargin) > 0 ? expected : DEFAULTS.staleMargin;
    const derived = this.schedule.period().plus(margin);
    const stale = step.staleAfter ?? derived;
    this.model.addJob({
      id: step.jobId,
      kind: step.kind ?? 'host-job-step',
      host: this.host.name,
      constructPath: this.node.path,
      enabled: true,
      schedule: this.schedule.toJSON(),
      scheduleHuman: `${this.schedule.toHumanString()}, as a step of ${this.jobId}`,
      expectedDurationSeconds: expected.toSeconds(),
      staleAfterHours: stale.toHours({ integral: false }),
      staleAfterExplicit: step.staleAfter !== undefined,
      derivedStaleAfterHours: derived.toHours({ integral: false }),
      alertName: step.alertName ?? pascalCase(step.jobId),
      restore: step.restore,
      runLog: [`systemctl list-timers ${this.timerName}`, `journalctl -u ${this.serviceName} --since -2d   # the step's lines are among ${this.jobId}'s`],
      after: [],
      writesTo: [...(step.writesTo ?? [])],
      classification: step.classification ?? classification,
      description: step.description,
      partOf: this.jobId,
    });
    const identity = { job: step.jobId, site: this.model.site, host: this.host.name };
    this.model.addSignal(signalRecord(this.model.settings.metrics, identity, [BackupMetric.lastRun, BackupMetric.lastStatus, BackupMetric.lastSuccess, BackupMetric.lastDuration]));
  }
}

/** The body's first lines when systemd loads an environment file: a missing one fails the run, reported like any failure. */
function environmentFileCheck(file: string): string {
  return `if [ ! -r ${file} ]; then
  echo "the environment file ${file} is missing or unreadable: the settings it holds are not set" >&2
  exit 1
fi
`;
}
