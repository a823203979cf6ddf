import { Construct } from 'constructs';
import { z } from 'zod';
import { BackupConfigError, checkProps } from '../lib/errors';
import { Classification, CLASSIFICATIONS } from '../lib/model/vocabulary';
import { instanceOf } from '../lib/private/zod-helpers';
import { Retention } from '../lib/retention';
import { Schedule } from '../lib/schedule';
import { clientStandardPolicyPack } from '../lib/policy/client-standard-pack';
import { Guest } from './guest';
import { membersOf, registerMember, siteModelOf } from './private/site-anchor';
import { PveHost } from './pve-host';
import { PveStorage } from './pve-storage';
import { RestoreDrill } from './restore-drill';
import { VzdumpJob } from './vzdump-job';
import { FOLDER_PATH } from '../lib/path-schema';
import { STORAGE_ID_SCHEMA } from '../lib/storage-id';
import { ASSET_NOTES, oneLineString } from '../lib/text-schema';

/** The minimum the client standard allows (seed 003: "minimum 7-day retention", maxfiles 7). */
export const CLIENT_STANDARD_MIN_KEEP = 7;

/**
 * The changes after which the standard makes a restore drill mandatory for every guest,
 * besides the quarterly cycle (seed 003, "Restore Testing Standard"); guests add their own.
 */
function clientStandardDrillTriggers(host: string, storageId: string): string[] {
  return [`OS upgrades or kernel changes, of the guest or of ${host}`, `backup storage changes (${storageId}: its disk, mount or configuration)`];
}

/** One guest of a client deployment. */
export interface ClientStandardGuest {
  /** Proxmox VMID; names its job `nightly-vm<vmid>`. */
  readonly vmid: number;
  /** The guest's name, as in Proxmox. */
  readonly name: string;
  /** @default 'qemu' */
  readonly type?: 'qemu' | 'lxc';
  /**
   * Mandatory guests (the golden template, Docker host, DNS and monitoring VMs, any VM with
   * client data) must have a restore drill.
   * @default true
   */
  readonly mandatory?: boolean;
  /** Temporary VMID of this guest's restore drill; required for mandatory guests. @default - no drill */
  readonly drillVmid?: number;
  /** A command the restored copy must pass. @default - none */
  readonly drillCommand?: readonly string[];
  /**
   * systemd units that must be active in the restored copy, e.g. `['docker.service']` (the
   * standard's "confirm services start correctly").
   * @default - none: the drill checks the boot state and network configuration only
   */
  readonly drillServices?: readonly string[];
  /**
   * How the drill checks the copy's network configuration; 'none' for a guest that takes its
   * address from DHCP (a disconnected copy gets none).
   * @default 'nic-ipv4' for VMs, 'none' for containers (RestoreDrill's default)
   */
  readonly drillNetworkCheck?: 'nic-ipv4' | 'none';
  /**
   * Changes to this guest after which its drill is run by hand (e.g. 'major stack
   * deployments on VM200'), besides the standard's own for every guest (OS or kernel
   * upgrades, backup storage changes); its runbook lists them, one line each.
   * @default - only the standard's
   */
  readonly drillAfter?: readonly string[];
  /** @default 'critical' for mandatory guests, 'important' otherwise */
  readonly classification?: Classification;
  /** The disk pool holding the guest's disks (a backup there is refused). @default - not declared */
  readonly diskPool?: string;
  /**
   * Storage a restore (and a drill) puts the disks on.
   * @default - for a restore, a VM's disks go to the archive's own storages and a container's
   *   runbook names a `<storage>` placeholder (see Guest); 'local-lvm' for the drill
   */
  readonly restoreStorage?: string;
  /** One line, shown in the inventory and REVIEW.md (see Guest). @default - none */
  readonly notes?: string;
}

/** Props of {@link ClientStandardSite}. */
export interface ClientStandardSiteProps {
  /** The Proxmox node of the deployment (one ClientStandardSite per node). */
  readonly host: PveHost;
  /** Every guest of the deployment, by VMID. */
  readonly guests: readonly ClientStandardGuest[];
  /** At least 7 kept; production deployments keep 14 to 30. @default Retention.keepLast(7) */
  readonly retention?: Retention;
  /** Mount point of the dedicated backup disk. @default '/mnt/backup' */
  readonly backupPath?: string;
  /** @default 'backup-hdd' */
  readonly storageId?: string;
  /** The physical disk of the backup storage (must not hold guest disks). @default - not declared */
  readonly backupDiskPool?: string;
  /** @default Schedule.daily('02:00') */
  readonly schedule?: Schedule;
  /**
   * Time of day of the quarterly restore drills; the drills of one deployment run on
   * consecutive days of January, April, July and October, one guest a day.
   * @default '05:00'
   */
  readonly drillTime?: string;
}

const guestSchema = z
  .object({
    vmid: z.number().int().min(100).max(999_999_999),
    name: z.string().min(1),
    type: z.enum(['qemu', 'lxc']).optional(),
    mandatory: z.boolean().optional(),
    drillVmid: z.number().int().min(100).max(999_999_999).optional(),
    drillCommand: z.array(z.string().min(1)).min(1).optional(),
    drillServices: z.array(z.string().min(1)).optional(),
    drillNetworkCheck: z.enum(['nic-ipv4', 'none']).optional(),
    drillAfter: z.array(oneLineString("expected one line without control characters (each change is one item of the drill runbook's list)", 'give each change as its own entry of drillAfter').min(1)).optional(),
    classification: z.enum(CLASSIFICATIONS as [Classification, ...Classification[]]).optional(),
    diskPool: STORAGE_ID_SCHEMA.optional(),
    restoreStorage: z.string().min(1).optional(),
    notes: ASSET_NOTES.optional(),
  })
  .strict();

const schema = z
  .object({
    host: z.instanceof(PveHost, { message: 'expected a PveHost' }),
    guests: z.array(guestSchema).min(1, 'expected at least one guest'),
    retention: instanceOf(Retention, 'expected a Retention, e.g. Retention.keepLast(14)').optional(),
    backupPath: FOLDER_PATH.optional(),
    storageId: z.string().min(1).optional(),
    backupDiskPool: STORAGE_ID_SCHEMA.optional(),
    schedule: instanceOf(Schedule, "expected a Schedule, e.g. Schedule.daily('02:00')").optional(),
    drillTime: z.string().regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'expected a time of day as HH:MM (00:00 to 23:59)').optional(),
  })
  .strict();

/**
 * The client backup standard (seed 003) for one Proxmox node: a dedicated `dir` storage on
 * its own disk, one nightly 02:00 zstd snapshot job per guest named `nightly-vm<ID>` keeping
 * at least 7, and a quarterly restore drill for every mandatory guest, whose runbook says after
 * which changes to run it by hand. Any client deployment
 * instantiates it with its VMIDs.
 */
export class ClientStandardSite extends Construct {
  readonly host: PveHost;
  readonly storage: PveStorage;
  readonly retention: Retention;
  /** Guests by VMID. */
  readonly guests: ReadonlyMap<number, Guest>;
  /** Nightly jobs by VMID. */
  readonly jobs: ReadonlyMap<number, VzdumpJob>;
  /** Restore drills by the VMID of the guest they prove. */
  readonly drills: ReadonlyMap<number, RestoreDrill>;
  /** The mandatory VMIDs of every deployment of the site, which the site's one policy pack checks. */
  private readonly siteMandatoryVmids: number[];

  constructor(scope: Construct, id: string, props: ClientStandardSiteProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, { retention: `Retention.keepLast(${CLIENT_STANDARD_MIN_KEEP}) or more`, drillTime: "write '05:00' for five in the morning" });
    this.host = p.host;
    this.retention = p.retention ?? Retention.keepLast(CLIENT_STANDARD_MIN_KEEP);
    this.checkStandard(p);
    const earlier = membersOf<ClientStandardSite>(this, 'client-standard-site');
    this.checkOthers(p, earlier);
    // The standard's golden rules check the whole site at synth, so a later edit of the stack
    // (a job added by hand, a shorter retention) cannot quietly break them. One pack per site
    // checks the mandatory guests of every node's deployment.
    this.siteMandatoryVmids = earlier.length ? earlier[0].siteMandatoryVmids : [];
    this.siteMandatoryVmids.push(...p.guests.filter((g) => g.mandatory ?? true).map((g) => g.vmid));
    if (!earlier.length) siteModelOf(this).addPolicyPack(clientStandardPolicyPack({ mandatoryVmids: this.siteMandatoryVmids, minArchives: CLIENT_STANDARD_MIN_KEEP }));
    this.storage = new PveStorage(this, 'BackupHdd', {
      host: p.host,
      storageId: p.storageId ?? 'backup-hdd',
      type: 'dir',
      path: p.backupPath ?? '/mnt/backup',
      content: ['backup'],
      retention: this.retention,
      medium: 'local-disk',
      diskPool: p.backupDiskPool,
      // a dedicated disk that is not mounted must not turn into backups on the root disk
      isMountpoint: true,
    });
    const guests = new Map<number, Guest>();
    const jobs = new Map<number, VzdumpJob>();
    const drills = new Map<number, RestoreDrill>();
    for (const g of p.guests) {
      const mandatory = g.mandatory ?? true;
      const guest = new Guest(this, `Vm${g.vmid}`, {
        host: p.host,
        vmid: g.vmid,
        type: g.type ?? 'qemu',
        name: g.name,
        classification: g.classification ?? (mandatory ? 'critical' : 'important'),
        diskPool: g.diskPool,
        restoreStorage: g.restoreStorage,
        notes: g.notes,
      });
      guests.set(g.vmid, guest);
      // all due at the same minute: vzdump's node-wide lock runs them one after the other
      const job = VzdumpJob.nightly(this, `NightlyVm${g.vmid}`, {
        host: p.host,
        jobId: `nightly-vm${g.vmid}`,
        storage: this.storage,
        guests: [guest],
        mode: 'snapshot',
        compress: 'zstd',
        retention: this.retention,
        schedule: p.schedule,
      });
      jobs.set(g.vmid, job);
    }
    let day = 1;
    for (const g of p.guests) {
      if (g.drillVmid === undefined) continue;
      drills.set(
        g.vmid,
        new RestoreDrill(this, `DrillVm${g.vmid}`, {
          guest: guests.get(g.vmid) as Guest,
          tempVmid: g.drillVmid,
          storage: this.storage,
          schedule: Schedule.quarterly(day, p.drillTime ?? '05:00'),
          command: g.drillCommand,
          services: g.drillServices,
          networkCheck: g.drillNetworkCheck,
          runAfter: [...(g.drillAfter ?? []), ...clientStandardDrillTriggers(p.host.name, this.storage.storageId)],
        }),
      );
      day = (day % 28) + 1;
    }
    this.guests = guests;
    this.jobs = jobs;
    this.drills = drills;
    this.checkPoolsDeclared(p);
    registerMember('client-standard-site', this);
  }

  /**
   * Several nodes of a site may each have their deployment, with VMIDs of their own: the
   * standard's job names (`nightly-vm<ID>`) and its checks go by VMID across the site.
   */
  private checkOthers(p: z.infer<typeof schema>, earlier: readonly ClientStandardSite[]): void {
    const same = earlier.find((o) => o.host === p.host);
    if (same) {
      throw new BackupConfigError(this.node.path, [
        { field: 'host', message: `expected one ClientStandardSite per node, got a second for ${p.host.name}: ${same.node.path} covers it already`, hint: `list every guest of ${p.host.name} in the guests of ${same.node.path}` },
      ]);
    }
    const problems = p.guests.flatMap((g, i) => {
      const other = earlier.find((o) => o.guests.has(g.vmid));
      return other
        ? [
            {
              field: `guests.${i}.vmid`,
              message: `expected a VMID no other ClientStandardSite of site ${siteModelOf(this).site} declares, got ${g.vmid}, which ${other.node.path} declares on ${other.host.name}: the standard names its job nightly-vm${g.vmid} and checks VM ${g.vmid} across the site`,
              hint: 'give each client deployment its own BackupSite (one stack per client), or VMIDs of its own',
            },
          ]
        : [];
    });
    if (problems.length) throw new BackupConfigError(this.node.path, problems);
  }

  /** Seed 003: backups never on the disk pool of the VM disks; checkable only with both pools named. */
  private checkPoolsDeclared(p: z.infer<typeof schema>): void {
    const unnamed = p.guests.filter((g) => (g.mandatory ?? true) && g.diskPool === undefined).map((g) => g.vmid);
    if (p.backupDiskPool !== undefined && !unnamed.length) return;
    const missing = [p.backupDiskPool === undefined ? 'the backup storage (backupDiskPool)' : '', unnamed.length ? `VM ${unnamed.join(', ')} (diskPool)` : ''].filter(Boolean).join(' and ');
    siteModelOf(this).addFinding({
      severity: 'warning',
      rule: 'client-dedicated-disk',
      subject: this.node.path,
      message: `the rule that backups never share a disk pool with VM disks cannot be checked: no disk pool is named for ${missing}; is_mountpoint only proves that something is mounted at ${this.storage.path}`,
      fix: "name the pools as the host has them (e.g. backupDiskPool: 'backup-hdd', diskPool: 'local-lvm' per guest); a backup on a VM's pool is then a synth error",
    });
  }

  private checkStandard(p: z.infer<typeof schema>): void {
    const problems: { field: string; message: string; hint?: string }[] = [];
    if (this.retention.newestDailyKept() < CLIENT_STANDARD_MIN_KEEP) {
      problems.push({
        field: 'retention',
        message: `expected the last ${CLIENT_STANDARD_MIN_KEEP} nightly backups kept (keep-last or keep-daily of at least ${CLIENT_STANDARD_MIN_KEEP}), got ${this.retention.toHumanString()}`,
        hint: `the client standard requires 7 days minimum; production keeps 14 to 30 (Retention.keepLast(14))`,
      });
    }
    p.guests.forEach((g, i) => {
      const first = p.guests.findIndex((o) => o.vmid === g.vmid);
      if (first < i) {
        problems.push({ field: `guests.${i}.vmid`, message: `expected each guest once, got VMID ${g.vmid} again (also guests.${first})`, hint: 'list each guest once, with all its settings' });
      }
      if ((g.mandatory ?? true) && g.drillVmid === undefined) {
        problems.push({
          field: `guests.${i}.drillVmid`,
          message: `required: expected a temporary VMID for the restore drill of mandatory guest ${g.vmid}, got nothing`,
          hint: `every mandatory guest is restore-tested; pick a free VMID such as ${g.vmid + 1}, or set mandatory: false`,
        });
      }
      for (const field of ['drillCommand', 'drillServices', 'drillNetworkCheck', 'drillAfter'] as const) {
        if (g[field] !== undefined && g.drillVmid === undefined) {
          problems.push({ field: `guests.${i}.${field}`, message: 'only applies with a drillVmid', hint: `set drillVmid or remove ${field}` });
        }
      }
    });
    if (problems.length) throw new BackupConfigError(this.node.path, problems);
  }
}
