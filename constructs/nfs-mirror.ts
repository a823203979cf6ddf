import { Construct } from 'constructs';
import { z } from 'zod';
import { BypassList, BypassRoot, globMatches } from '../lib/bypass-list';
import { Duration } from '../lib/duration';
import { BackupConfigError, checkProps, Problem } from '../lib/errors';
import { HostJobOptions, hostJobOptionsShape, jobTuning } from '../lib/host-job-options';
import { ABSOLUTE_PATH, OWN_FILE_PATH } from '../lib/path-schema';
import type { CopyRecord } from '../lib/model/types';
import { OffsiteManifest } from '../lib/offsite-manifest';
import { backupDiskTarget, bypassLegAsset, sharedTarget } from '../lib/pipeline-targets';
import { instanceOf } from '../lib/private/zod-helpers';
import { FILE_BACKUP_DIRECTORIES } from '../lib/render/file-backup-script';
import { renderNfsMirrorBody, renderNfsMirrorCleanup } from '../lib/render/nfs-mirror-script';
import { Schedule } from '../lib/schedule';
import { Host } from './host';
import { manifestUseProblems, registerManifestUse } from './private/offsite-manifest-users';
import type { OffsiteSync } from './offsite-sync';
import { membersOf, onSiteComplete, registerMember, siteModelOf } from './private/site-anchor';
import { claimWorkDirectory } from './private/work-directory';
import { ScheduledHostJob } from './scheduled-host-job';
import { mountPointProblems, overlapping } from '../lib/paths';
import { positiveDuration } from '../lib/private/duration-schema';

/** Props of {@link NfsMirror}. */
export interface NfsMirrorProps extends HostJobOptions {
  /** The host that holds both `source` and the backup disk. */
  readonly host: Host;
  /** The one list that decides which NFS paths bypass this mirror (shared with OffsiteSync's Step 2). */
  readonly bypass: BypassList;
  /** The NFS root to mirror; a root of the bypass list that is not bypassed as a whole. @default - the list's only such root */
  readonly source?: string;
  /** Folder on the backup disk each mirrored entry lands in as `<destination>/<entry>/`. @default '/mnt/backup' */
  readonly destination?: string;
  /** Mount point of the backup disk. @default - destination */
  readonly mountPoint?: string;
  /** Refuse to run when the mount point is not mounted. @default true */
  readonly requireMount?: boolean;
  /** Off-site manifest the sent files are appended to. @default - none kept */
  readonly manifest?: OffsiteManifest;
  /**
   * Globs (`*` only) of top-level names the destination uses for other things: an NFS entry
   * with such a name is an error, never mirrored over them.
   * @default - the file backup's folders and every name starting with a dot (the manifest, the change log)
   */
  readonly reservedNames?: readonly string[];
  /** @default '/run/backup-constructs/<jobId>' */
  readonly workDirectory?: string;
  /**
   * A top-level entry that disappeared from the source keeps its copy this long, then the
   * mirror removes it (a single `rsync --delete` of the whole root, as seed 002 runs it, would
   * remove it at once, and a folder deleted by mistake would lose its backup the same night).
   * Only entries this mirror copied are ever removed: it keeps their names in `stateFile`.
   * @default Duration.days(14)
   */
  readonly removeVanishedAfter?: Duration;
  /** @default '/var/lib/backup-constructs/<jobId>/mirrored-entries' */
  readonly stateFile?: string;
  /**
   * More than this share (percent) of the copied entries gone from the source in one run is
   * taken for a wrong filesystem at the source: the run fails, mirrors nothing (each entry's
   * `--delete` would follow that filesystem too) and removes nothing (one entry alone may
   * always go).
   * @default 25
   */
  readonly vanishedLimitPercent?: number;
}

const schema = z
  .object({
    host: z.instanceof(Host, { message: 'expected a Host or PveHost' }),
    bypass: instanceOf(BypassList, 'expected a BypassList, e.g. BypassList.of({ \'/srv/nfs\': [\'immich\'] })'),
    source: ABSOLUTE_PATH.optional(),
    destination: ABSOLUTE_PATH.optional(),
    mountPoint: ABSOLUTE_PATH.optional(),
    requireMount: z.boolean().optional(),
    manifest: instanceOf(OffsiteManifest, 'expected an OffsiteManifest').optional(),
    reservedNames: z.array(z.string().regex(/^[A-Za-z0-9._+*-]+$/, 'expected top-level names or globs of letters, digits, . _ + - and *')).optional(),
    workDirectory: ABSOLUTE_PATH.optional(),
    removeVanishedAfter: positiveDuration('Duration.days(14)', 'a copy would be deleted on the first run its source entry is missing (a mount not up yet)').optional(),
    stateFile: OWN_FILE_PATH.optional(),
    vanishedLimitPercent: z.number().int().min(0).max(100).optional(),
    ...hostJobOptionsShape,
  })
  .strict();

/**
 * A weekly local mirror of an NFS root on the backup disk (seed 002 Layer 3a, `nfs-mirror`):
 * every top-level entry not on the bypass list is copied to `<destination>/<entry>/` with
 * `rsync -rlt -H --delete`, one rsync per entry so `--delete` never reaches past that entry's
 * own copy. What it sent is appended to the off-site manifest, which OffsiteSync's Step 1
 * ships. The bypass list's other entries go off-site straight from NFS (Step 2).
 */
export class NfsMirror extends Construct {
  readonly host: Host;
  /** The folder it works in, emptied at the start of every run. */
  readonly workDirectory: string;
  readonly job: ScheduledHostJob;
  readonly jobId: string;
  readonly bypass: BypassList;
  readonly source: string;
  readonly destination: string;
  readonly mountPoint: string;
  readonly manifest: OffsiteManifest | undefined;
  readonly reservedNames: readonly string[];
  readonly targetId: string;
  /** The mirror-leg asset: the source root minus the bypass list. */
  readonly assetId: string;
  readonly copies: readonly CopyRecord[];

  constructor(scope: Construct, id: string, props: NfsMirrorProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, { bypass: 'the same BypassList the OffsiteSync Step 2 uses' });
    const problems: Problem[] = [];
    const mirrorable = p.bypass.roots.filter((r) => !r.all);
    let root: BypassRoot | undefined;
    if (p.source) {
      root = p.bypass.root(p.source);
      if (!root) problems.push({ field: 'source', message: `expected a root of the bypass list (${p.bypass.roots.map((r) => r.path).join(', ')}), got ${JSON.stringify(p.source)}`, hint: 'add the root to the BypassList so Step 2 knows which of its paths this mirror skips' });
      else if (root.all) problems.push({ field: 'source', message: `expected a root that is not bypassed as a whole, got ${p.source}, which the list sends entirely to Step 2`, hint: 'a mirror of it would make every path take both legs' });
    } else if (mirrorable.length === 1) {
      root = mirrorable[0];
    } else {
      problems.push({ field: 'source', message: `required: expected source to name one of ${mirrorable.map((r) => r.path).join(', ') || '(no root that is not bypassed entirely)'}, got nothing`, hint: 'set source to the root this mirror copies' });
    }
    const destination = p.destination ?? '/mnt/backup';
    if (p.manifest && !p.manifest.covers(destination)) problems.push({ field: 'manifest', message: `expected a manifest whose root holds ${destination}, got one for ${p.manifest.root}` });
    // inside the source it would mirror itself; above it, each entry's --delete works beside the source
    if (root && overlapping(destination, root.path)) problems.push({ field: 'destination', message: `expected a folder neither inside nor above ${root.path}, got ${destination}`, hint: "the backup disk's folder, e.g. destination: '/mnt/backup'" });
    if (p.manifest) problems.push(...manifestUseProblems(this, { host: p.host, manifest: p.manifest, role: 'writer' }));
    if (problems.length || !root) throw new BackupConfigError(this.node.path, problems);

    const model = siteModelOf(this);
    this.host = p.host;
    this.jobId = p.jobId ?? 'nfs-mirror';
    // before anything named after the job: a second job of the id is named as such, not as a clash of work folders
    model.checkJobIdFree(this.jobId, this.node.path, model.jobIdClash(this.jobId, p.host.name));
    this.bypass = p.bypass;
    this.source = root.path;
    this.destination = destination;
    this.mountPoint = p.mountPoint ?? destination;
    if (p.requireMount ?? true) {
      const mount = mountPointProblems(this.mountPoint, destination, { field: 'mountPoint', folderField: 'destination', whenSame: 'omit it when destination is the mount point' });
      if (mount.length) throw new BackupConfigError(this.node.path, mount);
    }
    this.manifest = p.manifest;
    this.reservedNames = [...new Set(p.reservedNames ?? ['.*', ...Object.values(FILE_BACKUP_DIRECTORIES)])].sort();
    const manifestName = p.manifest && p.manifest.file.startsWith(`${destination}/`) ? p.manifest.file.slice(destination.length + 1).split('/')[0] : undefined;
    if (manifestName && !this.isReserved(manifestName)) {
      throw new BackupConfigError(this.node.path, [{ field: 'reservedNames', message: `expected ${manifestName} (the manifest in ${destination}) among the reserved names, got ${this.reservedNames.join(', ')}`, hint: 'an NFS entry of that name would be mirrored over the manifest' }]);
    }
    const host = this.host.name;
    this.targetId = sharedTarget(model, backupDiskTarget(host, this.mountPoint, this.node.path)).id;
    this.assetId = `path:${host}:${this.source}:mirror-leg`;
    // A second mirror of the same root (to another disk) is a second copy of the same data;
    // it must leave out the same paths.
    const twin = membersOf<NfsMirror>(this, 'nfs-mirror').find((o) => o.assetId === this.assetId);
    const classification = p.classification ?? 'important';
    if (twin) {
      const held = model.asset(this.assetId)!;
      const problems: Problem[] = [];
      if (twin.bypass !== p.bypass) {
        problems.push({ field: 'bypass', message: `expected the BypassList of ${twin.node.path}, which mirrors ${this.source} on ${host} too, got another one`, hint: 'build one BypassList and pass the same value to every mirror of the root and to the off-site sync' });
      }
      if (held.classification !== classification) {
        problems.push({ field: 'classification', message: `expected ${held.classification}, as ${twin.node.path} classifies ${this.source} (it mirrors it too), got ${classification}`, hint: `classify the data once: set the same classification on both, or leave it unset on both` });
      }
      if (problems.length) throw new BackupConfigError(this.node.path, problems);
    }
    // Entries land in <destination>/<entry>: two mirrors writing one folder would mix entries of
    // the same name from two sources, each run undoing the other's copy with --delete.
    const sharing = membersOf<NfsMirror>(this, 'nfs-mirror').find((o) => o.host === p.host && overlapping(o.destination, destination));
    if (sharing) {
      throw new BackupConfigError(this.node.path, [
        {
          field: 'destination',
          message: `expected a folder no other mirror on ${host} writes to, got ${destination}, which overlaps ${sharing.destination} of ${sharing.node.path} (it mirrors ${sharing.source}): an entry of the same name in both sources would land in one folder, and each run would undo the other's copy`,
          hint: `give each mirror a folder of its own beside the other, e.g. destination: '${destination.replace(/\/+$/, '')}-${this.source.split('/').filter(Boolean).pop() ?? 'mirror'}'`,
        },
      ]);
    }
    const requireMount = p.requireMount ?? true;
    const stateFile = p.stateFile ?? `/var/lib/backup-constructs/${this.jobId}/mirrored-entries`;
    this.workDirectory = p.workDirectory ?? `/run/backup-constructs/${this.jobId}`;
    claimWorkDirectory(this, [
      { path: this.source, what: 'the folder it mirrors' },
      { path: destination, what: 'its destination' },
      { path: stateFile.slice(0, stateFile.lastIndexOf('/')) || '/', what: 'the folder of its state file' },
    ]);
    const settings: Record<string, string> = {
      SOURCE: this.source,
      DEST: destination,
      WORK_DIR: this.workDirectory,
      STATE_FILE: stateFile,
      REMOVE_VANISHED_AFTER: String((p.removeVanishedAfter ?? Duration.days(14)).toSeconds()),
      VANISHED_LIMIT_PERCENT: String(p.vanishedLimitPercent ?? 25),
      // set by hand for one run (source paths, or *) when an entry was emptied on purpose
      ALLOW_EMPTIED: '',
    };
    if (requireMount) settings.MOUNT_POINT = this.mountPoint;
    if (p.manifest) Object.assign(settings, { MANIFEST: p.manifest.file, MANIFEST_ROOT: p.manifest.root, MANIFEST_LOCK: p.manifest.lockFile });

    this.job = new ScheduledHostJob(this, 'Job', {
      host: this.host,
      jobId: this.jobId,
      schedule: p.schedule ?? Schedule.weekly('mon', '04:00'),
      description: `mirror ${this.source} (outside the bypass list) to ${destination}`,
      // a run stopped mid-way still appends to the manifest what it sent
      ...(p.manifest ? { cleanup: renderNfsMirrorCleanup() } : {}),
      body: renderNfsMirrorBody({ bypass: p.bypass, root, reservedNames: this.reservedNames, requireMount, manifest: Boolean(p.manifest) }),
      settings,
      classification: p.classification ?? 'important',
      kind: 'nfs-mirror',
      // one run at a time, also when someone starts the script by hand during a timer run
      locks: [`/run/lock/backup-constructs/${this.jobId}.lock`],
      writesTo: [this.targetId],
      extraMetrics: ['backup_last_size_bytes', 'backup_nfs_mirror_entries'],
      restore: [
        {
          asset: this.assetId,
          title: 'copy one service folder back from the mirror (it keeps no owners and no modes: give the folder back to its service)',
          notes: [
            'The mirror copies without owners, groups or permissions (rsync --no-perms --no-owner --no-group): the copy has root\'s owner and the default modes. Set the owner, and any group-writable or setgid folder the service needs (a second owner of some files is lost: check them against the service\'s documentation).',
          ],
          commands: [
            `rsync -a ${destination}/<service>/ ${this.source}/<service>/`,
            `chown -R <uid>:<gid> ${this.source}/<service>   # the service's own user; the mirror copied as root`,
            `# if the service shares its folder with a group: chmod -R g+w ${this.source}/<service> && find ${this.source}/<service> -type d -exec chmod g+s {} +`,
          ],
        },
      ],
      ...jobTuning(p),
    });
    if (!twin) {
      model.addAsset({
        id: this.assetId,
        kind: 'path',
        name: `${this.source} outside the bypass list`,
        host,
        classification,
        selector: { include: [`${this.source}/*`], exclude: [...root.names.map((n) => `${this.source}/${n}`), ...BypassList.IGNORED_NAMES.map((n) => `${this.source}/${n}`)] },
        constructPath: this.node.path,
      });
    }
    this.copies = [
      model.addCopy(
        { id: `${this.jobId}:${this.assetId}`, asset: this.assetId, job: this.jobId, target: this.targetId, layer: 'file', retention: 'mirror: latest state, deletions follow', artifact: { host, basePath: destination, glob: '*' } },
        this.node.path,
      ),
    ];
    // The paths the list leaves out are data too: Step 2 registers them as the bypass leg; when
    // no Step 2 does, they stay in the model from here, so the protection report and 3-2-1
    // show them unprotected instead of losing them.
    onSiteComplete(this, () => {
      for (const r of p.bypass.roots) {
        const leg = bypassLegAsset(host, r, classification, this.node.path);
        if (!model.asset(leg.id)) model.addAsset(leg);
      }
    });
    model.addCheck(() => this.bypassLegChecks());
    registerMember('nfs-mirror', this);
    if (p.manifest) registerManifestUse(this, { host: p.host, manifest: p.manifest, role: 'writer' });
  }

  /**
   * The other leg of the mirror's list: a BypassList means "Step 2 ships these", so a mirror
   * that leaves them out with no Step 2 on its host sends them nowhere (seed 002's llamacpp,
   * on no leg). An error, like a Step 2 root no mirror copies: the list has no other meaning.
   * A Step 2 given another list is reported by OffsiteSync's two-leg check.
   */
  private bypassLegChecks(): string[] {
    const stepTwos = membersOf<OffsiteSync>(this, 'offsite-sync').filter((o) => o.host.name === this.host.name && o.step2Bypass);
    if (stepTwos.length) return [];
    const roots = this.bypass.roots.map((r) => r.path);
    return [
      `[${this.node.path}] bypass: expected an OffsiteSync on ${this.host.name} whose step2 ships the paths this mirror leaves out (${this.bypass.toHumanString()}), got none: they take no leg, neither mirrored nor shipped off-site (hint: give the host's OffsiteSync step2: { bypass, changeTracker } with this same BypassList and an NfsChangeTracker watching ${roots.join(', ')}; a mirror alone cannot leave paths out)`,
    ];
  }

  /** Whether a top-level name is reserved in the destination (the mirror refuses it). */
  isReserved(name: string): boolean {
    return this.reservedNames.some((g) => globMatches(g, name));
  }
}
