import type { AssetKind, Classification, Layer, Location, Medium } from './vocabulary';

/** Something the site protects. An asset found by a pattern is one asset with a selector. */
export interface AssetRecord {
  /** Unique in the site, e.g. `guest:proxmox-home:100`, `pvc-set:pve:vm-*-pvc-*`. */
  readonly id: string;
  /**
   * The first part of its id; full-restore.md restores by it: host configuration first, then guests, then PVC sets and
   * paths, then databases and app data.
   */
  readonly kind: AssetKind;
  /**
   * Shown in REVIEW.md, runbooks, findings and the protection diff (`MySQL at mysql.dbaas.svc.cluster.local`). A guest's is
   * `VM <vmid> <name>` or `CT <vmid> <name>`: its default inventory name (`<site>-vm-100-<name>`) is parsed from it.
   */
  readonly name: string;
  /**
   * Machine the data lives on (`pve`), not always a host of the site (`pfsense.viktorbarzin.me`); undefined for data in
   * Kubernetes or behind an external backup.
   */
  readonly host?: string;
  /** How bad its loss would be: copied into its inventory entries and orders full-restore.md (critical first within each step). */
  readonly classification: Classification;
  /** For pattern assets: what matches and what is left out. */
  readonly selector?: { readonly include: readonly string[]; readonly exclude: readonly string[] };
  /** One line (it fills a cell of REVIEW.md's copies table), also added to its inventory entries' notes. */
  readonly notes?: string;
  /**
   * The name of this asset's entries in the inventory, when an inventory older than this
   * program already tracks it under that name (renaming would track it twice).
   */
  readonly inventoryName?: string;
  /** Construct that declared it (`home/HomeAssistantBackup`); a second declaration of the id is an error naming it. */
  readonly constructPath: string;
}

/** A status tool (BackupStatus) that checks artifacts where they lie. */
export interface StatusToolRecord {
  /** The hosts it is installed on; undefined: every managed host holding artifacts. */
  readonly hosts?: readonly string[];
  /** Whether it sends its findings anywhere (ntfy, Apprise) or only writes metrics. */
  readonly notifies: boolean;
  /** The BackupStatus construct (`home/Status`); a second status tool on the same hosts is an error naming it. */
  readonly constructPath: string;
}

/** A place copies land. */
export interface TargetRecord {
  /** Unique in the site, e.g. `pve-storage:proxmox-home:synology-backups`. */
  readonly id: string;
  /** Shown in REVIEW.md, runbooks and alerts (`backup disk /mnt/backup on pve`, `synology-backups on proxmox-home`). */
  readonly name: string;
  /** 3-2-1 counts distinct media across an asset's copies, the live data counting as `source-disk`. */
  readonly medium: Medium;
  /**
   * An `off-site` copy meets the off-site part of 3-2-1 and adds 4 hours to the RTO estimate; the protection diff flags a
   * copy moved on-site.
   */
  readonly location: Location;
  /**
   * Machine it is reached from, by name: a site host (`pve`; for a Proxmox storage the node that names it, even when the bytes
   * sit on a NAS or PBS) or one this program does not manage (`synology`). Undefined (a remote borg repository, a Kubernetes
   * claim): no disk-full alert, and the runbook says to check its space where it lives.
   */
  readonly host?: string;
  /** Where artifacts appear on `host` (for inventory and status checks). */
  readonly path?: string;
  /** The filesystem the target lives on, as node-exporter reports it (`mountpoint`). */
  readonly mountPoint?: string;
  /** Construct that registered it (`homelab/DailyBackup`); others writing to the same target id reuse this record. */
  readonly constructPath: string;
}

/** Where and how to find a copy's newest artifact (the seeds' `file_glob` inventory entry). */
export interface ArtifactLocation {
  /**
   * Machine holding the files (`pve`, `synology-nas`): only a site host running BackupStatus checks them, and each host's
   * inventory.tsv lists only its own entries.
   */
  readonly host: string;
  /** Absolute folder the glob is matched in (`/mnt/pve/synology-backups/dump`). */
  readonly basePath: string;
  /**
   * File pattern relative to basePath (`vzdump-qemu-100-*.vma.zst`); each `/` in it matches one folder deeper. The newest
   * match by modification time gives the copy's age.
   */
  readonly glob: string;
}

/** One copy of one asset made by one job. */
export interface CopyRecord {
  /** `<job id>:<asset id>` (`nightly-vm100:guest:pve:100`); a copy of a copy is `<job id>:<source copy id>`. */
  readonly id: string;
  /** Asset id; a copy of a copy names the original asset. */
  readonly asset: string;
  /** Set when this copy is made from another copy (an offsite sync of a file backup). */
  readonly derivedFrom?: string;
  /** Id of the job that makes it; its worst-case age (RPO) follows from that job's schedule period and expected duration. */
  readonly job: string;
  /** Target id it lands on; the target's medium and location decide what the copy counts for under 3-2-1. */
  readonly target: string;
  /** Picks its protection-matrix column and RTO estimate; a copy of a copy keeps its source's layer. */
  readonly layer: Layer;
  /** Human form, e.g. `keep-last=3`, `14 days`, `latest only`, `managed by <tool>`, `keep-all (no pruning)`. */
  readonly retention: string;
  /**
   * Where its newest file is found: gives it an inventory entry and a status check. Undefined when there is no file to look
   * at (a PBS datastore, a borg repository, an LVM snapshot, an all-guests job's undeclared guests).
   */
  readonly artifact?: ArtifactLocation;
}

/** One series group a job pushes, in the site's metric scheme. */
export interface SignalRecord {
  /** The `backup_job` label: the job whose outcome it reports (a PBS report job pushes the series of the PBS jobs it reads). */
  readonly job: string;
  /**
   * The `host` label: the host the job runs on, or a CronJob's cluster name (`k8s`). Alerts select on it, so a job moved to
   * another host does not read the frozen series it left on the old one.
   */
  readonly host: string;
  /** A Pushgateway group or a node-exporter `*.prom` file on `host`: the site's sink, except Kubernetes CronJobs, which always push. */
  readonly sink: 'pushgateway' | 'textfile';
  /** The Pushgateway group's URL with its grouping key (`http://…:30091/metrics/job/<job>/backup_job/<job>/site/<site>/host/<host>`), or the textfile's path. */
  readonly destination: string;
  /** Every label of the group's series: `backup_job`, `site`, `host`, and `guest` (the vmid) for a vzdump job's per-guest series. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Metric names the group carries (`backup_last_success_timestamp_seconds`); an alert watching a metric that no signal
   * lists (and node-exporter does not provide) fails the synth.
   */
  readonly metrics: readonly string[];
}

/** A job: something that runs on a schedule (or outside our control) and makes copies. */
export interface JobRecord {
  /**
   * Unique in the site (`daily-backup`, `nightly-vm100`): the `backup_job` label of its metrics and its runbook's name
   * (`runbooks/<id>.md`); a host job's units are `bc-<id>.service`/`.timer`, a vzdump job's jobs.cfg id is this id.
   */
  readonly id: string;
  /**
   * What runs it (`vzdump`, `file-backup`, `app-dump:mysql`, `external`, `restore-drill`, `collector`). Readers test `vzdump`
   * (node lock, Proxmox task log), `external` (nothing installed, no metrics expected) and `restore-drill` (drill checks).
   */
  readonly kind: string;
  /**
   * Where it runs (`pve`); for a CronJob the cluster name (`k8s`), for an external job the machine holding its artifacts
   * (`synology-nas`), which need not be a site host. Undefined: shown as `-` and left off the timeline.
   */
  readonly host?: string;
  /** Construct that registered it (`homelab/DailyBackup/Job`): the subject of its `ordering`, `stale-threshold`, `monitored` findings. */
  readonly constructPath: string;
  /**
   * False only for a VzdumpJob (jobs.cfg `enabled 0`) or ExternalBackup declared `enabled: false`: the status tool reports
   * its artifacts as disabled, manual checks skip it, the protection diff flags the change. Its alerts are derived all the same.
   */
  readonly enabled: boolean;
  /** Undefined for jobs that another tool schedules. */
  readonly schedule?: Record<string, unknown>;
  /**
   * Schedule in words (`daily at 05:00`, `Sun at 01:00`, `by HA built-in backup`, `continuous (...)`); the protection
   * diff reports any change of it as a schedule change.
   */
  readonly scheduleHuman: string;
  /**
   * Seconds a run is expected to take (3600 unless the stack says; 0 for external jobs and watchers): the run window of the
   * `ordering` and `contention` rules, the length of calendar and timeline entries, and part of the RPO.
   */
  readonly expectedDurationSeconds: number;
  /**
   * Hours without a success before the job is stale, fractional allowed: its Stale alert's threshold, NeverRan's `for`, and
   * its artifacts' inventory threshold. Unless the stack sets it: one schedule period plus the larger of the expected
   * duration and 2 hours (26 for a daily job).
   */
  readonly staleAfterHours: number;
  /** Whether staleAfterHours was set by the stack rather than derived. */
  readonly staleAfterExplicit: boolean;
  /** What the schedule alone would give (one period plus a margin), shown beside an explicit value. */
  readonly derivedStaleAfterHours?: number;
  /** PascalCase stem of the job's alert names (`WeeklyBackup` gives `WeeklyBackupStale`). */
  readonly alertName: string;
  /** How to restore what this job copies: shell steps for its runbook, per asset where they differ. */
  readonly restore?: readonly RestoreStep[];
  /** Commands on the job's host that show its recent runs and their logs (the runbook's first check). */
  readonly runLog?: readonly string[];
  /**
   * Ids of jobs whose output this one reads, which must finish first: the `ordering` rule checks its start times against
   * theirs, and `contention` never pairs it with them. A host job also gets systemd `After=` on their units.
   */
  readonly after: readonly string[];
  /**
   * Target ids it writes to or prunes (`pve-storage:pve:backup-hdd`); empty for checks, collectors and watchers. Two jobs
   * sharing a target in overlapping run windows get a `contention` finding.
   */
  readonly writesTo: readonly string[];
  /** `critical` makes its Stale, Failing and NeverRan alerts critical; `important` and `rebuildable` make them warnings. */
  readonly classification: Classification;
  /** One line: it opens the job's runbook and fills its calendar event and its artifacts' inventory notes. */
  readonly description: string;
  /** Assets this job proves restorable (a restore drill): its last success is when each last was. */
  readonly verifies?: readonly string[];
  /**
   * The job this one is a step of: it runs inside that job's run (no timer of its own, never
   * beside it) and reports its own outcome under its own id.
   */
  readonly partOf?: string;
}

/** A machine the site installs files on or configures. */
export interface HostRecord {
  /**
   * Lower-case (`proxmox-home`, `pve`), unique in the site: other records name the host by it, and it names
   * `review/hosts/<name>/` and the `host` label of its jobs' metrics.
   */
  readonly name: string;
  /**
   * What SSH connects to, a LAN address or DNS name (`10.0.0.50`). With `port` it identifies the machine: another site at the
   * same address and port gets `shared-machine` warnings. Without a node-exporter selector for the host, disk-full alerts
   * match `instance` on the name or this address.
   */
  readonly address: string;
  /** `proxmox` for a PveHost (storages and vzdump jobs are applied there with pvesm/pvesh), `linux` for any other host. */
  readonly kind: 'linux' | 'proxmox';
  /** SSH login user (`root` by default). */
  readonly user: string;
  /** SSH port (22 by default). */
  readonly port: number;
  /**
   * IANA zone as tzdata spells it (`Europe/Prague`), the host's own or else the site's; undefined: unknown, so schedules are
   * read in UTC for reports and its calendar events float in the reader's local time.
   */
  readonly timeZone?: string;
  /** Being taken out of service: its sweep removes everything the site installed there. */
  readonly retired?: true;
  /** Construct that declared the host (`home/ProxmoxHome`). */
  readonly constructPath: string;
}

/** A file installed on a host; `block` files are managed lines inside a shared file. */
export interface HostFileRecord {
  /** Host name (`pve`); host and path identify a whole file, and a second construct installing it there is an error. */
  readonly host: string;
  /** Absolute path on the host (`/etc/systemd/system/bc-daily-backup.service`), shown as `review/hosts/<host><path>`. */
  readonly path: string;
  /** Octal (`0644`; `0755` for scripts, `0600` for secrets). A block ignores mode and owner: the shared file keeps its own. */
  readonly mode: string;
  /** `user:group` (`root:root`). */
  readonly owner: string;
  /** Exactly what is written, for a block its marker lines included; model.json carries only its sha256. */
  readonly content: string;
  /**
   * `file`: the whole file, one construct owns it. `block`: lines in a shared file (/etc/fstab) between the marker lines
   * `# BEGIN backup-constructs <constructPath>` and `# END ...`, by which a later install finds and replaces them.
   */
  readonly kind: 'file' | 'block';
  /** Construct that installs it (`homelab/DailyBackup/Job`); a block's marker lines name it. */
  readonly constructPath: string;
}

/** A section in a Proxmox cluster config file, in the order Proxmox writes its keys. */
export interface PveSectionRecord {
  /** Proxmox node name (`proxmox-home`); host, file and id identify the section in the site. */
  readonly host: string;
  /** In /etc/pve: storages in `storage.cfg`, vzdump jobs in `jobs.cfg`; applied entry by entry with pvesm/pvesh, never as a whole file. */
  readonly file: 'storage.cfg' | 'jobs.cfg';
  /** The section header's type: a storage type (`dir`, `nfs`, `cifs`, `pbs`, `zfspool`) or `vzdump` for a backup job. */
  readonly type: string;
  /** Storage id or job id (`synology-backups`, `backup-home-p0-daily`); a vzdump job's section id is its job id. */
  readonly id: string;
  /**
   * `[key, value]` pairs as the file holds them (`['prune-backups', 'keep-last=3']`); a job's `comment` stays percent-encoded
   * as jobs.cfg keeps it. Policy packs read keys from them (`compress`).
   */
  readonly properties: readonly (readonly [string, string])[];
  /** The `pvesm add` / `pvesh create` line that creates it. */
  readonly createCommand: string;
  /** Construct that manages it (`home/P0Daily`); the subject of `shared-machine` warnings about it. */
  readonly constructPath: string;
}

/** A policy or consistency finding shown in the summary and REVIEW.md. */
export interface FindingRecord {
  /**
   * An `error` from a policy rule fails the synth (a strict policy makes 3-2-1 shortfalls errors); constructs raise
   * warnings and info, which are only reported.
   */
  readonly severity: 'error' | 'warning' | 'info';
  /** Id of the policy rule or construct check that raised it (`3-2-1`, `contention`, `idle-host`); waivers of policy findings name it. */
  readonly rule: string;
  /**
   * What it is about: an asset id (`guest:pve:100`), a construct path (`homelab/DailyBackup/Job`), a site, or two jobs
   * (`<job>+<job>`). A waiver names it exactly, or `*`; the protection diff tells new findings by rule and subject.
   */
  readonly subject: string;
  /** One sentence without a closing period: REVIEW.md appends `. Fix: <fix>.` */
  readonly message: string;
  /**
   * What to change, without a closing period. More than 5 findings with the same severity, rule and fix are shown as one
   * group that says the fix once.
   */
  readonly fix: string;
}

/** A choice a stack made where its sources disagree, with the reason. */
export interface DecisionRecord {
  /** What the choice is about, a few words shown in bold in REVIEW.md (`nfs-mirror schedule`, `storage synology-backups`). */
  readonly subject: string;
  /** What the stack does (`daily 06:00, after daily-backup (systemd After=)`). */
  readonly decision: string;
  /**
   * Why: which sources disagree and why one wins (`seed 002's components table ... say 06:00; only the Sunday timeline
   * diagram says 08:00`).
   */
  readonly reason: string;
}

/**
 * An alert a construct asks for beyond the per-job ones (thin pool low, integrity failing),
 * with the metric it watches so coverage can be checked.
 */
export interface AlertSpecRecord {
  /** PascalCase (`LVMThinPoolLow`), unique in the site (a second one is a synth error); also names its runbook `runbooks/<name>.md`. */
  readonly name: string;
  /** PromQL ending in a comparison (`... < 0.15`): REVIEW.md's threshold column is that comparison, cut from the end. */
  readonly expr: string;
  /** How long the condition must hold before it fires (`30m`, `1h`, `0m`); its promtool cases are evaluated once that has passed. */
  readonly for: string;
  /** `critical` goes to the critical receiver, unless the site names its critical alerts instead (`criticalAlerts`). */
  readonly severity: 'warning' | 'critical';
  /** One line: the `summary` annotation, also listed in the runbook of the job its `backup_job` label names. */
  readonly summary: string;
  /** The `description` annotation; it also opens the alert's runbook. */
  readonly description: string;
  /** Metrics the expression reads; every one must be pushed by some job or exporter. */
  readonly watches: readonly string[];
  /** Extra labels (e.g. backup_job) the alert carries. */
  readonly labels: Readonly<Record<string, string>>;
  /** Runbook body (markdown) for this alert. */
  readonly runbook: string;
  /**
   * A series set that makes it fire and one that keeps it silent, for promtool tests. A value
   * given as a plain number (`'0.05'`) is held until the evaluation time.
   */
  readonly test: {
    /** Input series (`metric{labels}` and a promtool values string) under which it must fire. */
    readonly firing: readonly { series: string; values: string }[];
    /** Input series under which it must stay silent. */
    readonly silent: readonly { series: string; values: string }[];
    /** Labels the firing alert carries beyond its own. */
    readonly firingLabels: Readonly<Record<string, string>>;
  };
  /** Construct that asked for the alert (`homelab/LvmPvcSnapshot`). */
  readonly constructPath: string;
}

/** Shell commands that restore one asset (or, without `asset`, apply to the whole job). */
export interface RestoreStep {
  /**
   * Asset id it restores (`guest:pve:100`): full-restore.md shows a step only under its asset. Undefined: the step applies
   * to the whole job and appears in the job's runbook only.
   */
  readonly asset?: string;
  /** One line: the step's heading in the job's runbook, bold in full-restore.md; with the notes it carries the safety steps. */
  readonly title: string;
  /** What to know before running the commands (when, what they prove), shown above them. */
  readonly notes?: readonly string[];
  /**
   * Shell lines shown as one `sh` block, in order; `<placeholders>` (`<UPID>`, `<pvc-lv>`) are for the operator to fill in.
   * Empty: the title and notes say all there is (`nothing to restore: ...`).
   */
  readonly commands: readonly string[];
}

/**
 * A Kubernetes object a construct manages, rendered as the manifest a reviewer reads under
 * `review/k8s/<namespace>/<kind>-<name>.yaml` (`_cluster` for cluster-scoped objects).
 */
export interface K8sObjectRecord {
  /** As in the manifest (`v1`, `batch/v1` for a CronJob, `apps/v1`). */
  readonly apiVersion: string;
  /** Kubernetes kind (`CronJob`, `PersistentVolumeClaim`); lower-cased, it starts the review file's name. */
  readonly kind: string;
  /**
   * `metadata.name` (`dbaas-mysql-backup`); kind, namespace and name are unique in the site, and another site managing the
   * same three gets a `shared-cluster-object` warning.
   */
  readonly name: string;
  /** Undefined for cluster-scoped objects (PersistentVolume). */
  readonly namespace?: string;
  /** The manifest as YAML, with the generated header. */
  readonly content: string;
  /** Construct that manages it (`homelab/MysqlBackupVolume`); the subject of `shared-cluster-object` warnings. */
  readonly constructPath: string;
}
