import { Construct } from 'constructs';
import { z } from 'zod';
import { Duration } from '../lib/duration';
import { BackupConfigError, checkProps } from '../lib/errors';
import type { SiteModel } from '../lib/model/site-model';
import type { RestoreStep } from '../lib/model/types';
import { instanceOf } from '../lib/private/zod-helpers';
import { renderRestoreDrillBody, renderRestoreDrillCleanup, RestoreDrillBootCheck, RestoreDrillNetworkCheck, restoreDrillSettings } from '../lib/render/restore-drill';
import { hostAddress } from '../lib/net';
import { Schedule } from '../lib/schedule';
import { oneLineString } from '../lib/text-schema';
import { Guest } from './guest';
import { PveHost } from './pve-host';
import { PveStorage } from './pve-storage';
import { membersOf, registerMember, siteModelOf } from './private/site-anchor';
import { ScheduledHostJob } from './scheduled-host-job';
import type { VzdumpJob } from './vzdump-job';

/** Props of {@link RestoreDrill}. */
export interface RestoreDrillProps {
  /** The guest whose newest archive is restored. */
  readonly guest: Guest;
  /** VMID the copy is restored into and destroyed again; must not be a declared guest. */
  readonly tempVmid: number;
  /**
   * The storage holding the guest's archives.
   * @default - the storage of the VzdumpJob that backs the guest up (declare it before the drill)
   */
  readonly storage?: PveStorage;
  /** Proxmox storage the copy's disks go on. @default - the guest's restoreStorage, or 'local-lvm' */
  readonly restoreStorage?: string;
  /** @default Schedule.quarterly(1, '05:00'): Jan, Apr, Jul and Oct 1st, after the night's backups */
  readonly schedule?: Schedule;
  /** @default - `restore-drill-vm<vmid>` (`ct` for containers) */
  readonly jobId?: string;
  /** How long the copy may take to boot and pass every check. @default Duration.minutes(10) */
  readonly bootTimeout?: Duration;
  /**
   * A newest archive older than this fails the drill: the guest's backups have stopped, and
   * proving an old archive says little about tonight's.
   * @default Duration.days(8) (a weekly job's archive plus a day)
   */
  readonly maxArchiveAge?: Duration;
  /**
   * The restore storage must have this many times the archive's size free, so a drill never
   * fills the space production guests live on; 0 turns the check off.
   * @default 2
   */
  readonly freeSpaceFactor?: number;
  /**
   * `disconnected`: every NIC of the copy gets `link_down=1` before it boots, so it cannot
   * clash with the original's addresses; checks run through the guest agent or `pct exec`.
   * `connected`: NICs stay up (with new MACs), for TCP checks against `checkAddress`.
   * @default 'disconnected'
   */
  readonly network?: 'disconnected' | 'connected';
  /** Address the copy answers at (only with `network: 'connected'`). @default - no TCP checks */
  readonly checkAddress?: string;
  /** TCP ports that must accept connections on `checkAddress`. @default - none */
  readonly tcpPorts?: readonly number[];
  /**
   * A command run inside the copy (through the QEMU guest agent, or `pct exec`) that must
   * exit 0, e.g. `['systemctl', 'is-active', 'docker']`; retried until the boot timeout.
   * @default - only the guest agent ping (VMs) or a command in the container (CTs)
   */
  readonly command?: readonly string[];
  /**
   * What `systemctl is-system-running` in the copy must report (through the guest agent, or
   * `pct exec`), retried until the boot timeout while it reports `starting`. `degraded` (boot
   * finished, some units failed) is written to the journal with the failed units either way.
   * A disconnected copy accepts it by default: units that need the network (wait-online,
   * DHCP clients, network mounts) fail there without saying anything about the backup, and
   * the `services` checks prove the units that matter. A connected copy has its network, so
   * a failed unit there fails the drill.
   * @default - 'running-or-degraded' for a disconnected VM, 'running' for a connected one, 'none' for containers
   * @see https://www.freedesktop.org/software/systemd/man/latest/systemctl.html#is-system-running
   */
  readonly bootCheck?: RestoreDrillBootCheck;
  /**
   * `nic-ipv4`: inside the copy, an interface with the MAC of one of its NICs has an IPv4
   * address (`qm guest cmd <vmid> network-get-interfaces`), so its network configuration
   * applied; the link is down from outside, so this proves configuration, not reachability.
   * Interfaces with other MACs (docker0, bridges with a MAC of their own) do not count. A
   * guest that takes its address from DHCP, or whose systemd-networkd waits for a carrier
   * (netplan without `ignore-carrier: true`), has none on a disconnected copy: use 'none'.
   * Only for VMs.
   * @default - 'nic-ipv4' for VMs, 'none' for containers
   * @see https://qemu-project.gitlab.io/qemu/interop/qemu-ga-ref.html
   */
  readonly networkCheck?: RestoreDrillNetworkCheck;
  /**
   * systemd units that must be active in the copy (`systemctl is-active <unit>`, through the
   * guest agent or `pct exec`), e.g. `['docker.service']`; each retried until the boot timeout.
   * @default - none
   */
  readonly services?: readonly string[];
  /**
   * Changes after which the drill is run by hand, besides its schedule (e.g. 'OS upgrades or
   * kernel changes'), one line each (an item of the runbook's list). The runbook lists them with the commands for a change: snapshot before,
   * back up after (the drill restores the newest archive), drill.
   * @default - none: the runbook only shows how to run the drill now
   */
  readonly runAfter?: readonly string[];
  /** systemd stops a drill that runs longer (the copy is still destroyed). @default Duration.hours(4) */
  readonly timeout?: Duration;
  /** @default Duration.hours(1) */
  readonly expectedDuration?: Duration;
  /** @default - the schedule's period plus 14 days to fix a failed drill and run it again */
  readonly staleAfter?: Duration;
  /** @default - the job id in PascalCase (`RestoreDrillVm100`) */
  readonly alertName?: string;
}

/** A systemd unit name (escapes such as \x2d allowed); never starting with '-', which systemctl would read as an option. */
const UNIT_NAME = /^[A-Za-z0-9@_.:\\][A-Za-z0-9@_.:\\-]*$/;

const VMID = z.number().int().min(100, 'expected a VMID from 100 to 999999999').max(999_999_999);

const schema = z
  .object({
    guest: z.instanceof(Guest, { message: 'expected a Guest' }),
    tempVmid: VMID,
    storage: z.instanceof(PveStorage, { message: 'expected a PveStorage' }).optional(),
    restoreStorage: z.string().regex(/^[A-Za-z][A-Za-z0-9\-_.]*$/, 'expected a storage id').optional(),
    schedule: instanceOf(Schedule, "expected a Schedule, e.g. Schedule.quarterly(1, '05:00')").optional(),
    jobId: z.string().regex(/^[a-z][a-z0-9-]{0,62}[a-z0-9]$/, 'expected a lower-case id such as restore-drill-vm100').optional(),
    bootTimeout: instanceOf(Duration, 'expected a Duration').optional(),
    maxArchiveAge: instanceOf(Duration, 'expected a Duration').optional(),
    freeSpaceFactor: z.number().int().min(0).max(100).optional(),
    network: z.enum(['disconnected', 'connected']).optional(),
    checkAddress: hostAddress('expected a host name or IP address').optional(),
    tcpPorts: z.array(z.number().int().min(1).max(65535, 'expected a TCP port')).optional(),
    command: z.array(z.string().min(1)).min(1, 'expected a command and its arguments').optional(),
    bootCheck: z.enum(['running', 'running-or-degraded', 'none']).optional(),
    networkCheck: z.enum(['nic-ipv4', 'none']).optional(),
    services: z.array(z.string().regex(UNIT_NAME, 'expected a systemd unit name such as docker.service')).optional(),
    runAfter: z
      .array(oneLineString("expected one line without control characters (each change is one item of the runbook's list)", 'give each change as its own entry of runAfter').min(1, 'expected a change, e.g. OS upgrades or kernel changes'))
      .optional(),
    timeout: instanceOf(Duration, 'expected a Duration').optional(),
    expectedDuration: instanceOf(Duration, 'expected a Duration').optional(),
    staleAfter: instanceOf(Duration, 'expected a Duration').optional(),
    alertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase name').optional(),
  })
  .strict();

/** Proxmox tag on every copy a drill makes; a tagged leftover of a killed run is removed. */
export const RESTORE_DRILL_TAG = 'bc-restore-drill';

/**
 * A scheduled (and on-demand: `systemctl start bc-<job>.service`) proof that a guest's
 * newest vzdump archive restores and boots: restore into a temporary VMID, disconnect its
 * NICs, boot, check through the guest agent that it answers, booted to a usable state, has
 * its network configured and runs its services, and destroy the copy on every exit path
 * (failure and SIGTERM included). Its last success is when the guest was last proven
 * restorable; the job is registered with `verifies` naming the guest, so alerts and reports
 * show it.
 *
 * @see https://pve.proxmox.com/pve-docs/qmrestore.1.html
 * @see https://pve.proxmox.com/pve-docs/pct.1.html
 */
export class RestoreDrill extends Construct {
  readonly guest: Guest;
  readonly host: PveHost;
  readonly tempVmid: number;
  readonly storage: PveStorage;
  readonly restoreStorage: string;
  readonly schedule: Schedule;
  readonly network: 'disconnected' | 'connected';
  readonly bootCheck: RestoreDrillBootCheck;
  readonly networkCheck: RestoreDrillNetworkCheck;
  /** systemd units that must be active in the copy. */
  readonly services: readonly string[];
  /** Changes after which the drill is run by hand. */
  readonly runAfter: readonly string[];
  readonly jobId: string;
  /** The scheduled job that runs the drill. */
  readonly job: ScheduledHostJob;
  readonly staleAfter: Duration;
  private readonly model: SiteModel;

  constructor(scope: Construct, id: string, props: RestoreDrillProps) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, {
      tempVmid: 'pick a VMID no guest uses, e.g. the guest\'s VMID plus one (VM100 into VM101)',
      schedule: "Schedule.quarterly(1, '05:00')",
    });
    this.model = siteModelOf(this);
    this.guest = p.guest;
    this.host = p.guest.host;
    this.tempVmid = p.tempVmid;
    this.network = p.network ?? 'disconnected';
    const vm = this.guest.type === 'qemu';
    this.bootCheck = p.bootCheck ?? (!vm ? 'none' : this.network === 'disconnected' ? 'running-or-degraded' : 'running');
    this.networkCheck = p.networkCheck ?? (vm ? 'nic-ipv4' : 'none');
    this.services = p.services ?? [];
    this.runAfter = p.runAfter ?? [];
    this.checkOwnProps(p);
    this.storage = p.storage ?? this.storageOfGuest();
    if (!this.storage.dumpDirectory) {
      throw new BackupConfigError(this.node.path, [
        {
          field: 'storage',
          message: `expected a storage with an archive folder, got ${this.storage.type} storage ${this.storage.storageId}`,
          hint: 'drills restore vzdump archives from dir, nfs or cifs storages',
        },
      ]);
    }
    // the drill checks free space on the storage it restores to, so it always names one
    this.restoreStorage = p.restoreStorage ?? this.guest.restoreStorage ?? 'local-lvm';
    this.schedule = p.schedule ?? Schedule.quarterly(1, '05:00');
    const what = this.guest.type === 'qemu' ? 'vm' : 'ct';
    this.jobId = p.jobId ?? `restore-drill-${what}${this.guest.vmid}`;
    this.staleAfter = p.staleAfter ?? this.schedule.period().plus(Duration.days(14));
    const opts = {
      guestVmid: this.guest.vmid,
      guestType: this.guest.type,
      tempVmid: this.tempVmid,
      dumpDirectory: this.storage.dumpDirectory,
      restoreStorage: this.restoreStorage,
      bootTimeoutSeconds: (p.bootTimeout ?? Duration.minutes(10)).toSeconds(),
      maxArchiveAgeSeconds: (p.maxArchiveAge ?? Duration.days(8)).toSeconds(),
      freeSpaceFactor: p.freeSpaceFactor ?? 2,
      network: this.network,
      checkAddress: p.checkAddress,
      tcpPorts: p.tcpPorts ?? [],
      command: p.command,
      bootCheck: this.bootCheck,
      networkCheck: this.networkCheck,
      services: this.services,
      tag: RESTORE_DRILL_TAG,
      unprivileged: this.guest.unprivileged,
    };
    const label = `${this.guest.type === 'qemu' ? 'VM' : 'CT'} ${this.guest.vmid} ${this.guest.guestName}`;
    // the description is also the unit's Description=, where systemd would read % as a specifier
    const checks = [
      this.guest.type === 'qemu' ? 'guest agent ping' : 'pct exec',
      ...(this.bootCheck === 'none' ? [] : [this.bootCheck === 'running' ? 'systemd running' : 'systemd running or degraded']),
      ...(this.networkCheck === 'nic-ipv4' ? ['IPv4 on a NIC'] : []),
      ...this.services.map((u) => `${u} active`),
      ...(p.command ? [p.command.join(' ').includes('%') ? 'a check command' : `\`${p.command.join(' ')}\``] : []),
      ...(p.tcpPorts ?? []).map((t) => `TCP ${t}`),
    ];
    const cli = this.guest.type === 'qemu' ? 'qm' : 'pct';
    this.job = new ScheduledHostJob(this, 'Job', {
      host: this.host,
      jobId: this.jobId,
      schedule: this.schedule,
      description: `restore drill of ${label}: newest archive on ${this.storage.storageId} into ${this.tempVmid}, boot, ${checks.join(', ')}, destroy`,
      body: renderRestoreDrillBody(opts),
      cleanup: renderRestoreDrillCleanup(),
      settings: restoreDrillSettings(opts),
      // drills of one host take turns: each restores a whole guest onto shared storage
      locks: ['/run/lock/backup-constructs/restore-drill.lock'],
      timeout: p.timeout ?? Duration.hours(4),
      expectedDuration: p.expectedDuration,
      staleAfter: this.staleAfter,
      classification: this.guest.classification,
      alertName: p.alertName,
      kind: 'restore-drill',
      verifies: [this.guest.assetId],
      restore: [
        this.manualRun(),
        {
          title: `if the temporary guest ${this.tempVmid} was left behind (host crash during a drill): check it carries the tag ${RESTORE_DRILL_TAG}, then remove it`,
          commands: [`${cli} config ${this.tempVmid} | grep '^tags:'`, this.guest.type === 'qemu' ? `qm destroy ${this.tempVmid} --purge 1 --skiplock 1 --destroy-unreferenced-disks 1` : `pct destroy ${this.tempVmid} --purge 1 --force 1 --destroy-unreferenced-disks 1`],
        },
      ],
    });
    registerMember('restore-drill', this);
    this.model.addCheck(() => this.crossChecks());
  }

  /** How to run the drill by hand, and after which changes (with the change's backup first). */
  private manualRun(): RestoreStep {
    const start = `systemctl start bc-${this.jobId}.service`;
    const log = `journalctl -u bc-${this.jobId}.service --since today`;
    if (!this.runAfter.length) return { title: `run the drill now (on ${this.host.name})`, commands: [start, log] };
    const cli = this.guest.type === 'qemu' ? 'qm' : 'pct';
    const vmid = this.guest.vmid;
    // the job that backs the guest up to this storage gives the manual backup its mode and compression
    const job = membersOf<VzdumpJob>(this, 'vzdump-job').find((j) => j.storage === this.storage && j.guests.includes(this.guest));
    const options = job ? ` --mode ${job.mode} --compress ${job.compress === 'none' ? '0' : job.compress}` : '';
    const kept = this.storage.retention ? ` It counts toward ${this.storage.storageId}'s ${this.storage.retention.toPruneBackups()}: the oldest archive is pruned.` : '';
    return {
      title: `run the drill by hand (on ${this.host.name}), besides its schedule`,
      notes: [
        `Run it after:`,
        '',
        ...this.runAfter.map((c) => `- ${c}`),
        '',
        `The drill restores the newest archive of ${vmid}: after a change, back the guest up first, so the drill proves the changed guest, not last night's archive.${kept} The snapshot taken before the change is the way back if the change or the drill fails.`,
      ],
      commands: [
        `${cli} snapshot ${vmid} before-change   # before the change`,
        `vzdump ${vmid} --storage ${this.storage.storageId}${options}   # after the change`,
        `${start}   # waits for the drill to end, and fails if it fails`,
        log,
        `${cli} delsnapshot ${vmid} before-change   # once the drill passed`,
      ],
    };
  }

  private checkOwnProps(p: z.infer<typeof schema>): void {
    const problems: { field: string; message: string; hint?: string }[] = [];
    if (p.tempVmid === p.guest.vmid) {
      problems.push({ field: 'tempVmid', message: `expected a VMID other than the guest's own, got ${p.tempVmid}`, hint: 'restoring over the original would destroy it' });
    }
    if (p.tcpPorts?.length && (this.network !== 'connected' || !p.checkAddress)) {
      problems.push({
        field: 'tcpPorts',
        message: `expected network: 'connected' and a checkAddress for TCP checks, got network ${this.network}${p.checkAddress ? '' : ' and no checkAddress'}`,
        hint: "a disconnected copy answers no TCP; check services with command (e.g. ['systemctl', 'is-active', 'docker']) instead",
      });
    }
    if (p.checkAddress && this.network !== 'connected') {
      problems.push({ field: 'checkAddress', message: `only applies with network: 'connected', got ${this.network}`, hint: 'remove checkAddress or connect the copy' });
    }
    if (p.networkCheck === 'nic-ipv4' && p.guest.type !== 'qemu') {
      problems.push({ field: 'networkCheck', message: `nic-ipv4 reads the QEMU guest agent, got ${p.guest.type} guest ${p.guest.vmid}`, hint: "check a container's network with command (e.g. ['sh', '-c', 'ip -4 addr show eth0 | grep -q inet']) or use networkCheck: 'none'" });
    }
    if (p.storage && p.storage.host !== p.guest.host) {
      problems.push({ field: 'storage', message: `storage ${p.storage.storageId} belongs to host ${p.storage.host.name}, not ${p.guest.host.name}`, hint: "restore from a storage of the guest's own node" });
    }
    if (problems.length) throw new BackupConfigError(this.node.path, problems);
  }

  /** The storage of the one vzdump job that copies the guest. */
  private storageOfGuest(): PveStorage {
    const targets = [...new Set(this.model.copiesOf(this.guest.assetId).filter((c) => this.model.job(c.job)?.kind === 'vzdump').map((c) => c.target))];
    const storages = membersOf<PveStorage>(this, 'pve-storage').filter((s) => targets.includes(s.targetId));
    if (storages.length !== 1) {
      throw new BackupConfigError(this.node.path, [
        {
          field: 'storage',
          message: storages.length
            ? `guest ${this.guest.vmid} is backed up to ${storages.length} storages (${storages.map((s) => s.storageId).join(', ')}): expected one`
            : `expected a vzdump job backing up guest ${this.guest.vmid}, got none declared before this drill`,
          hint: storages.length ? 'name the storage to restore from with storage' : 'declare the VzdumpJob before the RestoreDrill, or pass storage',
        },
      ]);
    }
    return storages[0];
  }

  private crossChecks(): string[] {
    const out: string[] = [];
    const path = this.node.path;
    for (const g of membersOf<Guest>(this, 'guest').filter((x) => x.host === this.host && x.vmid === this.tempVmid)) {
      out.push(`[${path}] tempVmid: ${this.tempVmid} is the VMID of declared guest ${g.guestName} (${g.node.path}); the drill would refuse it at run time, or a later restore would fail (hint: pick a VMID no guest uses)`);
    }
    const drills = membersOf<RestoreDrill>(this, 'restore-drill').filter((d) => d.host === this.host && d !== this);
    for (const d of drills.filter((x) => x.tempVmid === this.tempVmid && x.node.path > path)) {
      out.push(`[${path}] tempVmid: ${this.tempVmid} is also the temporary VMID of ${d.node.path} (hint: give each drill its own temporary VMID)`);
    }
    for (const d of drills.filter((x) => x.guest.vmid === this.tempVmid)) {
      out.push(`[${path}] tempVmid: ${this.tempVmid} is the guest that ${d.node.path} restores (hint: pick a VMID no guest uses)`);
    }
    return out;
  }
}
