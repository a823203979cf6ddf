import { Construct } from 'constructs';
import { z } from 'zod';
import { IP_ADDRESS_CHECKS } from '../lib/net';
import { Duration } from '../lib/duration';
import { BackupConfigError, checkProps, Problem } from '../lib/errors';
import { HostJobOptions, hostJobOptionsShape, jobTuning } from '../lib/host-job-options';
import { ABSOLUTE_PATH } from '../lib/path-schema';
import type { AssetRecord, CopyRecord } from '../lib/model/types';
import type { SiteModel } from '../lib/model/site-model';
import { Classification } from '../lib/model/vocabulary';
import { OffsiteManifest } from '../lib/offsite-manifest';
import { backupDiskTarget, sharedTarget } from '../lib/pipeline-targets';
import { instanceOf } from '../lib/private/zod-helpers';
import { mountPointProblems, overlapping } from '../lib/paths';
import { FILE_BACKUP_DIRECTORIES, renderFileBackupBody, renderFileBackupCleanup } from '../lib/render/file-backup-script';
import { DEFAULT_SQLITE_BUSY_TIMEOUT } from '../lib/render/sqlite-copy';
import { Schedule, Weekday } from '../lib/schedule';
import { Host } from './host';
import { LvmSnapshotTimer } from './lvm-snapshot-timer';
import { manifestUseProblems, registerManifestUse } from './private/offsite-manifest-users';
import { membersOf, registerMember, siteModelOf } from './private/site-anchor';
import { claimWorkDirectory } from './private/work-directory';
import { ScheduledHostJob } from './scheduled-host-job';

/** PVC file copies from the snapshots an {@link LvmSnapshotTimer} makes. */
export interface FileBackupPvcOptions {
  /** The snapshot job whose newest snapshot of each volume is mounted read-only and copied. */
  readonly snapshots: LvmSnapshotTimer;
  /** Weekly versions kept (`pvc-data/<YYYY-WW>/`), unchanged files hard-linked between them. @default 4 */
  readonly weeklyVersions?: number;
  /** Where snapshots are mounted during the copy. @default '/run/backup-constructs/pvc-mounts' */
  readonly mountDirectory?: string;
  /**
   * A root-only file on the host holding the LUKS passphrase of encrypted volumes (an
   * encrypted storage class such as Proxmox CSI's, LUKS inside the LV), not the passphrase
   * itself. A snapshot found to be LUKS (`blkid`) is opened read-only with it
   * (`cryptsetup open --readonly`), mounted, copied like any other and closed again. Without
   * it, or when the file is missing, each encrypted volume fails the run with a message
   * naming it.
   * @default - none: encrypted volumes fail
   * @see https://man7.org/linux/man-pages/man8/cryptsetup-open.8.html
   */
  readonly encryptedVolumeKeyFile?: string;
}

/** Automatic SQLite backups of databases found in the PVC snapshots. */
export interface FileBackupSqliteOptions {
  /** How long the copy (`VACUUM INTO`) waits for a busy database. @default Duration.seconds(30) */
  readonly busyTimeout?: Duration;
}

/**
 * pfSense: config.xml every day, the full filesystem tar once a week. A step of the file
 * backup reported as a job of its own (seed 002: `pfsense-backup`, pushed on success and on
 * failure), so its Stale, Failing and NeverRan alerts watch the firewall's copy by itself; a
 * failed step also fails the file backup's run.
 */
export interface FileBackupPfsenseOptions {
  /** Address SSH reaches the firewall at. */
  readonly host: string;
  /** @default 'root' */
  readonly user?: string;
  /** Private key file on the backup host (not the key itself); the firewall's host key must be in known_hosts. */
  readonly sshKeyFile: string;
  /** The day the full tar is made (seed 002: Sundays only, it rarely changes). @default 'sun' */
  readonly fullTarOn?: Weekday;
  /** @default ['/cf', '/var/db', '/boot/loader.conf'] */
  readonly tarPaths?: readonly string[];
  /** @default 4 */
  readonly weeklyVersions?: number;
  /** The step's job id (its metrics' `backup_job`, its alerts and runbook). @default 'pfsense-backup' */
  readonly jobId?: string;
  /** PascalCase stem of its alerts. @default - the job id in PascalCase (`PfsenseBackup`) */
  readonly alertName?: string;
  /** @default - one period of the file backup's schedule plus the larger of its expected duration and 2 hours */
  readonly staleAfter?: Duration;
}

/** The Proxmox host's own configuration, one current copy. */
export interface FileBackupPveConfigOptions {
  /** @default ['/etc/pve', '/usr/local/bin', '/etc/systemd/system'] */
  readonly paths?: readonly string[];
}

/** Removing snapshots that outlived the snapshot job's own pruning. */
export interface FileBackupSnapshotPruneOptions {
  /** @default - the snapshot job's retention */
  readonly olderThan?: Duration;
}

/** Props of {@link FileBackup}. */
export interface FileBackupProps extends HostJobOptions {
  /** The host that runs the backup and holds the backup disk (the Proxmox node). */
  readonly host: Host;
  /** The backup disk folder everything is written under. @default '/mnt/backup' */
  readonly root?: string;
  /** Mount point of the backup disk (its fullness is alerted on). @default - root */
  readonly mountPoint?: string;
  /** Refuse to run when the mount point is not mounted. @default true */
  readonly requireMount?: boolean;
  /** Off-site manifest every written file is appended to. @default - none kept */
  readonly manifest?: OffsiteManifest;
  /** @default - no PVC copies */
  readonly pvcs?: FileBackupPvcOptions;
  /** Needs `pvcs`. `true` for the defaults. @default - no SQLite backups */
  readonly sqlite?: FileBackupSqliteOptions | boolean;
  /** @default - no pfSense backup */
  readonly pfsense?: FileBackupPfsenseOptions;
  /** `true` for the defaults. @default - no host configuration copy */
  readonly pveConfig?: FileBackupPveConfigOptions | boolean;
  /** Needs `pvcs`. @default - on when `pvcs` is set, with the snapshot job's retention */
  readonly pruneSnapshots?: FileBackupSnapshotPruneOptions | boolean;
  /** @default '/run/backup-constructs/<jobId>' */
  readonly workDirectory?: string;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;

const schema = z
  .object({
    host: z.instanceof(Host, { message: 'expected a Host or PveHost' }),
    root: ABSOLUTE_PATH.optional(),
    mountPoint: ABSOLUTE_PATH.optional(),
    requireMount: z.boolean().optional(),
    manifest: instanceOf(OffsiteManifest, 'expected an OffsiteManifest, e.g. OffsiteManifest.of(\'/mnt/backup\')').optional(),
    pvcs: z
      .object({
        snapshots: z.instanceof(LvmSnapshotTimer, { message: 'expected an LvmSnapshotTimer' }),
        weeklyVersions: z.number().int().min(1).max(52).optional(),
        mountDirectory: ABSOLUTE_PATH.optional(),
        encryptedVolumeKeyFile: ABSOLUTE_PATH.optional(),
      })
      .strict()
      .optional(),
    sqlite: z.union([z.boolean(), z.object({ busyTimeout: instanceOf(Duration, 'expected a Duration').optional() }).strict()]).optional(),
    pfsense: z
      .object({
        host: z.string().regex(HOSTNAME, 'expected a host name or address').check(...IP_ADDRESS_CHECKS),
        user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, 'expected a Unix user name').optional(),
        sshKeyFile: ABSOLUTE_PATH,
        fullTarOn: z.enum(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']).optional(),
        tarPaths: z.array(ABSOLUTE_PATH).min(1).optional(),
        weeklyVersions: z.number().int().min(1).max(52).optional(),
        jobId: hostJobOptionsShape.jobId,
        alertName: hostJobOptionsShape.alertName,
        staleAfter: hostJobOptionsShape.staleAfter,
      })
      .strict()
      .optional(),
    pveConfig: z.union([z.boolean(), z.object({ paths: z.array(ABSOLUTE_PATH).min(1).optional() }).strict()]).optional(),
    pruneSnapshots: z.union([z.boolean(), z.object({ olderThan: instanceOf(Duration, 'expected a Duration').optional() }).strict()]).optional(),
    workDirectory: ABSOLUTE_PATH.optional(),
    ...hostJobOptionsShape,
  })
  .strict();

const ISO_DAY: Record<Weekday, number> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };

/**
 * The daily file backup to a backup disk (seed 002 Layer 2, `daily-backup`), each part
 * optional: PVC files copied from read-only mounts of the newest LVM snapshots (LUKS volumes
 * opened read-only first) into `<root>/pvc-data/<YYYY-WW>/<namespace>/<pvc>/` (weekly
 * versions, unchanged files hard-linked with `--link-dest`; a PVC that failed keeps its older
 * versions), SQLite databases found in them (by magic number, opened read-only,
 * `VACUUM INTO`, integrity-checked), pfSense's config.xml daily and its full tar weekly (a
 * step reported as a job of its own, `pfsense-backup`), the Proxmox configuration, and a
 * safety-net prune of old snapshots. Everything it writes is appended to the off-site
 * manifest; it never truncates it.
 */
export class FileBackup extends Construct {
  readonly host: Host;
  /** The folder it works in, emptied at the start of every run. */
  readonly workDirectory: string;
  readonly job: ScheduledHostJob;
  readonly jobId: string;
  readonly root: string;
  readonly mountPoint: string;
  readonly manifest: OffsiteManifest | undefined;
  /** The backup disk, as a target. */
  readonly targetId: string;
  /** Top-level folders under `root` this backup writes. */
  readonly directories: readonly string[];
  /** Those folders as absolute paths: each part's own, pruned or mirrored with --delete. */
  readonly partFolders: readonly string[];
  /** The copies it registers (the off-site sync ships copies of them). */
  readonly copies: readonly CopyRecord[];
  readonly weeklyVersions: number;
  /** The key file encrypted PVC volumes are opened with (undefined: they fail). */
  readonly encryptedVolumeKeyFile: string | undefined;
  /** The pfSense step's job id (undefined without `pfsense`). */
  readonly pfsenseJobId: string | undefined;

  constructor(scope: Construct, id: string, props: FileBackupProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, { manifest: "OffsiteManifest.of('/mnt/backup')", pvcs: '{ snapshots: lvmSnapshotTimer }' });
    const problems: Problem[] = [];
    if (p.sqlite && !p.pvcs) problems.push({ field: 'sqlite', message: 'expected pvcs to be set: databases are found in the PVC snapshots, got sqlite without pvcs', hint: 'add pvcs: { snapshots }' });
    if (p.pruneSnapshots && !p.pvcs) problems.push({ field: 'pruneSnapshots', message: 'expected pvcs to be set: it prunes the snapshot job\'s snapshots, got pruneSnapshots without pvcs', hint: 'add pvcs: { snapshots } or drop pruneSnapshots' });
    if (!p.pvcs && !p.pfsense && !p.pveConfig) problems.push({ field: 'pvcs', message: 'expected at least one part (pvcs, pfsense, pveConfig), got none', hint: 'a file backup with nothing to copy would report success every day' });
    if (p.pfsense && (p.pfsense.jobId ?? 'pfsense-backup') === (p.jobId ?? 'daily-backup')) problems.push({ field: 'pfsense.jobId', message: `expected an id other than the file backup's own, got ${p.jobId ?? 'daily-backup'}`, hint: "the step reports under its own id, e.g. 'pfsense-backup'" });
    if (p.pvcs && p.pvcs.snapshots.host !== p.host) problems.push({ field: 'pvcs.snapshots', message: `expected a snapshot job on ${p.host.name}, got one on ${p.pvcs.snapshots.host.name}`, hint: 'snapshots are mounted where they live' });
    const olderThan = typeof p.pruneSnapshots === 'object' ? p.pruneSnapshots.olderThan : undefined;
    if (olderThan && p.pvcs && olderThan.toSeconds() < p.pvcs.snapshots.keep.toSeconds()) {
      // the safety net removes what outlived the snapshot job's pruning, never what that job still keeps
      problems.push({
        field: 'pruneSnapshots.olderThan',
        message: `expected at least the retention of ${p.pvcs.snapshots.node.path} (${p.pvcs.snapshots.keep.toHumanString()}), got ${olderThan.toHumanString()}`,
        hint: `the file backup would delete snapshots that job still keeps; drop olderThan, or shorten keep on ${p.pvcs.snapshots.node.path}`,
      });
    }
    const root = p.root ?? '/mnt/backup';
    // Each part prunes its week folders by this backup's weeklyVersions or mirrors with --delete,
    // inside its own folder under the root: two backups whose part folders overlap would delete
    // each other's copies (different parts in one root are fine).
    const D = FILE_BACKUP_DIRECTORIES;
    const partFolders = [p.pvcs && D.pvcData, p.sqlite && D.sqlite, p.pfsense && D.pfsense, p.pveConfig && D.pveConfig].filter((d): d is (typeof D)[keyof typeof D] => Boolean(d)).map((d) => `${root}/${d}`);
    for (const other of membersOf<FileBackup>(this, 'file-backup').filter((o) => o.host === p.host)) {
      const mine = partFolders.find((f) => other.partFolders.some((o) => overlapping(f, o)));
      if (mine) {
        problems.push({
          field: 'root',
          message: `expected folders no other file backup on ${p.host.name} writes to, got ${mine}, which overlaps ${other.partFolders.find((o) => overlapping(mine, o))} of ${other.node.path}: each prunes or mirrors its part folders as its own`,
          hint: `give this backup another root, or put the part in ${other.node.path}`,
        });
        break;
      }
    }
    if (p.manifest && !p.manifest.covers(root)) problems.push({ field: 'manifest', message: `expected a manifest whose root holds ${root}, got one for ${p.manifest.root}`, hint: 'the manifest lists paths relative to the folder the off-site sync ships' });
    if (p.manifest) problems.push(...manifestUseProblems(this, { host: p.host, manifest: p.manifest, role: 'writer' }));
    if (problems.length) throw new BackupConfigError(this.node.path, problems);

    const model = siteModelOf(this);
    this.host = p.host;
    this.jobId = p.jobId ?? 'daily-backup';
    // before the target and files are registered; the pfSense step's id is a prop of its own
    model.checkJobIdFree(this.jobId, this.node.path, model.jobIdClash(this.jobId, p.host.name));
    if (p.pfsense) {
      const pfJobId = p.pfsense.jobId ?? 'pfsense-backup';
      model.checkJobIdFree(pfJobId, this.node.path, model.jobIdClash(pfJobId, p.host.name, 'pfsense.jobId'));
    }
    this.root = root;
    this.partFolders = partFolders;
    this.mountPoint = p.mountPoint ?? root;
    if (p.requireMount ?? true) {
      const mount = mountPointProblems(this.mountPoint, root, { field: 'mountPoint', folderField: 'root', whenSame: 'omit it when root is the mount point' });
      if (mount.length) throw new BackupConfigError(this.node.path, mount);
    }
    this.manifest = p.manifest;
    this.weeklyVersions = p.pvcs?.weeklyVersions ?? 4;
    this.encryptedVolumeKeyFile = p.pvcs?.encryptedVolumeKeyFile;
    const host = this.host.name;
    const classification: Classification = p.classification ?? 'important';
    this.targetId = sharedTarget(model, backupDiskTarget(host, this.mountPoint, this.node.path)).id;
    const sqlite = p.sqlite === true ? {} : p.sqlite || undefined;
    const pveConfig = p.pveConfig === true ? {} : p.pveConfig || undefined;
    const prune = p.pvcs && p.pruneSnapshots !== false ? (p.pruneSnapshots === true || p.pruneSnapshots === undefined ? {} : p.pruneSnapshots) : undefined;
    this.directories = [p.pvcs && D.pvcData, sqlite && D.sqlite, p.pfsense && D.pfsense, pveConfig && D.pveConfig].filter((d): d is (typeof D)[keyof typeof D] => Boolean(d));

    this.workDirectory = p.workDirectory ?? `/run/backup-constructs/${this.jobId}`;
    const configPaths = pveConfig ? [...(pveConfig.paths ?? ['/etc/pve', '/usr/local/bin', '/etc/systemd/system'])] : [];
    // a configuration folder holding the backup root would copy the backups into themselves
    const holding = configPaths.find((c) => overlapping(c, root));
    if (holding) {
      throw new BackupConfigError(this.node.path, [
        { field: 'pveConfig.paths', message: `expected configuration folders apart from the backup root ${root}, got ${holding}: each run would copy the backups into themselves`, hint: 'list the configuration folders themselves, e.g. /etc/pve' },
      ]);
    }
    claimWorkDirectory(this, [{ path: root, what: "this job's backup root" }, ...configPaths.map((c) => ({ path: c, what: 'a folder whose configuration it copies' }))]);
    const settings: Record<string, string> = {
      ROOT: root,
      WORK_DIR: this.workDirectory,
    };
    const requireMount = p.requireMount ?? true;
    if (requireMount) settings.MOUNT_POINT = this.mountPoint;
    if (p.manifest) Object.assign(settings, { MANIFEST: p.manifest.file, MANIFEST_ROOT: p.manifest.root, MANIFEST_LOCK: p.manifest.lockFile });
    const snaps = p.pvcs?.snapshots;
    if (snaps) {
      Object.assign(settings, {
        VG: snaps.volumeGroup,
        LV_GLOB: snaps.lvPattern,
        KUBECONFIG_FILE: snaps.kubeconfig,
        SNAPSHOT_DEVICE_DIR: '/dev',
        PVC_MOUNT_DIR: p.pvcs?.mountDirectory ?? '/run/backup-constructs/pvc-mounts',
        MAPPER_DIR: '/dev/mapper',
        ENCRYPTED_VOLUME_KEY_FILE: this.encryptedVolumeKeyFile ?? '',
        WEEKLY_VERSIONS: String(this.weeklyVersions),
      });
    }
    if (sqlite) settings.SQLITE_TIMEOUT_MS = String((sqlite.busyTimeout ?? DEFAULT_SQLITE_BUSY_TIMEOUT).toMilliseconds());
    const pf = p.pfsense;
    this.pfsenseJobId = pf ? (pf.jobId ?? 'pfsense-backup') : undefined;
    if (pf) {
      Object.assign(settings, {
        PFSENSE_JOB: this.pfsenseJobId!,
        PFSENSE_HOST: pf.host,
        PFSENSE_USER: pf.user ?? 'root',
        PFSENSE_SSH_KEY: pf.sshKeyFile,
        PFSENSE_FULL_TAR_WEEKDAY: String(ISO_DAY[pf.fullTarOn ?? 'sun']),
        PFSENSE_TAR_PATHS: (pf.tarPaths ?? ['/cf', '/var/db', '/boot/loader.conf']).join(' '),
        PFSENSE_WEEKLY_VERSIONS: String(pf.weeklyVersions ?? 4),
      });
    }
    const pvePaths = pveConfig ? [...(pveConfig.paths ?? ['/etc/pve', '/usr/local/bin', '/etc/systemd/system'])] : [];
    if (pveConfig) {
      settings.PVE_CONFIG_PATHS = pvePaths.join(' ');
      // set by hand for one run (paths, or *) when a configuration folder was emptied on purpose
      settings.ALLOW_EMPTIED = '';
    }
    if (prune && snaps) {
      settings.PRUNE_SNAPSHOTS_AFTER_SECONDS = String((prune.olderThan ?? snaps.keep).toSeconds());
      // the safety net holds what the snapshot job's own floor holds, or that floor is void
      settings.PRUNE_SNAPSHOTS_KEEP_AT_LEAST = String(snaps.keepAtLeast);
    }

    const restore = [];
    if (snaps) {
      restore.push({
        asset: snaps.assetId,
        title: 'copy a PVC back from a weekly version: scale its workload to 0, wait until its pods are gone and its LV is closed, mount the LV, copy, unmount, scale up',
        commands: [
          `ls ${root}/${D.pvcData}/                      # weeks, newest last`,
          `kubectl -n <ns> get <kind>/<app> -o jsonpath='{.spec.replicas}'   # <kind> deployment or statefulset; note the count for the scale-up`,
          `kubectl -n <ns> scale <kind>/<app> --replicas=0`,
          `kubectl -n <ns> wait --for=delete pod -l <the app's pod labels> --timeout=5m   # its pods gone, not only scaled`,
          `lvs --noheadings -o lv_attr ${snaps.volumeGroup}/<pvc-lv>   # the 6th letter must be -, not o: an LV still open (attached to the VM) is corrupted by a second mount`,
          'mkdir -p /mnt/restore',
          `mount /dev/${snaps.volumeGroup}/<pvc-lv> /mnt/restore && rsync -a --delete ${root}/${D.pvcData}/<YYYY-WW>/<ns>/<pvc>/ /mnt/restore/ && umount /mnt/restore`,
          ...(this.encryptedVolumeKeyFile
            ? [
                `# an encrypted volume (blkid says crypto_LUKS): open it, copy into what it holds, close it`,
                `cryptsetup open --key-file ${this.encryptedVolumeKeyFile} /dev/${snaps.volumeGroup}/<pvc-lv> restore-<pvc> && mount /dev/mapper/restore-<pvc> /mnt/restore && rsync -a --delete ${root}/${D.pvcData}/<YYYY-WW>/<ns>/<pvc>/ /mnt/restore/ && umount /mnt/restore && cryptsetup close restore-<pvc>`,
              ]
            : []),
          `kubectl -n <ns> scale <kind>/<app> --replicas=<the count noted above>`,
        ],
      });
    }
    if (sqlite && snaps) {
      restore.push({ asset: this.sqliteAssetId(snaps), title: 'put a database copy back (stop its app first)', commands: [
          `sqlite3 ${root}/${D.sqlite}/<ns>/<pvc>/<path> 'PRAGMA integrity_check;'`,
          // a -wal left beside the copy would be replayed into it (sqlite.org/howtocorrupt.html)
          `rm -f '<pvc mount>/<path>-wal' '<pvc mount>/<path>-shm'`,
          `cp ${root}/${D.sqlite}/<ns>/<pvc>/<path> <pvc mount>/<path>`,
        ] });
    }
    if (pveConfig) {
      restore.push({ asset: this.pveConfigAssetId(), title: 'copy host configuration back, file by file (never over a running cluster\'s /etc/pve wholesale)', commands: [`ls ${root}/${D.pveConfig}/etc/pve/`] });
    }

    this.job = new ScheduledHostJob(this, 'Job', {
      host: this.host,
      jobId: this.jobId,
      schedule: p.schedule ?? Schedule.daily('05:00'),
      description: `file backup to ${root} (${this.directories.join(', ')})`,
      body: renderFileBackupBody({ requireMount, manifest: Boolean(p.manifest), pvcs: Boolean(snaps), sqlite: Boolean(sqlite), pfsense: Boolean(pf), pveConfig: Boolean(pveConfig), pruneSnapshots: Boolean(prune && snaps), constructPath: this.node.path }),
      // a run stopped mid-way still appends to the manifest what it wrote
      ...(p.manifest ? { cleanup: renderFileBackupCleanup() } : {}),
      settings,
      after: snaps ? [snaps.job] : [],
      // one run at a time, also when someone starts the script by hand during a timer run
      locks: [`/run/lock/backup-constructs/${this.jobId}.lock`],
      classification,
      kind: 'file-backup',
      writesTo: [this.targetId],
      extraMetrics: ['backup_last_size_bytes', ...(sqlite ? ['backup_sqlite_databases', 'backup_sqlite_failed'] : [])],
      restore,
      steps: pf
        ? [
            {
              jobId: this.pfsenseJobId!,
              description: `pfSense ${pf.host}: config.xml daily, the full tar on ${pf.fullTarOn ?? 'sun'} (a step of ${this.jobId})`,
              kind: 'pfsense-backup',
              writesTo: [this.targetId],
              restore: [{ asset: this.pfsenseAssetId(pf.host), title: 'restore pfSense: Diagnostics > Backup & Restore > Restore configuration, with config.xml', commands: [`ls -t ${root}/${D.pfsense}/*/config.xml | head -n 1`] }],
              ...(pf.alertName ? { alertName: pf.alertName } : {}),
              ...(pf.staleAfter ? { staleAfter: pf.staleAfter } : {}),
            },
          ]
        : undefined,
      ...jobTuning(p),
    });

    const copies: CopyRecord[] = [];
    const copy = (asset: string, layer: CopyRecord['layer'], retention: string, basePath: string, glob: string, job = this.jobId) => {
      copies.push(model.addCopy({ id: `${job}:${asset}`, asset, job, target: this.targetId, layer, retention, artifact: { host, basePath, glob } }, this.node.path));
    };
    if (snaps) copy(snaps.assetId, 'file', `${this.weeklyVersions} weekly versions`, `${root}/${D.pvcData}`, '*/*/*');
    if (sqlite && snaps) {
      this.addSharedAsset(model, 'sqlite', {
        id: this.sqliteAssetId(snaps),
        kind: 'database',
        name: `SQLite databases in ${snaps.assetName}`,
        host,
        classification,
        selector: { include: [`files starting "SQLite format 3" in ${snaps.volumes}`], exclude: snaps.excludeNamespaces.map((n) => `namespace=${n}`) },
        notes: 'found at run time by magic number',
        constructPath: this.node.path,
      });
      copy(this.sqliteAssetId(snaps), 'app', 'latest copy that passed PRAGMA integrity_check', `${root}/${D.sqlite}`, '*/*/*');
    }
    if (pf) {
      this.addSharedAsset(model, 'pfsense.host', { id: this.pfsenseAssetId(pf.host), kind: 'app-data', name: `pfSense configuration (${pf.host})`, host: pf.host, classification: 'critical', notes: 'config.xml daily, full tar weekly', constructPath: this.node.path });
      copy(this.pfsenseAssetId(pf.host), 'app', `${pf.weeklyVersions ?? 4} weekly versions`, `${root}/${D.pfsense}`, '*/config.xml', this.pfsenseJobId);
    }
    if (pveConfig) {
      this.addSharedAsset(model, 'pveConfig', { id: this.pveConfigAssetId(), kind: 'path', name: `Proxmox host configuration on ${host}`, host, classification, selector: { include: pvePaths, exclude: [] }, constructPath: this.node.path });
      copy(this.pveConfigAssetId(), 'file', 'latest only', `${root}/${D.pveConfig}`, '*');
    }
    this.copies = copies;
    registerMember('file-backup', this);
    if (p.manifest) registerManifestUse(this, { host: p.host, manifest: p.manifest, role: 'writer' });
  }

  /**
   * Registers what a part copies, or takes it as the same data another file backup of the
   * site copies already (the host configuration to a second disk, one firewall from two
   * hosts): a second copy of one asset. Described differently, it is an error on `field`.
   */
  private addSharedAsset(model: SiteModel, field: string, a: AssetRecord): void {
    const existing = model.asset(a.id);
    const owner = existing && membersOf<FileBackup>(this, 'file-backup').find((o) => o.node.path === existing.constructPath);
    if (!existing || !owner) {
      model.addAsset(a, { field, hint: 'another construct of the site registers this data; copy it in one of them' });
      return;
    }
    const keys = ['kind', 'name', 'host', 'classification', 'selector', 'notes'] as const;
    const differs = keys.filter((k) => JSON.stringify(existing[k]) !== JSON.stringify(a[k]));
    if (!differs.length) return;
    throw new BackupConfigError(this.node.path, [
      {
        field: differs.includes('classification') ? 'classification' : field,
        message: `expected ${a.id} described as ${owner.node.path} describes it (both copy it), got another ${differs.join(', ')}: ${differs.map((k) => `${JSON.stringify(existing[k])} there, ${JSON.stringify(a[k])} here`).join('; ')}`,
        hint: `copy the same data with the same settings as ${owner.node.path}, or leave this part to it`,
      },
    ]);
  }

  private sqliteAssetId(snaps: LvmSnapshotTimer): string {
    return `database:${this.host.name}:sqlite-in:${snaps.volumes}`;
  }

  private pfsenseAssetId(pfHost: string): string {
    return `app-data:${pfHost}:pfsense-config`;
  }

  private pveConfigAssetId(): string {
    return `path:${this.host.name}:host-config`;
  }
}
