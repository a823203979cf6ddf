import { Construct } from 'constructs';
import { z } from 'zod';
import { DEFAULTS } from '../lib/defaults';
import { Duration } from '../lib/duration';
import { checkProps } from '../lib/errors';
import { ABSOLUTE_PATH } from '../lib/path-schema';
import { BackupMetric, signalRecord, signalRemoval } from '../lib/metrics';
import { Classification, CLASSIFICATIONS } from '../lib/model/vocabulary';
import { instanceOf } from '../lib/private/zod-helpers';
import { renderNfsChangeTrackerScript } from '../lib/render/nfs-change-tracker-script';
import { generatedHeader } from '../lib/render/shell';
import { renderUnit } from '../lib/render/systemd';
import { Host } from './host';
import { registerMember, siteModelOf } from './private/site-anchor';
import { pascalCase } from './vzdump-job';

/** Props of {@link NfsChangeTracker}. */
export interface NfsChangeTrackerProps {
  /** The host whose NFS roots are watched (where the files are written). */
  readonly host: Host;
  /** Folders watched recursively (the NFS roots). */
  readonly paths: readonly string[];
  /** The change log OffsiteSync Step 2 consumes. @default '/mnt/backup/.nfs-changes.log' */
  readonly changeLog?: string;
  /** The flock the tracker and the consumer take around the log. @default '/run/lock/backup-constructs/nfs-changes.lock' */
  readonly lockFile?: string;
  /** Names the service, script and metrics. @default 'nfs-change-tracker' */
  readonly jobId?: string;
  /** How often the running tracker reports that it is alive. @default Duration.minutes(5) */
  readonly heartbeat?: Duration;
  /** Stale alert when no heartbeat arrived for this long. @default Duration.hours(1) */
  readonly staleAfter?: Duration;
  /** @default - the job id in PascalCase */
  readonly alertName?: string;
  /** @default 10 */
  readonly nice?: number;
  /** @default 'idle' */
  readonly ioSchedulingClass?: 'idle' | 'best-effort' | 'realtime';
  /** @default 'important' */
  readonly classification?: Classification;
}

const schema = z
  .object({
    host: z.instanceof(Host, { message: 'expected a Host or PveHost' }),
    paths: z.array(ABSOLUTE_PATH).min(1, 'expected at least one folder to watch'),
    changeLog: ABSOLUTE_PATH.optional(),
    lockFile: ABSOLUTE_PATH.optional(),
    jobId: z.string().regex(/^[a-z][a-z0-9-]{0,62}[a-z0-9]$/, 'expected a lower-case id such as nfs-change-tracker').optional(),
    heartbeat: instanceOf(Duration, 'expected a Duration, e.g. Duration.minutes(5)').optional(),
    staleAfter: instanceOf(Duration, 'expected a Duration').optional(),
    alertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase name').optional(),
    nice: z.number().int().min(-20).max(19).optional(),
    ioSchedulingClass: z.enum(['idle', 'best-effort', 'realtime']).optional(),
    classification: z.enum(CLASSIFICATIONS as [Classification, ...Classification[]]).optional(),
  })
  .strict();

/**
 * The inotify watcher that feeds OffsiteSync Step 2 (seed 002's `nfs-change-tracker.service`):
 * a long-running systemd service (`Restart=always`) that appends every path written, moved or
 * created under the watched roots to the change log, under the lock the consumer takes. It
 * reports a heartbeat while it watches and its status when it stops, so a dead tracker is
 * alerted on (`<Name>Stale`, `<Name>Failing`) instead of silently starving Step 2.
 *
 * @see https://man7.org/linux/man-pages/man1/inotifywait.1.html
 */
export class NfsChangeTracker extends Construct {
  readonly host: Host;
  readonly jobId: string;
  readonly paths: readonly string[];
  readonly changeLog: string;
  readonly lockFile: string;
  readonly scriptPath: string;
  readonly serviceName: string;
  readonly staleAfter: Duration;
  /** The rendered script (as installed). */
  readonly script: string;

  constructor(scope: Construct, id: string, props: NfsChangeTrackerProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, { paths: "e.g. ['/srv/nfs', '/srv/nfs-ssd']" });
    const model = siteModelOf(this);
    this.host = p.host;
    this.jobId = p.jobId ?? 'nfs-change-tracker';
    // before the script and unit named after the job are installed, so a second tracker of
    // the id is named as such
    model.checkJobIdFree(this.jobId, this.node.path, model.jobIdClash(this.jobId, p.host.name));
    this.paths = [...p.paths].sort();
    this.changeLog = p.changeLog ?? '/mnt/backup/.nfs-changes.log';
    this.lockFile = p.lockFile ?? '/run/lock/backup-constructs/nfs-changes.lock';
    this.scriptPath = `${DEFAULTS.libexecDirectory}/${this.jobId}.sh`;
    this.serviceName = `bc-${this.jobId}.service`;
    const heartbeat = p.heartbeat ?? Duration.minutes(5);
    this.staleAfter = p.staleAfter ?? Duration.hours(1);
    const sink = model.settings.metrics;
    this.script = renderNfsChangeTrackerScript({
      jobId: this.jobId,
      site: model.site,
      host: this.host.name,
      sink,
      constructPath: this.node.path,
      watchPaths: this.paths,
      changeLog: this.changeLog,
      lockFile: this.lockFile,
      heartbeatSeconds: heartbeat.toSeconds(),
    });
    const header = generatedHeader('#', this.node.path);
    const logDir = this.changeLog.slice(0, this.changeLog.lastIndexOf('/')) || '/';
    const unit = renderUnit(header, [
      [
        'Unit',
        [
          ['Description', `Log changed paths under ${this.paths.join(' ')} for the off-site sync (backup-constructs ${this.jobId})`],
          // the log and the watched trees must be mounted, or it watches empty folders
          ['RequiresMountsFor', [...this.paths, logDir].join(' ')],
        ],
      ],
      [
        'Service',
        [
          ['Type', 'simple'],
          ['ExecStart', this.scriptPath],
          ['Restart', 'always'],
          ['RestartSec', '30'],
          ['Nice', String(p.nice ?? 10)],
          ['IOSchedulingClass', p.ioSchedulingClass ?? 'idle'],
        ],
      ],
      ['Install', [['WantedBy', 'multi-user.target']]],
    ]);
    this.host.install(this, {
      files: [
        { path: this.scriptPath, content: this.script, mode: '0755' },
        { path: `/etc/systemd/system/${this.serviceName}`, content: unit },
      ],
      enableUnits: [this.serviceName],
      // its heartbeat series go with it
      removals: [signalRemoval(sink, { job: this.jobId, site: model.site, host: this.host.name })],
    });
    model.addJob({
      id: this.jobId,
      kind: 'watcher',
      host: this.host.name,
      constructPath: this.node.path,
      enabled: true,
      scheduleHuman: `continuous (systemd service, heartbeat every ${heartbeat.toHumanString()})`,
      expectedDurationSeconds: 0,
      staleAfterHours: this.staleAfter.toHours({ integral: false }),
      staleAfterExplicit: p.staleAfter !== undefined,
      alertName: p.alertName ?? pascalCase(this.jobId),
      runLog: [`systemctl status ${this.serviceName}`, `journalctl -u ${this.serviceName} --since -2d`],
      restore: [
        {
          title: 'the tracker copies nothing; after it was down, restart it and ship every bypass path once (changes made meanwhile were not logged)',
          notes: [
            'Only once every bypass folder is present here (not in the middle of a restore): a full sync mirrors deletions, so a folder missing here is deleted off-site too.',
          ],
          commands: [`systemctl restart ${this.serviceName}`, `FULL_SYNC=always ${DEFAULTS.libexecDirectory}/<off-site sync job>.sh   # or wait for the first Sunday's full sync`],
        },
      ],
      after: [],
      writesTo: [],
      classification: p.classification ?? 'important',
      description: `inotify change log of ${this.paths.join(', ')} at ${this.changeLog}`,
    });
    const identity = { job: this.jobId, site: model.site, host: this.host.name };
    model.addSignal(signalRecord(sink, identity, [BackupMetric.lastRun, BackupMetric.lastStatus, BackupMetric.lastSuccess]));
    registerMember('nfs-change-tracker', this);
  }
}
