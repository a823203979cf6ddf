import { Construct } from 'constructs';
import { z } from 'zod';
import { IP_ADDRESS_CHECKS } from '../lib/net';
import { BypassList, BypassRoot } from '../lib/bypass-list';
import { BackupConfigError, checkProps, Problem } from '../lib/errors';
import { HostJobOptions, hostJobOptionsShape, jobTuning } from '../lib/host-job-options';
import { ABSOLUTE_PATH } from '../lib/path-schema';
import type { CopyRecord } from '../lib/model/types';
import { Classification, Location, LOCATIONS, Medium, MEDIA } from '../lib/model/vocabulary';
import { OffsiteManifest } from '../lib/offsite-manifest';
import { bypassLegAsset } from '../lib/pipeline-targets';
import { instanceOf } from '../lib/private/zod-helpers';
import { renderOffsiteSyncBody } from '../lib/render/offsite-sync-script';
import { Schedule } from '../lib/schedule';
import { mountPointProblems, overlapping } from '../lib/paths';
import { FileBackup } from './file-backup';
import { Host } from './host';
import { NfsChangeTracker } from './nfs-change-tracker';
import { NfsMirror } from './nfs-mirror';
import { manifestUseProblems, registerManifestUse } from './private/offsite-manifest-users';
import { membersOf, onSiteComplete, registerMember, siteModelOf } from './private/site-anchor';
import { claimWorkDirectory } from './private/work-directory';
import { ScheduledHostJob } from './scheduled-host-job';

/** The machine copies are shipped to, over rsync and ssh. */
export interface OffsiteTarget {
  /** Name in reports (`synology`). */
  readonly name: string;
  /** Address ssh reaches it at (not a secret). */
  readonly address: string;
  /** @default 'root' */
  readonly user?: string;
  /** @default 22 */
  readonly port?: number;
  /**
   * Private key FILE on the backup host (`/root/.ssh/synology_backup`), passed to ssh with -i
   * at run time; the key never enters the configuration. The target's host key must be in
   * the host's known_hosts (ssh runs with BatchMode).
   */
  readonly sshKeyFile: string;
  /** Folder on the target the step paths are under (`/Backup/Viki`). */
  readonly basePath: string;
  /** @default 'nas' */
  readonly medium?: Medium;
  /** @default 'off-site' */
  readonly location?: Location;
}

/** Step 2: the bypass-list NFS paths, straight from NFS. */
export interface OffsiteSyncStep2 {
  /** The same BypassList the NfsMirror skips: Step 2 carries exactly what the mirror does not. */
  readonly bypass: BypassList;
  /** The watcher whose change log lists what changed. */
  readonly changeTracker: NfsChangeTracker;
  /** Folder under the target's basePath for each root. @default - the root's last path segment (`/srv/nfs` -> `nfs`) */
  readonly paths?: Readonly<Record<string, string>>;
  /** @default 'important' */
  readonly classification?: Classification;
}

/** What Step 1 can ship: a construct that writes to the backup disk. */
export type BackupDiskWriter = FileBackup | NfsMirror;

/** Props of {@link OffsiteSync}. */
export interface OffsiteSyncProps extends HostJobOptions {
  /** The host that holds the backup disk and runs the sync. */
  readonly host: Host;
  /** Where both steps ship to (a local folder, or a machine over SSH). */
  readonly target: OffsiteTarget;
  /** The manifest the writers append to; its root is Step 1's source. */
  readonly manifest: OffsiteManifest;
  /** The writers whose output Step 1 ships; the sync runs after them (systemd After=). */
  readonly ships: readonly BackupDiskWriter[];
  /** Step 1's folder under the target's basePath. @default 'pve-backup' */
  readonly step1Path?: string;
  /** @default - no Step 2 */
  readonly step2?: OffsiteSyncStep2;
  /** When everything is shipped with --delete. @default 'first-sunday' */
  readonly fullSync?: 'first-sunday' | 'always' | 'never';
  /** Mount point of the backup disk. @default - the manifest's root */
  readonly mountPoint?: string;
  /** Refuse to run when the mount point is not mounted. @default true */
  readonly requireMount?: boolean;
  /** @default '/run/backup-constructs/<jobId>' */
  readonly workDirectory?: string;
}

const REL = z
  .string()
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'expected a relative folder such as pve-backup')
  // a full sync runs rsync --delete there: '..' would delete beside basePath, '.' the other steps' folders
  .refine((s) => s.split('/').every((part) => part !== '.' && part !== '..'), "expected a folder under the target's basePath, without . or .. (a full sync deletes everything else in it)");

const schema = z
  .object({
    host: z.instanceof(Host, { message: 'expected a Host or PveHost' }),
    target: z
      .object({
        name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case name such as synology'),
        address: z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'expected a host name or address').check(...IP_ADDRESS_CHECKS),
        user: z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, 'expected a user name').optional(),
        port: z.number().int().min(1).max(65535).optional(),
        sshKeyFile: ABSOLUTE_PATH.refine((s) => !s.includes('PRIVATE KEY'), 'expected the path of a key file, not a key'),
        basePath: ABSOLUTE_PATH,
        medium: z.enum(MEDIA as [Medium, ...Medium[]]).optional(),
        location: z.enum(LOCATIONS as [Location, ...Location[]]).optional(),
      })
      .strict(),
    manifest: instanceOf(OffsiteManifest, "expected an OffsiteManifest, e.g. OffsiteManifest.of('/mnt/backup')"),
    ships: z.array(z.custom<BackupDiskWriter>((v) => v instanceof FileBackup || v instanceof NfsMirror, { message: 'expected FileBackup or NfsMirror constructs' })).min(1, 'expected at least one writer to ship'),
    step1Path: REL.optional(),
    step2: z
      .object({
        bypass: instanceOf(BypassList, 'expected a BypassList'),
        changeTracker: z.instanceof(NfsChangeTracker, { message: 'expected an NfsChangeTracker' }),
        paths: z.record(z.string(), REL).optional(),
        classification: z.enum(['critical', 'important', 'rebuildable']).optional(),
      })
      .strict()
      .optional(),
    fullSync: z.enum(['first-sunday', 'always', 'never']).optional(),
    mountPoint: ABSOLUTE_PATH.optional(),
    requireMount: z.boolean().optional(),
    workDirectory: ABSOLUTE_PATH.optional(),
    ...hostJobOptionsShape,
  })
  .strict();

/**
 * The off-site sync (seed 002 Layer 3, `offsite-sync-backup`), in two steps that each ship
 * one leg of the two-leg invariant:
 * - Step 1 ships the backup disk (the file backup's folders and the NFS mirror): the files
 *   the manifest lists, or everything with `--delete` on the first Sunday of the month or when
 *   the manifest is over its cap;
 * - Step 2 ships the NFS paths on the bypass list straight from NFS: those the change log
 *   lists (`--files-from`), or the whole bypass subset with `--delete` on a full-sync day.
 * Each step removes from its log exactly the lines it shipped, and only after it succeeded;
 * a failure keeps them for the next run and reports status 1. Over the network it compresses
 * (`-z`); to a local folder it does not.
 */
export class OffsiteSync extends Construct {
  readonly host: Host;
  /** The folder it works in, emptied at the start of every run. */
  readonly workDirectory: string;
  readonly job: ScheduledHostJob;
  readonly jobId: string;
  readonly manifest: OffsiteManifest;
  readonly targetId: string;
  readonly step1Destination: string;
  /** Step 2's destination (`user@host:/path/`) by NFS root. */
  readonly step2Destinations: Readonly<Record<string, string>>;
  readonly copies: readonly CopyRecord[];
  /** `address:port` of the target. */
  readonly targetAddress: string;
  /** The folders on the target its steps write to (and delete in on a full sync). */
  readonly destinationFolders: readonly string[];
  /** The tracker whose change log Step 2 consumes (undefined without Step 2). */
  readonly changeTracker: NfsChangeTracker | undefined;
  /** The BypassList Step 2 ships (undefined without Step 2). */
  readonly step2Bypass: BypassList | undefined;

  constructor(scope: Construct, id: string, props: OffsiteSyncProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, {
      target: "{ name: 'synology', address: '192.0.2.13', sshKeyFile: '/root/.ssh/offsite', basePath: '/Backup' }",
      manifest: "OffsiteManifest.of('/mnt/backup')",
      step1Path: "a folder of its own under basePath, such as 'pve-backup' or 'pve2/pve-backup'",
      step2: "step2.paths maps a bypass root to a folder of its own under basePath, such as { '/srv/nfs': 'nfs' }",
    });
    const problems: Problem[] = [];
    for (const [i, w] of p.ships.entries()) {
      if (w.host !== p.host) problems.push({ field: `ships.${i}`, message: `expected a writer on ${p.host.name}, got ${w.node.path} on ${w.host.name}` });
      if (!w.manifest || !w.manifest.equals(p.manifest)) {
        problems.push({ field: `ships.${i}`, message: `expected ${w.node.path} to append to the manifest ${p.manifest.file}, got ${w.manifest ? w.manifest.file : 'no manifest'}`, hint: 'pass the same OffsiteManifest to the writer, or its files reach the off-site copy only on a full sync' });
      }
    }
    const roots = p.step2 ? p.step2.bypass.roots : [];
    const subdir = (r: BypassRoot) => p.step2?.paths?.[r.path] ?? r.path.slice(r.path.lastIndexOf('/') + 1);
    if (p.step2) {
      for (const key of Object.keys(p.step2.paths ?? {})) {
        if (!p.step2.bypass.root(key)) problems.push({ field: `step2.paths.${key}`, message: `expected a root of the bypass list, got ${JSON.stringify(key)}` });
      }
      const dirs = [p.step1Path ?? 'pve-backup', ...roots.map(subdir)];
      const dupes = dirs.filter((d, i) => dirs.indexOf(d) !== i);
      if (dupes.length) problems.push({ field: 'step2.paths', message: `expected one folder per step and root, got ${dupes.join(', ')} twice`, hint: 'each --delete must act only inside its own destination' });
      // a folder inside another: the outer step's full sync deletes the inner one's copy
      const nested = dirs.flatMap((d, i) => dirs.filter((o, j) => i !== j && o.startsWith(`${d}/`)).map((o) => `${o} inside ${d}`));
      if (nested.length) problems.push({ field: 'step2.paths', message: `expected folders side by side, got ${nested.join(', ')}`, hint: "each --delete must act only inside its own destination: a full sync of the outer folder deletes the inner step's copy" });
      if (p.step2.changeTracker.host !== p.host) problems.push({ field: 'step2.changeTracker', message: `expected a tracker on ${p.host.name}, got one on ${p.step2.changeTracker.host.name}` });
      // Step 2 removes from the change log the lines it shipped: two consumers of one log
      // would each miss what the other shipped until the monthly full sync
      const consumer = membersOf<OffsiteSync>(this, 'offsite-sync').find((o) => o.changeTracker === p.step2!.changeTracker);
      if (consumer) {
        problems.push({
          field: 'step2.changeTracker',
          message: `expected a change tracker no other off-site sync consumes, got ${p.step2.changeTracker.node.path}, whose log ${consumer.node.path} consumes: each removes the lines it shipped, so the other would miss those changes until the monthly full sync`,
          hint: `give this sync's Step 2 its own NfsChangeTracker watching the same paths, with its own jobId and changeLog`,
        });
      }
    }
    // Another off-site sync writing into the same folders of the same target: each one's full
    // sync (--delete) would delete what the other shipped.
    const base = p.target.basePath.replace(/\/+$/, '');
    const mine = [p.step1Path ?? 'pve-backup', ...roots.map(subdir)].map((d) => `${base}/${d}`);
    for (const other of membersOf<OffsiteSync>(this, 'offsite-sync')) {
      if (other.targetAddress !== `${p.target.address}:${p.target.port ?? 22}`) continue;
      for (const d of mine) {
        const hit = other.destinationFolders.find((o) => overlapping(d, o));
        if (hit) {
          problems.push({
            field: d === mine[0] ? 'step1Path' : 'step2.paths',
            message: `expected a folder no other off-site sync writes to, got ${d} on ${p.target.address}, ${hit === d ? 'which' : `which overlaps ${hit} that`} ${other.node.path} also writes to: each full sync (--delete) would delete what the other shipped`,
            hint: `give each sync its own folder, e.g. step1Path: '${p.host.name}/${p.step1Path ?? 'pve-backup'}' or another target basePath`,
          });
          break;
        }
      }
    }
    problems.push(...manifestUseProblems(this, { host: p.host, manifest: p.manifest, role: 'consumer' }));
    if (problems.length) throw new BackupConfigError(this.node.path, problems);

    const model = siteModelOf(this);
    this.host = p.host;
    this.jobId = p.jobId ?? 'offsite-sync-backup';
    // before anything named after the job: a second job of the id is named as such, not as a clash of work folders
    model.checkJobIdFree(this.jobId, this.node.path, model.jobIdClash(this.jobId, p.host.name));
    this.manifest = p.manifest;
    const t = p.target;
    const remote = (sub: string) => `${t.user ?? 'root'}@${t.address}:${t.basePath.replace(/\/$/, '')}/${sub}/`;
    const step1Path = p.step1Path ?? 'pve-backup';
    this.step1Destination = remote(step1Path);
    this.step2Destinations = Object.fromEntries(roots.map((r) => [r.path, remote(subdir(r))]));
    this.targetId = `rsync:${t.name}:${t.basePath}`;
    if (!model.target(this.targetId)) {
      model.addTarget({ id: this.targetId, name: `${t.name} ${t.basePath}`, medium: t.medium ?? 'nas', location: t.location ?? 'off-site', host: t.name, path: t.basePath, constructPath: this.node.path });
    }

    const requireMount = p.requireMount ?? true;
    this.workDirectory = p.workDirectory ?? `/run/backup-constructs/${this.jobId}`;
    const changeLog = p.step2?.changeTracker.changeLog;
    claimWorkDirectory(this, [
      { path: p.manifest.root, what: 'the folder Step 1 ships' },
      ...roots.map((r) => ({ path: r.path, what: 'a folder Step 2 ships' })),
      ...(changeLog ? [{ path: changeLog.slice(0, changeLog.lastIndexOf('/')) || '/', what: 'the folder of the change log' }] : []),
    ]);
    const settings: Record<string, string> = {
      STEP1_SOURCE: p.manifest.root,
      STEP1_DEST: this.step1Destination,
      SSH_KEY: t.sshKeyFile,
      SSH_PORT: String(t.port ?? 22),
      MANIFEST: p.manifest.file,
      MANIFEST_LOCK: p.manifest.lockFile,
      MANIFEST_MAX_LINES: String(p.manifest.maxLines),
      FULL_SYNC: p.fullSync ?? 'first-sunday',
      WORK_DIR: this.workDirectory,
    };
    if (requireMount) {
      const mount = mountPointProblems(p.mountPoint ?? p.manifest.root, p.manifest.root, { field: 'mountPoint', folderField: 'manifest.root', whenSame: 'omit it when manifest.root is the mount point' });
      if (mount.length) throw new BackupConfigError(this.node.path, mount);
      settings.MOUNT_POINT = p.mountPoint ?? p.manifest.root;
    }
    if (p.step2) {
      settings.CHANGE_LOG = p.step2.changeTracker.changeLog;
      settings.CHANGE_LOG_LOCK = p.step2.changeTracker.lockFile;
      // set by hand for one run (source paths, or *) when a bypass entry was emptied on purpose
      settings.ALLOW_EMPTIED = '';
      roots.forEach((r, i) => {
        settings[`STEP2_SOURCE_${i}`] = r.path;
        settings[`STEP2_DEST_${i}`] = this.step2Destinations[r.path];
      });
    }

    this.job = new ScheduledHostJob(this, 'Job', {
      host: this.host,
      jobId: this.jobId,
      schedule: p.schedule ?? Schedule.daily('06:00'),
      description: `ship ${p.manifest.root} and the NFS bypass paths to ${t.name}`,
      body: renderOffsiteSyncBody({ requireMount, step2: p.step2 ? { bypass: p.step2.bypass, roots } : undefined }),
      settings,
      after: p.ships.map((w) => w.job),
      // one run at a time, also when someone starts the script by hand during a timer run
      locks: [`/run/lock/backup-constructs/${this.jobId}.lock`],
      classification: p.classification ?? 'important',
      kind: 'offsite-sync',
      writesTo: [this.targetId],
      extraMetrics: ['backup_last_size_bytes', 'backup_offsite_manifest_lines', 'backup_offsite_full_sync'],
      restore: [
        {
          title: `copy a folder back from ${t.name} (over ssh with the same key; the trailing slashes copy its contents into the folder of the same name)`,
          notes: [
            `Stop this sync's timer first and start it again only once every folder is back: its monthly full sync (or a run with FULL_SYNC=always) mirrors deletions, so a folder still missing here would be deleted off-site too, and a bypass folder has no other copy.`,
          ],
          commands: [
            `systemctl stop bc-${this.jobId}.timer`,
            `mkdir -p ${p.manifest.root}/<folder> && rsync -a -e 'ssh -i ${t.sshKeyFile} -p ${t.port ?? 22}' ${this.step1Destination}<folder>/ ${p.manifest.root}/<folder>/`,
            ...roots.map((r) => `mkdir -p ${r.path}/<folder> && rsync -a -e 'ssh -i ${t.sshKeyFile} -p ${t.port ?? 22}' ${this.step2Destinations[r.path]}<folder>/ ${r.path}/<folder>/`),
            `systemctl start bc-${this.jobId}.timer   # last, once every folder is back`,
          ],
        },
      ],
      ...jobTuning(p),
    });

    const copies: CopyRecord[] = [];
    // Step 1 ships copies the writers made: copies of copies, same asset and layer
    for (const w of p.ships) {
      for (const c of w.copies) {
        const rel = c.artifact && p.manifest.covers(c.artifact.basePath) ? c.artifact.basePath.slice(p.manifest.root.length).replace(/^\//, '') : '';
        copies.push(this.shipCopy(t, c, 'as on the backup disk', c.artifact ? `${step1Path}${rel ? `/${rel}` : ''}` : undefined));
      }
    }
    if (p.step2) {
      const s2 = p.step2;
      for (const r of roots) {
        const leg = bypassLegAsset(this.host.name, r, s2.classification ?? 'important', this.node.path);
        const assetId = leg.id;
        // another sync's Step 2 shipping the same paths (to another target) is another copy of them
        const held = model.asset(assetId);
        const sibling = held && membersOf<OffsiteSync>(this, 'offsite-sync').find((o) => o.node.path === held.constructPath);
        if (!held || !sibling) {
          model.addAsset(leg);
        } else {
          const differs = (['name', 'classification', 'selector'] as const).filter((k) => JSON.stringify(held[k]) !== JSON.stringify(leg[k]));
          if (differs.length) {
            throw new BackupConfigError(this.node.path, [
              {
                field: differs.includes('classification') ? 'step2.classification' : 'step2.bypass',
                message: `expected ${r.path}'s bypass paths as ${sibling.node.path} ships them (its Step 2 ships them too), got another ${differs.join(', ')}`,
                hint: `pass the same BypassList and classification to both Step 2s`,
              },
            ]);
          }
        }
        copies.push(
          model.addCopy(
            {
              id: `${this.jobId}:${assetId}`,
              asset: assetId,
              job: this.jobId,
              target: this.targetId,
              layer: 'file',
              retention: 'mirror of the source; deletions follow on the monthly full sync',
              artifact: { host: t.name, basePath: `${t.basePath.replace(/\/$/, '')}/${subdir(r)}`, glob: '*' },
            },
            this.node.path,
          ),
        );
      }
      model.addCheck(() => this.twoLegChecks(s2));
      // Other jobs' copies that land on a bypass path (app dumps in /srv/nfs/<svc>-backup)
      // reach the off-site target through Step 2: record those off-site copies of copies once
      // every construct of the site exists.
      onSiteComplete(this, () => {
        for (const c of model.copies.filter((x) => x.job !== this.jobId && x.artifact?.host === this.host.name && s2.bypass.legOf(x.artifact.basePath) === 'bypass')) {
          const root = s2.bypass.rootOf(c.artifact!.basePath)!;
          this.shipCopy(t, c, `as on the source (${c.retention})`, `${subdir(root)}${c.artifact!.basePath.slice(root.path.length)}`);
        }
      });
    }
    this.copies = copies;
    this.targetAddress = `${t.address}:${t.port ?? 22}`;
    this.destinationFolders = mine;
    this.changeTracker = p.step2?.changeTracker;
    this.step2Bypass = p.step2?.bypass;
    registerMember('offsite-sync', this);
    registerManifestUse(this, { host: this.host, manifest: p.manifest, role: 'consumer' });
  }

  /**
   * Records the off-site copy of another job's copy (a copy of a copy: same asset and layer)
   * at `relativePath` under `t`'s base path, or without a location when the original
   * has none.
   */
  private shipCopy(t: OffsiteTarget, c: CopyRecord, retention: string, relativePath: string | undefined): CopyRecord {
    return siteModelOf(this).addCopy(
      {
        id: `${this.jobId}:${c.id}`,
        asset: c.asset,
        derivedFrom: c.id,
        job: this.jobId,
        target: this.targetId,
        layer: c.layer,
        retention: `${retention}; deletions follow on the monthly full sync`,
        artifact: relativePath !== undefined && c.artifact ? { host: t.name, basePath: `${t.basePath.replace(/\/$/, '')}/${relativePath}`, glob: c.artifact.glob } : undefined,
      },
      this.node.path,
    );
  }

  /**
   * The two-leg invariant across the site: the mirrors and Step 2 read one BypassList, every
   * root's non-bypass entries are mirrored by an NfsMirror, and the change tracker
   * watches every root Step 2 reads.
   */
  private twoLegChecks(s2: OffsiteSyncStep2): string[] {
    const out: string[] = [];
    const path = this.node.path;
    // the two legs meet on one host: another host's mirror neither satisfies nor contradicts them
    const mirrors = membersOf<NfsMirror>(this, 'nfs-mirror').filter((m) => m.host.name === this.host.name);
    for (const m of mirrors) {
      if (m.bypass !== s2.bypass) {
        out.push(`[${m.node.path}] bypass: expected the BypassList of ${path} step2, got another one (hint: build one BypassList and pass the same value to both, so no path takes both legs or neither)`);
      }
    }
    for (const r of s2.bypass.roots.filter((x) => !x.all)) {
      // a second mirror of the root (to another disk) is a second copy, not a second leg: NfsMirror
      // makes it take the same list, so its entries still take the mirror leg only
      const by = mirrors.filter((m) => m.bypass === s2.bypass && m.source === r.path);
      if (by.length === 0) {
        out.push(`[${path}] step2.bypass: expected an NfsMirror of ${r.path}, got none (hint: its entries outside the bypass list take no leg)`);
      }
      for (const m of by) {
        const logName = s2.changeTracker.changeLog.startsWith(`${m.destination}/`) ? s2.changeTracker.changeLog.slice(m.destination.length + 1).split('/')[0] : undefined;
        if (logName && !m.isReserved(logName)) {
          out.push(`[${m.node.path}] reservedNames: expected ${logName} (the change log in ${m.destination}) among the reserved names, got ${m.reservedNames.join(', ')} (hint: an NFS entry of that name would be mirrored over the change log)`);
        }
      }
    }
    for (const r of s2.bypass.roots) {
      if (!s2.changeTracker.paths.some((w) => r.path === w || r.path.startsWith(`${w}/`))) {
        out.push(`[${s2.changeTracker.node.path}] paths: expected the tracker to watch ${r.path}, got ${s2.changeTracker.paths.join(', ')} (hint: Step 2 only ships what the change log lists until the monthly full sync)`);
      }
    }
    return out;
  }
}
