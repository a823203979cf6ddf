import { Construct } from 'constructs';
import { TerraformStack } from 'cdktf';
import { z } from 'zod';
import { DEFAULTS } from '../lib/defaults';
import { Duration } from '../lib/duration';
import { BackupConfigError, checkProps } from '../lib/errors';
import { selector } from '../lib/alerts/alert-rule';
import type { SiteModel } from '../lib/model/site-model';
import { instanceOf } from '../lib/private/zod-helpers';
import { PRUNE_PENDING_METRIC, renderVzdumpPruneBody, vzdumpPruneSettings } from '../lib/render/vzdump-prune';
import { Retention } from '../lib/retention';
import { Schedule } from '../lib/schedule';
import { PveStorage } from './pve-storage';
import { siteModelOf } from './private/site-anchor';
import { ScheduledHostJob } from './scheduled-host-job';
import { pascalCase, VzdumpJob } from './vzdump-job';
import { ABSOLUTE_FOLDER } from '../lib/path-schema';

/** Props of {@link VzdumpPrune}. */
export interface VzdumpPruneProps {
  /** The storage whose vzdump archives are pruned. */
  readonly storage: PveStorage;
  /**
   * Retention for guests whose job sets none of its own; jobs that list guests and set
   * another retention keep theirs for those guests.
   * @default - the storage's retention
   */
  readonly retention?: Retention;
  /** @default - `vzdump-prune-<storage id>` */
  readonly jobId?: string;
  /** When the scheduled dry run reports what is beyond retention. @default Schedule.weekly('sun', '06:00') */
  readonly schedule?: Schedule;
  /** @default - `/var/lib/backup-constructs/receipts/<job id>` */
  readonly receiptDirectory?: string;
  /** Receipts kept (the newest). @default 100 */
  readonly receiptsKept?: number;
  /** @default Duration.hours(1) */
  readonly expectedDuration?: Duration;
  /** @default - one schedule period plus the larger of the expected duration and 2 hours */
  readonly staleAfter?: Duration;
  /** @default - the job id in PascalCase */
  readonly alertName?: string;
}

const schema = z
  .object({
    storage: z.instanceof(PveStorage, { message: 'expected a PveStorage' }),
    retention: instanceOf(Retention, 'expected a Retention, e.g. Retention.keepLast(2)').optional(),
    jobId: z.string().regex(/^[a-z][a-z0-9-]{0,62}[a-z0-9]$/, 'expected a lower-case id such as vzdump-prune-tank-backups').optional(),
    schedule: instanceOf(Schedule, "expected a Schedule, e.g. Schedule.weekly('sun', '06:00')").optional(),
    receiptDirectory: ABSOLUTE_FOLDER.optional(),
    receiptsKept: z.number().int().min(1).optional(),
    expectedDuration: instanceOf(Duration, 'expected a Duration').optional(),
    staleAfter: instanceOf(Duration, 'expected a Duration').optional(),
    alertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase name').optional(),
  })
  .strict();

/**
 * A receipt-backed prune of a storage's vzdump archives by retention, for when Proxmox's own
 * pruning has fallen behind (a backlog from before retention was set). The script is a dry
 * run unless called with `--execute`; each run writes a receipt (kept, deleted and why) and
 * never touches a file that does not carry a vzdump archive name. Scheduled as a dry run, it
 * reports how many archives are beyond retention, and `<Alert>Behind` fires when any are.
 *
 * @see https://pve.proxmox.com/pve-docs/chapter-vzdump.html#vzdump_retention
 */
export class VzdumpPrune extends Construct {
  readonly storage: PveStorage;
  readonly retention: Retention;
  readonly jobId: string;
  readonly receiptDirectory: string;
  /** Per-VMID retention taken from jobs that set their own. */
  readonly guestRetention: Readonly<Record<string, { retention: Retention; source: string }>>;
  readonly job: ScheduledHostJob;
  private readonly model: SiteModel;

  constructor(scope: Construct, id: string, props: VzdumpPruneProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, { retention: 'Retention.keepLast(2)' });
    this.model = siteModelOf(this);
    this.storage = p.storage;
    const retention = p.retention ?? p.storage.retention;
    const problems: { field: string; message: string; hint?: string }[] = [];
    if (!retention) problems.push({ field: 'retention', message: `expected a retention, got none (storage ${p.storage.storageId} sets none either)`, hint: 'set retention, e.g. Retention.keepLast(2)' });
    if (!p.storage.dumpDirectory) {
      problems.push({ field: 'storage', message: `expected a storage with an archive folder, got ${p.storage.type} storage ${p.storage.storageId}`, hint: 'PBS prunes its own datastores; this prunes dir, nfs and cifs storages' });
    }
    if (problems.length) throw new BackupConfigError(this.node.path, problems);
    this.retention = retention as Retention;
    this.jobId = p.jobId ?? `vzdump-prune-${p.storage.storageId.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`;
    this.receiptDirectory = p.receiptDirectory ?? `/var/lib/backup-constructs/receipts/${this.jobId}`;
    this.guestRetention = this.jobRetention();
    const opts = {
      storageId: p.storage.storageId,
      dumpDirectory: p.storage.dumpDirectory as string,
      receiptDirectory: this.receiptDirectory,
      retention: this.retention,
      guestRetention: this.guestRetention,
      receiptsKept: p.receiptsKept ?? 100,
    };
    const overrides = Object.entries(this.guestRetention).map(([vmid, r]) => `guest ${vmid} ${r.retention.toHumanString()}`);
    this.job = new ScheduledHostJob(this, 'Job', {
      host: p.storage.host,
      jobId: this.jobId,
      schedule: p.schedule ?? Schedule.weekly('sun', '06:00'),
      description: `prune vzdump archives on ${p.storage.storageId} by ${this.retention.toHumanString()}${overrides.length ? ` (${overrides.join(', ')})` : ''}; dry run unless --execute, with a receipt`,
      body: renderVzdumpPruneBody(),
      settings: vzdumpPruneSettings(opts),
      locks: [`/run/lock/backup-constructs/${this.jobId}.lock`],
      expectedDuration: p.expectedDuration,
      staleAfter: p.staleAfter,
      alertName: p.alertName,
      kind: 'vzdump-prune',
      writesTo: [p.storage.targetId],
      extraMetrics: [PRUNE_PENDING_METRIC],
      restore: [
        { title: `see what a prune would delete, then delete it (on ${p.storage.host.name})`, commands: [this.scriptPath, `${this.scriptPath} --execute`, `ls -t ${this.receiptDirectory} | head -n 2`] },
      ],
    });
    this.addBehindAlert(p.alertName ?? pascalCase(this.jobId));
    this.model.addCheck(() => this.crossChecks());
  }

  private get scriptPath(): string {
    return `${DEFAULTS.libexecDirectory}/${this.jobId}.sh`;
  }

  /** Guests whose vzdump job to this storage sets another retention than the prune's. */
  private jobRetention(): Record<string, { retention: Retention; source: string }> {
    const out: Record<string, { retention: Retention; source: string }> = {};
    const problems: { field: string; message: string; hint?: string }[] = [];
    const want = this.retention.toPruneBackups();
    for (const job of this.vzdumpJobs()) {
      const r = job.retention;
      if (!r || r.toPruneBackups() === want) continue;
      // with all or pool, which VMIDs the job covers is only known to Proxmox
      const section = this.model.pveSections.find((s) => s.file === 'jobs.cfg' && s.host === job.host.name && s.id === job.jobId);
      if (section?.properties.some(([k]) => k === 'all' || k === 'pool')) {
        problems.push({
          field: 'retention',
          message: `job ${job.jobId} backs up all guests or a pool to ${this.storage.storageId} keeping ${r.toHumanString()}, but the prune would keep ${want}`,
          hint: `set the prune's retention to Retention.of(...) matching ${r.toHumanString()}`,
        });
        continue;
      }
      for (const g of job.guests) out[String(g.vmid)] = { retention: r, source: job.jobId };
    }
    if (problems.length) throw new BackupConfigError(this.node.path, problems);
    return out;
  }

  private vzdumpJobs(): VzdumpJob[] {
    return TerraformStack.of(this)
      .node.findAll()
      .filter((c): c is VzdumpJob => c instanceof VzdumpJob && c.storage === this.storage);
  }

  private addBehindAlert(stem: string): void {
    const site = this.model.site;
    const host = this.storage.host.name;
    const labels = { backup_job: this.jobId, site, host };
    this.model.addAlertSpec({
      name: `${stem}Behind`,
      expr: `max by (backup_job, site, host) (${PRUNE_PENDING_METRIC}${selector(labels)}) > 0`,
      for: '1h',
      severity: 'warning',
      summary: `vzdump archives beyond retention pile up on ${this.storage.storageId}`,
      description: `The weekly dry run of ${this.jobId} on ${host} found archives on ${this.storage.storageId} beyond ${this.retention.toHumanString()}: Proxmox's own pruning has fallen behind. Read the newest receipt in ${this.receiptDirectory}, then run ${this.scriptPath} --execute.`,
      watches: [PRUNE_PENDING_METRIC],
      labels: { backup_job: this.jobId },
      runbook: `Run \`${this.scriptPath}\` on ${host} (a dry run), read the receipt it names, then \`${this.scriptPath} --execute\`.`,
      test: {
        firing: [{ series: `${PRUNE_PENDING_METRIC}${selector(labels)}`, values: '3' }],
        silent: [{ series: `${PRUNE_PENDING_METRIC}${selector(labels)}`, values: '0' }],
        firingLabels: { site, host },
      },
      constructPath: this.node.path,
    });
  }

  /** A job declared after the prune could change what it must keep: refuse that at synth. */
  private crossChecks(): string[] {
    let current: Record<string, { retention: Retention }>;
    try {
      current = this.jobRetention();
    } catch (e) {
      return [(e as Error).message];
    }
    const now = JSON.stringify(Object.entries(current).map(([k, v]) => [k, v.retention.toPruneBackups()]));
    const rendered = JSON.stringify(Object.entries(this.guestRetention).map(([k, v]) => [k, v.retention.toPruneBackups()]));
    return now === rendered
      ? []
      : [`[${this.node.path}] storage: a vzdump job to ${this.storage.storageId} with its own retention was declared after this prune, which would prune its guests by ${this.retention.toHumanString()} (hint: declare the VzdumpPrune after the storage's VzdumpJobs)`];
  }
}
