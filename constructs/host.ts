import { Construct } from 'constructs';
import { ITerraformDependable, TerraformResource, TerraformStack } from 'cdktf';
import { z } from 'zod';
import { DEFAULTS } from '../lib/defaults';
import { Duration } from '../lib/duration';
import { BackupConfigError, checkProps } from '../lib/errors';
import type { SiteModel } from '../lib/model/site-model';
import type { HostFileRecord } from '../lib/model/types';
import { hostAddress } from '../lib/net';
import { TIME_ZONE } from '../lib/private/tz';
import { idString } from '../lib/private/zod-helpers';
import { InstallPlan, planScripts, Removal, renderSweepScript, unitEntry } from '../lib/render/install-script';
import { deliver, DeliveryConnection, deliverSweep, DeliveryMode } from './private/host-delivery';
import { beforeReview, registerMember, siteModelOf } from './private/site-anchor';
import { ABSOLUTE_PATH, ONE_WAY_MESSAGE, writtenOneWay } from '../lib/path-schema';
import { NO_CONTROL_CHARACTERS, oneLineText } from '../lib/text-schema';
import { positiveDuration } from '../lib/private/duration-schema';
import { systemFileReason } from '../lib/paths';

/** A file a construct installs on a host. */
export interface HostFile {
  /** Absolute path on the host, without control characters or `..` segments. */
  readonly path: string;
  /** The file's whole content, written as it is. */
  readonly content: string;
  /** @default '0644' */
  readonly mode?: string;
  /** @default 'root:root' */
  readonly owner?: string;
  /**
   * `block`: managed lines inside a shared file (such as /etc/fstab), kept between marker
   * lines so the rest of the file is left alone.
   * @default 'file'
   */
  readonly kind?: 'file' | 'block';
}

/** What one construct installs on one host. */
export interface HostInstall {
  /** Files written atomically with their mode and owner, and removed on destroy. @default - none */
  readonly files?: readonly HostFile[];
  /** systemd units enabled and started (`systemctl enable --now`) once the files are in place. @default - none */
  readonly enableUnits?: readonly string[];
  /** Shell lines run after the files are installed. @default - none */
  readonly postInstall?: readonly string[];
  /**
   * Removals of named entries (a Proxmox job, a mount), run on removal before files are removed,
   * each only while this construct's resource still owns the entry.
   * @default - none
   */
  readonly removals?: readonly Removal[];
  /**
   * Other shell lines run on removal before files are removed, owned as one by their text: give
   * them an entry in `removals` instead when a later version may change them.
   * @default - none
   */
  readonly preRemove?: readonly string[];
  /** Resources applied before this install (a storage before the jobs naming it). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** Props of {@link Host}. */
export interface HostProps {
  /** The host's name in the site (`proxmox-home`, `pve`); names review folders and metrics. */
  readonly name: string;
  /** Address SSH connects to (a LAN address or DNS name; not a secret). */
  readonly address: string;
  /** @default 'root' */
  readonly user?: string;
  /** @default 22 */
  readonly port?: number;
  /**
   * Terraform variable holding the path of the SSH private key. The key itself never
   * appears in the configuration.
   * @default 'ssh_private_key_path'
   */
  readonly sshKeyPathVariable?: string;
  /**
   * IANA zone the host's clock runs in; schedules without their own zone run in it. Spelt as
   * tzdata spells it (`Europe/Prague`, `UTC`; `europe/prague` is refused): systemd and
   * Kubernetes open the zone file of that name, which is case-sensitive.
   * @default - the site's `timeZone`; without one, unknown (schedules are read in UTC for reports)
   */
  readonly timeZone?: string;
  /** @default - the site's delivery mode */
  readonly delivery?: DeliveryMode;
  /**
   * Prefix for every installed path (tests install under a temporary root).
   * @default '/'
   */
  readonly installRoot?: string;
  /**
   * Folder put first on PATH for install commands (tests put stand-ins for systemctl, pvesh
   * and pvesm there).
   * @default - the host's PATH
   */
  readonly extraPath?: string;
  /**
   * How long Terraform keeps trying to reach the host before failing the apply.
   * @default - Terraform's default (5 minutes)
   */
  readonly connectTimeout?: Duration;
  /**
   * A machine being taken out of service: nothing may be installed on it, and the next apply
   * runs the removal of everything this site installed there (its sweep keeps nothing). Once
   * applied, delete the host from the program. Without this step a host deleted from the
   * program keeps what was installed (Terraform runs no removal for it).
   * @default false
   */
  readonly retired?: boolean;
}

/** Where each install comes in its host's order of removal (see InstallTarget.depth). */
const installDepths = new WeakMap<object, number>();

/**
 * One sweep per machine of a site: hosts of one site at one address, port and install root are
 * one machine with one folder of kept removals, so one sweep must keep the installs of them all
 * (a sweep per host ran the removals of the other host's installs, which it did not keep).
 */
interface MachineSweep {
  resource?: TerraformResource;
  /** Every install on the machine: its hash (kept by the sweep) and its resource. */
  readonly installs: { hash: string; resource: TerraformResource }[];
}
const machineSweeps = new WeakMap<TerraformStack, Map<string, MachineSweep>>();

const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

const hostSchema = z
  .object({
    name: idString(NAME, 'expected a lower-case host name such as proxmox-home', { lowerCase: true }),
    address: hostAddress('expected a host name or IP address', { user: 'user', port: 'port' }),
    user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, 'expected a Unix user name').optional(),
    port: z.number().int().min(1).max(65535).optional(),
    sshKeyPathVariable: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_-]*$/, 'expected a Terraform variable name').optional(),
    timeZone: TIME_ZONE.optional(),
    delivery: z.enum(['null_resource', 'terraform_data']).optional(),
    installRoot: ABSOLUTE_PATH.optional(),
    extraPath: ABSOLUTE_PATH.optional(),
    connectTimeout: positiveDuration('Duration.seconds(30)', 'Terraform would not wait for the host at all').optional(),
    retired: z.boolean().optional(),
  })
  .strict();

// Strict like every props schema: a misspelt `mod` would otherwise be dropped and the file,
// a secret's perhaps, installed with the default 0644.
const installSchema = z
  .object({
    files: z
      .array(
        z
          .object({
            // Broader than ABSOLUTE_FILE_PATH: unit files carry systemd's escapes (`\x2d`). A
            // control character would split the install's owner and manifest lines, and `..`
            // would give one file two spellings that the check for two owners tells apart.
            path: z
              .string()
              .regex(/^\/[^\0]*[^/]$/, 'expected an absolute file path')
              .regex(NO_CONTROL_CHARACTERS, 'expected a path without control characters such as a line break')
              .refine(writtenOneWay, ONE_WAY_MESSAGE),
            content: z.string(),
            mode: z.string().regex(/^0[0-7]{3}$/, 'expected an octal mode such as 0644').optional(),
            owner: z.string().regex(/^[a-z_][a-z0-9_-]*:[a-z_][a-z0-9_-]*$/, 'expected user:group').optional(),
            kind: z.enum(['file', 'block']).optional(),
          })
          .strict()
          .superRefine((f, ctx) => {
            const reason = f.kind === 'block' ? undefined : systemFileReason(f.path);
            if (reason) ctx.addIssue({ code: 'custom', path: ['path'], message: `expected a file of the backup system's own, not a system file (${reason})` });
          }),
      )
      .optional(),
    enableUnits: z.array(z.string().regex(/^[A-Za-z0-9@_.:\\-]+\.(service|timer|mount|automount|path|socket)$/, 'expected a systemd unit name')).optional(),
    postInstall: z.array(z.string()).optional(),
    removals: z.array(z.object({ entry: oneLineText('expected an entry name, not only whitespace'), lines: z.array(z.string()).min(1) }).strict()).optional(),
    preRemove: z.array(z.string()).optional(),
    dependsOn: z.array(z.any()).optional(),
  })
  .strict();

/**
 * A machine reached over SSH that constructs install files on. Each construct's files for a
 * host are installed by one Terraform resource, keyed by a hash of their content, so a plan
 * names the construct that changed and an unchanged construct does nothing.
 */
export class Host extends Construct {
  readonly name: string;
  readonly address: string;
  readonly user: string;
  readonly port: number;
  readonly sshKeyPathVariable: string;
  readonly timeZone: string | undefined;
  readonly delivery: DeliveryMode;
  readonly installRoot: string;
  readonly extraPath: string | undefined;
  readonly connectTimeout: Duration | undefined;
  readonly retired: boolean;
  protected readonly model: SiteModel;
  /** How many constructs install on this host (none: it gets no sweep). */
  private installCount = 0;
  private readonly entryOwners = new Map<string, string>();
  /** The sweep of this host's machine and every install on it (shared with hosts at the same machine). */
  private machineSweep?: MachineSweep;

  constructor(scope: Construct, id: string, props: HostProps, kind: 'linux' | 'proxmox' = 'linux') {
    super(scope, id);
    const p = checkProps(this.node.path, hostSchema, props, {
      address: 'use the LAN address SSH reaches, e.g. 10.0.0.50',
      sshKeyPathVariable: 'name a Terraform variable; pass the key file path with -var or TF_VAR_...',
      timeZone: 'the zone timedatectl shows on the host, e.g. Europe/Prague; omit it for the site zone',
      sshPrivateKey: 'the key never goes in the stack: name a Terraform variable with sshKeyPathVariable and pass the key file path with -var or TF_VAR_...',
    });
    this.model = siteModelOf(this);
    this.name = p.name;
    this.address = p.address;
    this.user = p.user ?? 'root';
    this.port = p.port ?? 22;
    this.sshKeyPathVariable = p.sshKeyPathVariable ?? DEFAULTS.sshKeyPathVariable;
    this.timeZone = p.timeZone ?? this.model.settings.timeZone;
    this.delivery = p.delivery ?? this.model.settings.delivery ?? 'null_resource';
    this.installRoot = p.installRoot ?? '/';
    this.extraPath = p.extraPath;
    this.connectTimeout = p.connectTimeout;
    this.retired = p.retired ?? false;
    this.model.addHost({
      name: this.name,
      address: this.address,
      kind,
      user: this.user,
      port: this.port,
      timeZone: this.timeZone,
      ...(this.retired ? { retired: true as const } : {}),
      constructPath: this.node.path,
    });
    registerMember('host', this);
    beforeReview(this, () => {
      if (this.retired || this.installCount > 0) return;
      // Terraform runs no removal for a resource deleted from the program, and a host with
      // nothing installed gets no sweep: what an earlier version installed here would stay.
      this.model.addFinding({
        severity: 'warning',
        rule: 'idle-host',
        subject: this.node.path,
        message: `site ${this.model.site} installs nothing on host ${this.name}: anything an earlier apply installed there stays`,
        fix: 'if something was installed there before, set retired: true on the host for one apply, then delete it; otherwise delete the host from the program',
      });
    });
    if (this.retired) {
      // a sweep that keeps nothing: every removal this site kept there runs
      this.ensureSweep(this.model.site);
      this.model.addFinding({
        severity: 'warning',
        rule: 'retired-host',
        subject: this.node.path,
        message: `host ${this.name} (${this.address}) is retired: the next apply removes everything site ${this.model.site} installed there`,
        fix: 'apply, then delete the host from the program',
      });
    }
  }

  /**
   * Entries (Proxmox entries, units) are owned one by one on the host: a second construct
   * managing one would stop or delete it when it is destroyed while the first still needs it.
   */
  private claimEntries(owner: Construct, entries: readonly string[]): void {
    for (const entry of entries) {
      const holder = this.entryOwners.get(entry);
      if (holder !== undefined && holder !== owner.node.path) {
        throw new BackupConfigError(owner.node.path, [
          { field: 'host', message: `expected ${entry} on host ${this.name} to be managed by one construct, got a second one: ${holder} manages it already`, hint: 'manage it in one construct (two mounts of one mount point, two jobs of one id)' },
        ]);
      }
      this.entryOwners.set(entry, owner.node.path);
    }
  }

  /**
   * Installs a construct's files (and runs its commands) on this host through one resource
   * created under `owner`, so the plan names that construct. `what` is checked like props: an
   * option it does not know (`mod` for `mode`), a file path with a control character or a `..`
   * segment, or a blank removal entry is refused.
   */
  install(owner: Construct, what: HostInstall): ITerraformDependable {
    checkProps(owner.node.path, installSchema, what, { files: "host files need an absolute path of the backup system's own (/usr/local/..., /etc/<tool>/...) and an octal mode such as 0644" });
    this.installCount++;
    if (this.retired) {
      throw new BackupConfigError(owner.node.path, [
        { field: 'host', message: `expected a host in service, got ${this.name}, which is retired (its next apply removes everything installed there)`, hint: `move this construct to another host, or set retired: false on ${this.node.path}` },
      ]);
    }
    const files: HostFileRecord[] = (what.files ?? []).map((f) => ({
      host: this.name,
      path: f.path,
      mode: f.mode ?? '0644',
      owner: f.owner ?? 'root:root',
      content: f.content,
      kind: f.kind ?? 'file',
      constructPath: owner.node.path,
    }));
    for (const f of files) this.model.addHostFile(f);
    this.claimEntries(owner, [...(what.removals ?? []).map((r) => r.entry), ...(what.enableUnits ?? []).map(unitEntry)]);
    const plan: InstallPlan = {
      files,
      enableUnits: what.enableUnits ?? [],
      postInstall: what.postInstall ?? [],
      removals: what.removals ?? [],
      preRemove: what.preRemove ?? [],
      owner: owner.node.path,
    };
    const depth = Math.max(-1, ...(what.dependsOn ?? []).map((d) => installDepths.get(d) ?? -1)) + 1;
    const site = TerraformStack.of(this).node.id;
    const scripts = planScripts(plan, { installRoot: this.installRoot, extraPath: this.extraPath, site, depth });
    const resource = deliver(owner, `Install-${this.name}`, {
      connection: this.connection(),
      dependsOn: what.dependsOn,
      installScript: scripts.installScript,
      removeScript: scripts.removeScript,
      contentHash: scripts.hash,
      description: `${owner.node.path} on ${this.name}`,
    });
    installDepths.set(resource, depth);
    const machine = this.machine();
    machine.installs.push({ hash: scripts.hash, resource });
    this.ensureSweep(site).dependsOn = machine.installs.map((i) => `${i.resource.terraformResourceType}.${i.resource.friendlyUniqueId}`);
    return resource;
  }

  private connection(): DeliveryConnection {
    return {
      address: this.address,
      port: this.port,
      user: this.user,
      sshKeyPathVariable: this.sshKeyPathVariable,
      mode: this.delivery,
      timeout: this.connectTimeout ? `${this.connectTimeout.toSeconds()}s` : undefined,
    };
  }

  /**
   * The host's sweep, run after its installs whenever the set of them changes: Terraform runs no
   * removal for a version a replacement leaves behind or for a construct removed from the
   * program, so the sweep runs the removal each install kept on the host.
   */
  private ensureSweep(site: string): TerraformResource {
    const machine = this.machine();
    if (!machine.resource) {
      const keep = (): string[] => machine.installs.map((i) => i.hash).sort();
      machine.resource = deliverSweep(this, 'Sweep', {
        connection: this.connection(),
        keep: () => keep().join(' '),
        script: () => renderSweepScript(site, keep(), { installRoot: this.installRoot, extraPath: this.extraPath }),
        description: `removals of what ${site} no longer installs on ${this.name}`,
      });
    }
    return machine.resource;
  }

  /** The machine this host reaches (address, port, install root), shared by the site's hosts there. */
  private machine(): MachineSweep {
    if (!this.machineSweep) {
      const stack = TerraformStack.of(this);
      let byMachine = machineSweeps.get(stack);
      if (!byMachine) machineSweeps.set(stack, (byMachine = new Map()));
      const key = `${this.address}\u0000${this.port}\u0000${this.installRoot.replace(/\/+$/, '') || '/'}`;
      let machine = byMachine.get(key);
      if (!machine) byMachine.set(key, (machine = { installs: [] }));
      this.machineSweep = machine;
    }
    return this.machineSweep;
  }
}
