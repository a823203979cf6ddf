import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { z } from 'zod';
import { DEFAULTS } from '../lib/defaults';
import { BackupConfigError, checkProps } from '../lib/errors';
import { mountPointProblems, overlapping } from '../lib/paths';
import type { SiteModel } from '../lib/model/site-model';
import { Location, LOCATIONS, Medium, MEDIA } from '../lib/model/vocabulary';
import { hostAddress, tailscaleAddress } from '../lib/net';
import { hardNfsMount, softNfsMountHint } from '../lib/nfs-options';
import { storageCommands } from '../lib/render/pve-commands';
import { orderSectionProperties, renderSection } from '../lib/render/section-config';
import { shellQuote } from '../lib/render/shell';
import { instanceOf } from '../lib/private/zod-helpers';
import { Retention } from '../lib/retention';
import { PveHost } from './pve-host';
import type { NfsMount } from './nfs-mount';
import { membersOf, registerMember, siteModelOf } from './private/site-anchor';
import { pveStorageTargetId } from '../lib/model/target-ids';
import { PATH_WITHOUT_TRAILING_SLASH } from '../lib/path-schema';
import { STORAGE_ID_SCHEMA } from '../lib/storage-id';

/** Storage types the library configures. */
export type PveStorageType = 'dir' | 'nfs' | 'pbs' | 'zfspool' | 'cifs';

/** Props of {@link PveStorage}. */
export interface PveStorageProps {
  /** The Proxmox node the storage is configured on. */
  readonly host: PveHost;
  /** The storage id in storage.cfg (`synology-backups`). */
  readonly storageId: string;
  /** The storage plugin; each type takes only its own fields. */
  readonly type: PveStorageType;
  /** @default ['backup'] (['images', 'rootdir'] for zfspool) */
  readonly content?: readonly string[];
  /** Mount point or folder. Required for `dir`. @default '/mnt/pve/<storageId>' for nfs and cifs */
  readonly path?: string;
  /** NFS/CIFS/PBS server address. Required for those types. @default - none (required for nfs, cifs and pbs) */
  readonly server?: string;
  /** NFS export path. Required for `nfs`. @default - none (required for nfs) */
  readonly export?: string;
  /** CIFS share. Required for `cifs`. @default - none (required for cifs) */
  readonly share?: string;
  /** ZFS pool/dataset. Required for `zfspool`. @default - none (required for zfspool) */
  readonly pool?: string;
  /** PBS datastore. Required for `pbs`. @default - none (required for pbs) */
  readonly datastore?: string;
  /** PBS namespace. @default - the root namespace */
  readonly namespace?: string;
  /** PBS server certificate fingerprint (not a secret). @default - trust the system CAs */
  readonly fingerprint?: string;
  /** PBS or CIFS user. @default - none */
  readonly username?: string;
  /**
   * File on the host holding the PBS/CIFS password, read when the storage is applied; the
   * password never appears in the configuration.
   * @default - no password
   */
  readonly passwordFile?: string;
  /**
   * NFS/CIFS mount options. Soft mounts with timeouts by default: a NAS that is off must not
   * hang the hypervisor.
   * @default ['soft', 'timeo=150', 'retrans=3'] for nfs; none for cifs
   */
  readonly mountOptions?: readonly string[];
  /** Storage-level pruning (`prune-backups`). @default - no storage-level pruning */
  readonly retention?: Retention;
  /** Whether every node sees the same folder (dir storage only). @default - Proxmox's default (not shared) */
  readonly shared?: boolean;
  /** @default 'nas' for nfs and cifs, 'backup-server' for pbs, 'local-disk' otherwise */
  readonly medium?: Medium;
  /** @default 'on-site' */
  readonly location?: Location;
  /**
   * The physical disk pool the storage lives on (`rpool`, `sda`). Backups to the pool that
   * holds a guest's disks are refused.
   * @default - not declared
   */
  readonly diskPool?: string;
  /**
   * Allow an NFS/CIFS server on Tailscale: an address in 100.64.0.0/10 or fd7a:115c:a1e0::/48,
   * or a `*.ts.net` name. Off by default: the storage must use the LAN address, or backups stop
   * when the VPN does.
   * @default false
   */
  readonly allowCgnatServer?: boolean;
  /**
   * For `dir` storage on its own filesystem: Proxmox refuses to use the storage while nothing
   * is mounted there, instead of filling the root filesystem with backups. `true`: `path`
   * itself is the mount point; a path: the mount point it lies under (a ZFS dataset, a disk).
   * @default false (a finding says what it risks)
   */
  readonly isMountpoint?: boolean | string;
  /**
   * The storage exists already (made in the GUI) and is only declared, so jobs can use it
   * and reports know where its archives are; nothing is applied.
   * @default false
   */
  readonly existing?: boolean;
}

const REQUIRED: Record<PveStorageType, readonly string[]> = {
  dir: ['path'],
  nfs: ['export', 'path', 'server'],
  cifs: ['path', 'server', 'share'],
  pbs: ['datastore', 'server'],
  zfspool: ['pool'],
};
const FIXED: Record<PveStorageType, readonly string[]> = {
  dir: ['path'],
  nfs: ['export', 'path', 'server'],
  cifs: ['path', 'server', 'share'],
  pbs: ['datastore', 'server'],
  zfspool: ['pool'],
};
/**
 * Keys an update clears when the program no longer sets them: only options the type's Proxmox
 * plugin has, as `pvesm set --delete` of any other dies with "no such option" (an nfs storage
 * has no `shared`, a dir storage no `options`), which failed every apply over a storage that
 * exists already.
 */
const MANAGED: Record<PveStorageType, readonly string[]> = {
  dir: ['content', 'prune-backups', 'shared', 'is_mountpoint'],
  nfs: ['content', 'options', 'prune-backups'],
  cifs: ['content', 'options', 'prune-backups', 'username'],
  pbs: ['content', 'prune-backups', 'namespace', 'fingerprint', 'username'],
  zfspool: ['content'],
};
const ABS = PATH_WITHOUT_TRAILING_SLASH;
/** Values written into one storage.cfg line: a newline or space would split or change it. */
const PBS_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{2,31}$/;
const PBS_NAMESPACE = /^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*){0,7}$/;
const ZFS_DATASET = /^[A-Za-z0-9][A-Za-z0-9_.:-]*(\/[A-Za-z0-9_.:-]+)*$/;
const CIFS_SHARE = /^[^\x00-\x1f\s\\/:*?"<>|]([^\x00-\x1f\\/:*?"<>|]*[^\x00-\x1f\s\\/:*?"<>|])?$/;

const schema = z
  .object({
    host: z.instanceof(PveHost, { message: 'expected a PveHost' }),
    storageId: STORAGE_ID_SCHEMA,
    type: z.enum(['dir', 'nfs', 'pbs', 'zfspool', 'cifs']),
    content: z.array(z.enum(['backup', 'images', 'rootdir', 'iso', 'vztmpl', 'snippets', 'import'])).min(1).optional(),
    path: ABS.optional(),
    server: hostAddress('expected a host name or IP address', { user: 'username' }).optional(),
    export: ABS.optional(),
    share: z.string().regex(CIFS_SHARE, 'expected a share name such as Backup (one line, no \\ / : * ? " < > |)').optional(),
    pool: z.string().regex(ZFS_DATASET, 'expected a ZFS pool or dataset such as rpool/data').optional(),
    datastore: z.string().regex(PBS_NAME, 'expected a PBS datastore name of 3-32 letters, digits, . _ -').optional(),
    namespace: z.string().regex(PBS_NAMESPACE, 'expected a PBS namespace such as pve/colo').optional(),
    fingerprint: z.string().regex(/^([0-9a-fA-F]{2}:){31}[0-9a-fA-F]{2}$/, 'expected a SHA-256 fingerprint (32 hex pairs separated by colons)').optional(),
    // a user (PBS: user@realm!tokenid), never user:password: the name is written into storage.cfg and the apply commands
    username: z.string().regex(/^[^\s:'"]+$/, 'expected a user name without a password (PBS: user@realm!tokenid; the secret goes in passwordFile)').optional(),
    passwordFile: ABS.optional(),
    mountOptions: z.array(z.string().regex(/^[^,\s]+$/, 'expected one mount option without commas or spaces')).optional(),
    retention: instanceOf(Retention, 'expected a Retention, e.g. Retention.keepLast(3)').optional(),
    shared: z.boolean().optional(),
    medium: z.enum(MEDIA as [Medium, ...Medium[]]).optional(),
    location: z.enum(LOCATIONS as [Location, ...Location[]]).optional(),
    diskPool: STORAGE_ID_SCHEMA.optional(),
    allowCgnatServer: z.boolean().optional(),
    existing: z.boolean().optional(),
    isMountpoint: z.union([z.boolean(), ABS]).optional(),
  })
  .strict();

const TYPE_FIELDS: Record<PveStorageType, readonly string[]> = {
  dir: ['path'],
  nfs: ['server', 'export'],
  cifs: ['server', 'share'],
  pbs: ['server', 'datastore'],
  zfspool: ['pool'],
};
/** What to add when a field the type needs is missing. */
const TYPE_FIELD_ADVICE: Record<string, { readonly expected: string; readonly hint: string }> = {
  path: { expected: 'the folder backups go to', hint: "add path: '/mnt/backup', the backup disk's mount point" },
  server: { expected: 'the host name or IP address of the server', hint: "add server: '10.0.0.150', the server's LAN address" },
  export: { expected: 'the folder the NFS server exports', hint: "add export: '/volume1/backups' (showmount -e <server> lists them)" },
  share: { expected: 'the CIFS share name', hint: "add share: 'Backup' (smbclient -L <server> lists them)" },
  datastore: { expected: 'the PBS datastore name', hint: "add datastore: 'backups' (proxmox-backup-manager datastore list on the PBS)" },
  pool: { expected: 'the ZFS pool or dataset', hint: "add pool: 'rpool/data' (zfs list on the host)" },
};
const ONLY_FOR: Record<string, readonly PveStorageType[]> = {
  export: ['nfs'],
  share: ['cifs'],
  pool: ['zfspool'],
  datastore: ['pbs'],
  namespace: ['pbs'],
  fingerprint: ['pbs'],
  username: ['pbs', 'cifs'],
  passwordFile: ['pbs', 'cifs'],
  mountOptions: ['nfs', 'cifs'],
  isMountpoint: ['dir'],
  // nfs, cifs and pbs storages are shared by nature and zfspool is local: none has the option
  shared: ['dir'],
  server: ['nfs', 'cifs', 'pbs'],
};

/**
 * A Proxmox storage entry, applied with `pvesm add`/`pvesm set` and registered in the site
 * model as a backup target.
 *
 * @see https://pve.proxmox.com/pve-docs/pve-admin-guide.html#chapter_storage
 */
export class PveStorage extends Construct {
  /**
   * A storage that exists already (made in the GUI) and is not managed here; jobs may write
   * to it and reports know where its archives are.
   */
  static existing(scope: Construct, id: string, props: { host: PveHost; storageId: string; path?: string; medium: Medium; location?: Location; diskPool?: string }): PveStorage {
    return new PveStorage(scope, id, { ...props, type: 'dir', path: props.path ?? '/var/lib/vz', existing: true });
  }

  readonly host: PveHost;
  readonly storageId: string;
  readonly type: PveStorageType;
  readonly path: string | undefined;
  readonly retention: Retention | undefined;
  readonly medium: Medium;
  readonly location: Location;
  readonly diskPool: string | undefined;
  readonly mountOptions: readonly string[];
  /** The site model target id this storage registers. */
  readonly targetId: string;
  /** Where vzdump writes archives (`<path>/dump`), or undefined for PBS. */
  readonly dumpDirectory: string | undefined;
  readonly managed: boolean;
  /** The content types in effect. */
  readonly content: readonly string[];
  /** The resource that applies the storage, for jobs to be ordered after it. */
  installation: ITerraformDependable | undefined;
  private readonly model: SiteModel;

  constructor(scope: Construct, id: string, props: PveStorageProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, {
      server: 'use the LAN address of the server, e.g. 10.0.0.150',
      type: 'dir for a folder on a disk of the host, nfs or cifs for a NAS share, pbs for a Proxmox Backup Server, zfspool for a ZFS pool (guest disks, not backups)',
      // Proxmox replaced maxfiles with prune-backups (PVE 7); old notes still carry it.
      maxfiles: 'Proxmox replaced maxfiles with prune-backups: use retention: Retention.keepLast(n)',
    });
    this.checkTypeFields(p);
    this.model = siteModelOf(this);
    this.host = p.host;
    this.storageId = p.storageId;
    this.type = p.type;
    this.path = p.path ?? (p.type === 'nfs' || p.type === 'cifs' ? `/mnt/pve/${p.storageId}` : undefined);
    this.retention = p.retention;
    this.medium = p.medium ?? (p.type === 'nfs' || p.type === 'cifs' ? 'nas' : p.type === 'pbs' ? 'backup-server' : 'local-disk');
    this.location = p.location ?? 'on-site';
    this.diskPool = p.diskPool;
    this.mountOptions = p.mountOptions ?? (p.type === 'nfs' ? DEFAULTS.nfsMountOptions : []);
    this.managed = !p.existing;
    this.content = p.content ?? (p.type === 'zfspool' ? ['images', 'rootdir'] : ['backup']);
    this.dumpDirectory = p.type === 'pbs' || p.type === 'zfspool' || !this.path ? undefined : `${this.path}/dump`;
    this.targetId = pveStorageTargetId(this.host.name, this.storageId);
    // Two storages over one folder would each prune the other's archives by their own
    // retention, and the inventory would count every archive twice.
    const sharing = this.dumpDirectory === undefined ? undefined : membersOf<PveStorage>(this, 'pve-storage').find((o) => o.host.name === this.host.name && o.storageId !== this.storageId && o.dumpDirectory !== undefined && overlapping(o.dumpDirectory, this.dumpDirectory!));
    if (sharing) {
      throw new BackupConfigError(this.node.path, [
        {
          field: 'path',
          message: `expected a folder no other storage on ${this.host.name} uses, got ${this.path}, which overlaps ${sharing.path} of storage ${sharing.storageId} (${sharing.node.path}): each would prune the other's archives in ${sharing.dumpDirectory}`,
          hint: `pass ${sharing.storageId}'s PveStorage to the jobs instead of declaring the folder twice, or give this storage a folder of its own`,
        },
      ]);
    }
    this.model.addTarget({
      id: this.targetId,
      name: `${this.storageId} on ${this.host.name}`,
      medium: this.medium,
      location: this.location,
      host: this.host.name,
      path: this.dumpDirectory,
      mountPoint: this.type === 'pbs' || this.type === 'zfspool' ? undefined : this.path,
      constructPath: this.node.path,
    }, { field: 'storageId', hint: `a storage id is unique on a host: declare ${this.storageId} once and pass that PveStorage to every job, or name another storage` });
    registerMember('pve-storage', this);
    if (this.managed) this.apply(p);
    this.checkMountGuard(p);
    this.notePbsPruneRights(p);
    if (this.type === 'dir') this.model.addCheck(() => this.nfsMountChecks());
  }

  /**
   * vzdump prunes a PBS storage after each backup with the storage's own user or token, and
   * PBS lets it prune only with Datastore.Prune, which the DatastoreBackup role a backup user
   * is usually given lacks. The ACLs are the PBS's, not this program's: the reviewer is told.
   */
  private notePbsPruneRights(p: z.infer<typeof schema>): void {
    if (!this.managed || p.type !== 'pbs' || !this.retention || !p.username || !p.datastore) return;
    const token = p.username.includes('!') ? p.username : undefined;
    const user = token ? token.slice(0, token.indexOf('!')) : p.username;
    const grant = (id: string) => `proxmox-backup-manager acl update /datastore/${p.datastore} DatastorePowerUser --auth-id '${id}'`;
    this.model.addFinding({
      severity: 'info',
      rule: 'pbs-prune-rights',
      subject: this.node.path,
      message: `vzdump prunes ${this.storageId} (${this.retention.toPruneBackups()}) after each backup as ${p.username}, which PBS allows only with Datastore.Prune on /datastore/${p.datastore}: the DatastoreBackup role lacks it, and the prune then fails after every backup`,
      fix: `on the PBS, grant DatastorePowerUser (backup, restore and prune of owned backups): ${grant(user)}${token ? ` and ${grant(token)} (a token has only the rights both it and its user are granted)` : ''}`,
    });
  }

  /**
   * A dir storage on an NfsMount (seed 001's plan) is on the NAS: its medium decides the
   * 3-2-1 count and VzdumpJob's tmpdir for unprivileged containers, so the default
   * 'local-disk' would be wrong twice over.
   */
  private nfsMountChecks(): string[] {
    if (this.medium === 'nas' || !this.path) return [];
    const path = this.path;
    const mount = membersOf<NfsMount>(this, 'nfs-mount').find((m) => m.host.name === this.host.name && (path === m.mountPoint || path.startsWith(`${m.mountPoint}/`)));
    if (!mount) return [];
    return [
      `[${this.node.path}] medium: expected 'nas' for a dir storage on the NFS mount ${mount.mountPoint} (${mount.source}, ${mount.node.path}), got '${this.medium}': the 3-2-1 count and the tmpdir unprivileged containers need on NFS both read it (hint: medium: 'nas')`,
    ];
  }

  /** A backup dir whose filesystem is missing at boot ends up on the root filesystem. */
  private checkMountGuard(p: z.infer<typeof schema>): void {
    if (!this.managed || p.type !== 'dir' || p.isMountpoint || !this.content.includes('backup') || !this.path) return;
    if (this.path === '/var/lib/vz' || this.path.startsWith('/var/lib/vz/')) return; // on the root filesystem by design
    this.model.addFinding({
      severity: 'warning',
      rule: 'mount-guard',
      subject: this.node.path,
      message: `dir storage ${this.storageId} at ${this.path} has no is_mountpoint: if the filesystem under it is not mounted (a pool that did not import, a disk that did not come up), Proxmox creates ${this.path} on the root filesystem and vzdump fills it`,
      fix: `set isMountpoint: true if ${this.path} is itself a mount point, or isMountpoint: '<the mount point it lies under>' (e.g. the ZFS dataset's)`,
    });
  }


  private checkTypeFields(p: z.infer<typeof schema>): void {
    const problems: { field: string; message: string; hint?: string }[] = [];
    for (const field of TYPE_FIELDS[p.type]) {
      if ((p as Record<string, unknown>)[field] === undefined) {
        const advice = TYPE_FIELD_ADVICE[field];
        problems.push({ field, message: `required: expected ${advice.expected} (${p.type} storage needs it), got nothing`, hint: advice.hint });
      }
    }
    for (const [field, types] of Object.entries(ONLY_FOR)) {
      if ((p as Record<string, unknown>)[field] !== undefined && !types.includes(p.type)) {
        problems.push({ field, message: `only applies to ${types.join('/')} storage, not ${p.type}`, hint: `remove ${field} or change type` });
      }
    }
    // the root filesystem is the one a backup must not fill, and / is always mounted
    if (p.path === '/') {
      problems.push(
        p.type === 'dir'
          ? { field: 'path', message: 'expected the folder of the backup disk, not /: backups there fill the root filesystem and the host stops', hint: "use the backup disk's mount point, e.g. path: '/mnt/backup' with isMountpoint: true" }
          : { field: 'path', message: `expected a mount point for the ${p.type} share other than /`, hint: `omit path for the default /mnt/pve/${p.storageId}` },
      );
    }
    // / or a mount point elsewhere would guard nothing, or another filesystem, and silence the mount-guard finding
    if (typeof p.isMountpoint === 'string' && p.path) problems.push(...mountPointProblems(p.isMountpoint, p.path, { field: 'isMountpoint', whenSame: 'isMountpoint: true if path is it' }));
    const tailscale = p.server && p.type !== 'pbs' && !p.allowCgnatServer ? tailscaleAddress(p.server) : undefined;
    if (tailscale) {
      problems.push({
        field: 'server',
        message: `expected a LAN address, got ${p.server} ${tailscale}`,
        hint: 'use the LAN address (backups must not depend on the VPN) or set allowCgnatServer: true',
      });
    }
    // an explicit list replaces the soft default, and Linux mounts NFS hard unless told soft
    const nfsOptions = p.type === 'nfs' ? p.mountOptions : undefined;
    const hard = nfsOptions && hardNfsMount(nfsOptions, 'the hypervisor');
    if (nfsOptions && hard) {
      problems.push({
        field: 'mountOptions',
        message: `expected a soft mount, got ${nfsOptions.length ? nfsOptions.join(',') : 'no options'}: ${hard}`,
        hint: softNfsMountHint('mountOptions', nfsOptions),
      });
    }
    if (p.content?.includes('backup') && p.type === 'zfspool') {
      problems.push({ field: 'content', message: 'zfspool storage cannot hold backups', hint: 'add a dir storage on a dataset of the pool for backups' });
    }
    if (problems.length) throw new BackupConfigError(this.node.path, problems);
  }

  private apply(p: z.infer<typeof schema>): void {
    const content = this.content;
    const props: Record<string, string | undefined> = {
      path: p.type === 'pbs' || p.type === 'zfspool' ? undefined : this.path,
      server: p.server,
      export: p.export,
      share: p.share,
      pool: p.pool,
      datastore: p.datastore,
      namespace: p.namespace,
      fingerprint: p.fingerprint,
      username: p.username,
      content: content.join(','),
      options: this.mountOptions.length ? this.mountOptions.join(',') : undefined,
      'prune-backups': this.retention?.toPruneBackups(),
      shared: p.shared === undefined ? undefined : p.shared ? '1' : '0',
      is_mountpoint: p.isMountpoint === true ? 'yes' : p.isMountpoint || undefined,
    };
    const ordered = orderSectionProperties(props, REQUIRED[this.type]);
    const commands = storageCommands(this.type, this.storageId, ordered, FIXED[this.type], MANAGED[this.type]);
    // The password is read on the host at apply time; only the file's path is in the config.
    // The apply gives `--password` last and without a value, which makes pvesm read it from
    // stdin (a line, when stdin is not a terminal), so it is never an argument that ps and /proc
    // show. The reviewer's create command (commands.txt) says so in a comment above the command
    // without it: the Proxmox checker takes neither a redirect nor a valueless --password, and
    // warns about a password typed as an argument, which is what the apply avoids.
    const passwordFile = p.passwordFile;
    const applied = (line: string) => (passwordFile && /pvesm (add|set) /.test(line) ? `${line} --password <${shellQuote(passwordFile)}` : line);
    const shown = (line: string) =>
      passwordFile ? `# --password: pvesm reads it from ${shellQuote(passwordFile)} on its stdin when applied, never an argument ps shows\n${line}` : line;
    this.host.registerSection({
      file: 'storage.cfg',
      type: this.type,
      id: this.storageId,
      properties: ordered,
      createCommand: shown(commands.create),
      constructPath: this.node.path,
    });
    this.installation = this.host.install(this, { postInstall: commands.apply.map(applied), removals: [commands.removal] });
  }

  /** The section as Proxmox writes it in storage.cfg. */
  renderSection(): string {
    const s = this.model.pveSections.find((x) => x.file === 'storage.cfg' && x.id === this.storageId && x.host === this.host.name);
    return s ? renderSection(s.type, s.id, s.properties) : '';
  }
}
