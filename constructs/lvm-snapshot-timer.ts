import { Construct } from 'constructs';
import { z } from 'zod';
import { Duration } from '../lib/duration';
import { jobSelector } from '../lib/metrics';
import { BackupConfigError, checkProps } from '../lib/errors';
import { HostJobOptions, hostJobOptionsShape, jobTuning } from '../lib/host-job-options';
import { ABSOLUTE_PATH, OWN_FILE_PATH } from '../lib/path-schema';
import { Classification } from '../lib/model/vocabulary';
import { renderLvmRestoreTool, renderLvmSnapshotBody, SNAPSHOT_INFIX } from '../lib/render/lvm-snapshot-script';
import { Schedule } from '../lib/schedule';
import { Host } from './host';
import { membersOf, registerMember, siteModelOf } from './private/site-anchor';
import { ScheduledHostJob } from './scheduled-host-job';
import { pascalCase } from './vzdump-job';
import { lvmThinTargetId } from '../lib/model/target-ids';
import { positiveDuration } from '../lib/private/duration-schema';

/** Props of {@link LvmSnapshotTimer}. */
export interface LvmSnapshotTimerProps extends HostJobOptions {
  /** The Proxmox host that holds the thin pool. */
  readonly host: Host;
  /** @default 'pve' */
  readonly volumeGroup?: string;
  /** Thin pool the PVC volumes live in. @default 'data' */
  readonly thinPool?: string;
  /** Glob of the LVs to snapshot (Proxmox CSI names them `vm-<id>-pvc-<uuid>`). @default 'vm-*-pvc-*' */
  readonly lvPattern?: string;
  /**
   * Namespaces whose PVCs get no snapshot (high-churn databases with their own dumps: seed 002
   * measured ~36 % write amplification with them). Needs kubectl on the host.
   * @default - none
   */
  readonly excludeNamespaces?: readonly string[];
  /** Snapshots older than this are removed. @default Duration.days(7) */
  readonly keep?: Duration;
  /**
   * A volume that still exists keeps at least its newest this many snapshots whatever their
   * age, as restic's keep-last: when snapshots stop being made, age alone would remove the
   * last ones within `keep`. Lifted below `minFreeRatio` free, where a full pool would freeze
   * every volume in it.
   * @default - the runs the schedule makes in `keep` (7 for a daily timer kept 7 days), the fewest any such window holds
   */
  readonly keepAtLeast?: number;
  /**
   * LVMThinPoolLow fires below this free fraction of data or metadata. The first timer of a
   * thin pool owns the pool's alerts; another timer of the same pool must leave this and the
   * alert names unset.
   * @default 0.15
   */
  readonly thinPoolLowRatio?: number;
  /** Below this free fraction no new snapshots are made (the run fails and only prunes). @default 0.05 */
  readonly minFreeRatio?: number;
  /** Name of the alert on the pool's data space (unique in the site: set it for a second pool). @default 'LVMThinPoolLow' */
  readonly thinPoolAlertName?: string;
  /** Name of the alert on the pool's metadata space (unique in the site: set it for a second pool). @default 'LVMThinPoolMetadataLow' */
  readonly thinPoolMetadataAlertName?: string;
  /** kubeconfig on the host, for namespace lookups and restores. @default '/root/.kube/config' */
  readonly kubeconfig?: string;
  /** Where the operator's tool (`list`, `run`, `restore`) is installed. @default '/usr/local/sbin/<jobId>' */
  readonly toolPath?: string;
}

const NAME = /^[A-Za-z0-9+_.-]+$/;

const schema = z
  .object({
    host: z.instanceof(Host, { message: 'expected a Host or PveHost' }),
    volumeGroup: z.string().regex(NAME, 'expected an LVM volume group name').optional(),
    thinPool: z.string().regex(NAME, 'expected an LVM thin pool name').optional(),
    lvPattern: z.string().regex(/^[A-Za-z0-9+_.*-]+$/, 'expected an LV name glob such as vm-*-pvc-*').optional(),
    excludeNamespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'expected Kubernetes namespace names')).optional(),
    keep: positiveDuration('Duration.days(7)', 'every snapshot but the newest few would be deleted on every run').optional(),
    keepAtLeast: z.number().int('expected a whole number of snapshots').min(1, 'expected at least 1 snapshot').optional(),
    thinPoolLowRatio: z.number().gt(0).lt(1).optional(),
    // 0 would make snapshots until the pool is full, when it freezes every volume on it
    minFreeRatio: z.number().gt(0, 'expected a ratio above 0: at 0 snapshots are made until the pool is full and freezes every volume').lt(1).optional(),
    thinPoolAlertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase alert name').optional(),
    thinPoolMetadataAlertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase alert name').optional(),
    kubeconfig: ABSOLUTE_PATH.optional(),
    toolPath: OWN_FILE_PATH.optional(),
    ...hostJobOptionsShape,
  })
  .strict();

/**
 * Daily LVM thin snapshots of PVC volumes (seed 002 Layer 1): every LV matching a pattern in
 * a thin pool, except those of excluded namespaces, gets a crash-consistent snapshot named
 * `<lv>_snap_<YYYYmmddHHMM>`; snapshots past the retention are removed (only ones named so).
 * The run reports the pool's free data and metadata fraction (alert `LVMThinPoolLow`) and
 * installs an operator's tool whose `restore PVC-LV SNAPSHOT-LV` scales the PVC's workloads
 * down, swaps the volume for a copy of the snapshot (keeping the old one) and scales them up.
 *
 * @see https://man7.org/linux/man-pages/man7/lvmthin.7.html
 */
export class LvmSnapshotTimer extends Construct {
  readonly host: Host;
  readonly job: ScheduledHostJob;
  readonly jobId: string;
  readonly volumeGroup: string;
  readonly thinPool: string;
  readonly lvPattern: string;
  readonly excludeNamespaces: readonly string[];
  readonly keep: Duration;
  /** The newest snapshots of a live volume that stay whatever their age. */
  readonly keepAtLeast: number;
  readonly kubeconfig: string;
  readonly toolPath: string;
  /** The LVs it takes, for ids and names: `<lvPattern>`, or `<volumeGroup>/<lvPattern>` outside Proxmox's group `pve`. */
  readonly volumes: string;
  /** The `pvc-set` asset of the matching volumes (shared with the file backup). */
  readonly assetId: string;
  readonly assetName: string;
  readonly classification: Classification;
  /** The thin pool, as a `source-disk` target. */
  readonly targetId: string;
  readonly copyId: string;

  constructor(scope: Construct, id: string, props: LvmSnapshotTimerProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, { keep: 'Duration.days(7)', excludeNamespaces: "e.g. ['dbaas', 'monitoring']" });
    const model = siteModelOf(this);
    this.host = p.host;
    this.jobId = p.jobId ?? 'lvm-pvc-snapshot';
    this.volumeGroup = p.volumeGroup ?? 'pve';
    this.thinPool = p.thinPool ?? 'data';
    this.lvPattern = p.lvPattern ?? 'vm-*-pvc-*';
    // Each prunes the snapshots of every LV its pattern matches by its own keep: two timers
    // whose patterns may match one LV would delete each other's snapshots.
    const rival = membersOf<LvmSnapshotTimer>(this, 'lvm-snapshot-timer').find(
      (o) => o.host === p.host && o.volumeGroup === this.volumeGroup && mayOverlap(o.lvPattern, this.lvPattern),
    );
    if (rival) {
      throw new BackupConfigError(this.node.path, [
        {
          field: 'lvPattern',
          message: `expected LVs no other snapshot timer in ${this.volumeGroup} on ${p.host.name} takes, got ${this.lvPattern}, which may match the LVs of ${rival.lvPattern} (${rival.node.path}): each would prune the other's snapshots by its own keep`,
          hint: 'one timer per set of volumes: patterns that start differently (db-*, vm-*) or one timer for both',
        },
      ]);
    }
    this.excludeNamespaces = [...(p.excludeNamespaces ?? [])].sort();
    this.keep = p.keep ?? Duration.days(7);
    const schedule = p.schedule ?? Schedule.daily('03:00');
    this.keepAtLeast = p.keepAtLeast ?? schedule.runsWithin(this.keep);
    this.kubeconfig = p.kubeconfig ?? '/root/.kube/config';
    this.toolPath = p.toolPath ?? `/usr/local/sbin/${this.jobId}`;
    this.classification = p.classification ?? 'important';
    const lowRatio = p.thinPoolLowRatio ?? 0.15;
    const host = this.host.name;
    // The same pattern may take LVs of two volume groups, so another group is part of the
    // name; Proxmox's own group is left out, which keeps the names inventories already use.
    this.volumes = this.volumeGroup === 'pve' ? this.lvPattern : `${this.volumeGroup}/${this.lvPattern}`;
    this.assetId = `pvc-set:${host}:${this.volumes}`;
    this.assetName = `PVC volumes ${this.volumes} on ${host}`;
    this.targetId = lvmThinTargetId(host, `${this.volumeGroup}/${this.thinPool}`);
    this.copyId = `${this.jobId}:${this.assetId}`;

    // Two timers may snapshot different LVs of one pool: the pool is one target, and the
    // first timer of the pool watches its space (one page per full pool, not one per timer).
    const poolOwner = membersOf<LvmSnapshotTimer>(this, 'lvm-snapshot-timer').find((o) => o.targetId === this.targetId);
    if (poolOwner) {
      const poolAlertFields = (['thinPoolLowRatio', 'thinPoolAlertName', 'thinPoolMetadataAlertName'] as const).filter((f) => p[f] !== undefined);
      if (poolAlertFields.length) {
        throw new BackupConfigError(
          this.node.path,
          poolAlertFields.map((field) => ({
            field,
            message: `expected it unset: the alerts on thin pool ${this.volumeGroup}/${this.thinPool} on ${host} come from ${poolOwner.node.path}, which snapshots the same pool`,
            hint: `set ${field} on ${poolOwner.node.path} instead`,
          })),
        );
      }
    }
    const alertNames = { thinPoolAlertName: p.thinPoolAlertName ?? 'LVMThinPoolLow', thinPoolMetadataAlertName: p.thinPoolMetadataAlertName ?? 'LVMThinPoolMetadataLow' };
    for (const field of poolOwner ? [] : (['thinPoolAlertName', 'thinPoolMetadataAlertName'] as const)) {
      const holder = model.alertSpecs.find((a) => a.name === alertNames[field]);
      if (holder) {
        // the default names suit one pool per site; a second pool needs its own
        throw new BackupConfigError(this.node.path, [
          {
            field,
            message: `expected an alert name no other construct in site ${model.site} uses, got ${alertNames[field]}${p[field] === undefined ? ' (the default)' : ''}, which ${holder.constructPath} already defines`,
            hint: `name this pool's alert, e.g. ${field}: '${alertNames[field]}${pascalCase(`${host}-${this.volumeGroup}-${this.thinPool}`)}'`,
          },
        ]);
      }
    }

    model.addAsset({
      id: this.assetId,
      kind: 'pvc-set',
      name: this.assetName,
      host,
      classification: this.classification,
      selector: { include: [this.lvPattern], exclude: this.excludeNamespaces.map((n) => `namespace=${n}`) },
      notes: this.excludeNamespaces.length ? `namespaces ${this.excludeNamespaces.join(', ')} excluded from snapshots` : undefined,
      constructPath: this.node.path,
    });
    if (!poolOwner) {
      model.addTarget({ id: this.targetId, name: `LVM thin pool ${this.volumeGroup}/${this.thinPool} on ${host}`, medium: 'source-disk', location: 'on-site', host, constructPath: this.node.path });
    }

    const settings: Record<string, string> = {
      VG: this.volumeGroup,
      THIN_POOL: this.thinPool,
      LV_GLOB: this.lvPattern,
      KEEP_SECONDS: String(this.keep.toSeconds()),
      KEEP_AT_LEAST: String(this.keepAtLeast),
      MIN_FREE_RATIO: String(p.minFreeRatio ?? 0.05),
    };
    if (this.excludeNamespaces.length) {
      settings.EXCLUDE_NAMESPACES = this.excludeNamespaces.join(' ');
      settings.KUBECONFIG_FILE = this.kubeconfig;
    }
    const snapGlob = `${this.volumeGroup}/<lv>${SNAPSHOT_INFIX}<YYYYmmddHHMM>`;
    this.job = new ScheduledHostJob(this, 'Job', {
      host: this.host,
      jobId: this.jobId,
      schedule,
      description: `LVM thin snapshots of ${this.lvPattern} in ${this.volumeGroup}/${this.thinPool}`,
      body: renderLvmSnapshotBody({ excludeNamespaces: this.excludeNamespaces }),
      settings,
      classification: this.classification,
      // one run at a time, also when someone starts the script by hand during a timer run
      locks: [`/run/lock/backup-constructs/${this.jobId}.lock`],
      kind: 'lvm-snapshot',
      writesTo: [this.targetId],
      extraMetrics: ['backup_lvm_thinpool_free_ratio', 'backup_lvm_thinpool_metadata_free_ratio', 'backup_lvm_snapshots_created', 'backup_lvm_snapshots_failed', 'backup_lvm_snapshots_pruned'],
      restore: [
        { title: `list the snapshots of one PVC volume (names ${snapGlob})`, commands: [`${this.toolPath} list <pvc-lv>`] },
        {
          asset: this.assetId,
          title: 'roll a PVC back: scales its workloads to 0, keeps the current LV as <lv>_pre_restore_<time>, puts a copy of the snapshot in its place, scales back up',
          commands: [`${this.toolPath} restore <pvc-lv> <pvc-lv>${SNAPSHOT_INFIX}<YYYYmmddHHMM>`],
        },
      ],
      ...jobTuning(p),
    });
    this.host.install(this, {
      files: [
        {
          path: this.toolPath,
          mode: '0755',
          content: renderLvmRestoreTool({ constructPath: this.node.path, jobId: this.jobId, jobScript: this.job.scriptPath, volumeGroup: this.volumeGroup, kubeconfig: this.kubeconfig }),
        },
      ],
    });
    model.addCopy(
      { id: this.copyId, asset: this.assetId, job: this.jobId, target: this.targetId, layer: 'snapshot', retention: `${this.keep.toHumanString()} (by the stamp in the name), the newest ${this.keepAtLeast} of a live volume whatever their age` },
      this.node.path,
    );

    // The seed's LVMThinPoolLow (data) and its open follow-up, the metadata fill alert: either
    // space running out freezes every volume in the pool.
    const labels = { backup_job: this.jobId, site: model.site, host };
    const sel = jobSelector({ job: this.jobId, site: model.site, host });
    const series = (m: string) => `${m}${sel}`;
    const pct = Math.round(lowRatio * 100);
    const pool = `${this.volumeGroup}/${this.thinPool}`;
    const ssh = `ssh root@${this.host.address}`;
    const runbook = (what: string, fix: string) =>
      [
        `The thin pool \`${pool}\` on ${host} is running out of ${what} space.`,
        '',
        '```sh',
        `${ssh} lvs -o lv_name,data_percent,metadata_percent ${pool}`,
        `${ssh} ${this.toolPath} list        # snapshots pin blocks the live volumes have rewritten since`,
        `${ssh} lvremove ${this.volumeGroup}/<oldest snapshot>   # frees space at once`,
        fix,
        '```',
        '',
        `Below ${Math.round((p.minFreeRatio ?? 0.05) * 100)}% free the snapshot job makes no new snapshots and fails, so its Failing alert fires too.`,
      ].join('\n');
    const spec = (name: string, metric: string, what: string, fix: string) =>
      model.addAlertSpec({
        name,
        expr: `min by (backup_job, site, host) (${metric}${sel}) < ${lowRatio}`,
        for: '30m',
        severity: 'critical',
        summary: `thin pool ${pool} on ${host} has under ${pct}% ${what} space free`,
        description: `The LVM thin pool ${pool} on ${host} has less than ${pct}% of its ${what} space free. When it fills, every volume in it stops taking writes (guests and PVCs freeze) and snapshots stop.`,
        watches: [metric],
        labels: { backup_job: this.jobId },
        runbook: runbook(what, fix),
        test: {
          firing: [{ series: series(metric), values: '0.05' }],
          silent: [{ series: series(metric), values: '0.5' }],
          firingLabels: labels,
        },
        constructPath: this.node.path,
      });
    if (!poolOwner) {
      spec(alertNames.thinPoolAlertName, 'backup_lvm_thinpool_free_ratio', 'data', `${ssh} lvextend -L +100G ${pool}   # when the VG has room`);
      spec(alertNames.thinPoolMetadataAlertName, 'backup_lvm_thinpool_metadata_free_ratio', 'metadata', `${ssh} lvextend --poolmetadatasize +1G ${pool}   # when the VG has room`);
    }
    registerMember('lvm-snapshot-timer', this);
  }
}

/**
 * Whether two LV name globs (only `*` is a wildcard) may match one name: a sound test, not an
 * exact one. Patterns whose parts before the first `*` differ where both are defined cannot.
 */
function mayOverlap(a: string, b: string): boolean {
  if (!a.includes('*') && !b.includes('*')) return a === b;
  const pa = a.split('*')[0];
  const pb = b.split('*')[0];
  return pa.startsWith(pb) || pb.startsWith(pa);
}
