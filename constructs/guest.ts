import { Construct } from 'constructs';
import { z } from 'zod';
import { DEFAULTS } from '../lib/defaults';
import { checkProps } from '../lib/errors';
import { INVENTORY_NAME, INVENTORY_NAME_MESSAGE } from '../lib/governance/inventory';
import { Classification, CLASSIFICATIONS } from '../lib/model/vocabulary';
import { PveHost } from './pve-host';
import { registerMember, siteModelOf } from './private/site-anchor';
import { STORAGE_ID_SCHEMA } from '../lib/storage-id';
import { idString } from '../lib/private/zod-helpers';
import { ASSET_NOTES } from '../lib/text-schema';

/** Props of {@link Guest}. */
export interface GuestProps {
  /** The Proxmox node the guest runs on. */
  readonly host: PveHost;
  /** Proxmox VMID (100 and up). */
  readonly vmid: number;
  /** `qemu` for a VM, `lxc` for a container. */
  readonly type: 'qemu' | 'lxc';
  /** The guest's name, as in Proxmox (`dc01`); shown in reports and runbooks. */
  readonly name: string;
  /** Only for `lxc`. @default true for lxc (Proxmox's default for new containers) */
  readonly unprivileged?: boolean;
  /** @default 'running' */
  readonly state?: 'running' | 'stopped';
  /** @default 'important' */
  readonly classification?: Classification;
  /**
   * The physical disk pool holding the guest's disks (`rpool`, `sdc`). A backup job writing to
   * a storage on the same pool is refused.
   * @default - not declared
   */
  readonly diskPool?: string;
  /**
   * One line (no line breaks or other control characters), shown in the inventory and in a
   * cell of REVIEW.md's copies table.
   * @default - none
   */
  readonly notes?: string;
  /**
   * The name of this guest's entries in the site's inventory, when an existing inventory
   * already names it (e.g. `home-vm-100-ha-primary`).
   * @default `<site>-<vm|lxc>-<vmid>-<name>`
   */
  readonly inventoryName?: string;
  /**
   * Storage a restore puts the guest's disks on (runbooks name it with --storage).
   * @default - a VM: the storages the archive records (qmrestore without --storage); a
   *   container: a `<storage>` placeholder in the runbook, as pct restore without --storage
   *   puts every volume on `local`
   * @see https://pve.proxmox.com/pve-docs/pct.1.html
   */
  readonly restoreStorage?: string;
}

const schema = z
  .object({
    host: z.instanceof(PveHost, { message: 'expected a PveHost' }),
    vmid: z.number().int().min(100, 'expected a VMID from 100 to 999999999').max(999_999_999),
    type: z.enum(['qemu', 'lxc']),
    name: idString(/^[A-Za-z0-9][A-Za-z0-9.-]*$/, 'expected a guest name of letters, digits, dots and dashes'),
    unprivileged: z.boolean().optional(),
    state: z.enum(['running', 'stopped']).optional(),
    classification: z.enum(CLASSIFICATIONS as [Classification, ...Classification[]]).optional(),
    diskPool: STORAGE_ID_SCHEMA.optional(),
    notes: ASSET_NOTES.optional(),
    inventoryName: z.string().regex(INVENTORY_NAME, INVENTORY_NAME_MESSAGE).optional(),
    restoreStorage: z.string().regex(/^[A-Za-z][A-Za-z0-9\-_.]*$/, 'expected a storage id').optional(),
  })
  .strict()
  .refine((p) => p.type === 'lxc' || p.unprivileged === undefined, { path: ['unprivileged'], message: 'only applies to lxc guests' });

/**
 * A VM or container on a Proxmox node: an asset the site protects. Declaring a guest creates
 * nothing on the host; jobs that cover it make copies of it.
 */
export class Guest extends Construct {
  readonly host: PveHost;
  readonly vmid: number;
  readonly type: 'qemu' | 'lxc';
  readonly guestName: string;
  readonly unprivileged: boolean;
  readonly state: 'running' | 'stopped';
  readonly classification: Classification;
  readonly diskPool: string | undefined;
  readonly restoreStorage: string | undefined;
  /** The site model asset id (`guest:<host>:<vmid>`). */
  readonly assetId: string;

  constructor(scope: Construct, id: string, props: GuestProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, { vmid: 'use the id shown by qm list / pct list', type: 'qemu for a VM, lxc for a container' });
    this.host = p.host;
    this.vmid = p.vmid;
    this.type = p.type;
    this.guestName = p.name;
    this.unprivileged = p.type === 'lxc' ? (p.unprivileged ?? true) : false;
    this.state = p.state ?? 'running';
    this.classification = p.classification ?? DEFAULTS.guestClassification;
    this.diskPool = p.diskPool;
    // no default: a guessed storage (local-lvm) is wrong on a ZFS or Ceph node; without
    // --storage qmrestore puts each disk back on the storage the archive records (pct restore
    // does not: its runbook step carries a placeholder instead)
    this.restoreStorage = p.restoreStorage;
    this.assetId = `guest:${this.host.name}:${this.vmid}`;
    siteModelOf(this).addAsset({
      id: this.assetId,
      kind: 'guest',
      name: `${this.type === 'qemu' ? 'VM' : 'CT'} ${this.vmid} ${this.guestName}`,
      host: this.host.name,
      classification: this.classification,
      notes: [this.state === 'stopped' ? 'stopped' : undefined, p.notes].filter(Boolean).join('; ') || undefined,
      ...(p.inventoryName ? { inventoryName: p.inventoryName } : {}),
      constructPath: this.node.path,
    }, { field: 'vmid', hint: 'declare each guest once and pass that Guest to every job that backs it up' });
    registerMember('guest', this);
  }

  /** The archive name pattern vzdump uses for this guest with a compressor. */
  archiveGlob(compress: 'zstd' | 'gzip' | 'lzo' | 'none'): string {
    const ext = { zstd: '.zst', gzip: '.gz', lzo: '.lzo', none: '' }[compress];
    return this.type === 'qemu' ? `vzdump-qemu-${this.vmid}-*.vma${ext}` : `vzdump-lxc-${this.vmid}-*.tar${ext}`;
  }
}
