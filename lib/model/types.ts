import type { AssetKind, Classification, Layer, Location, Medium } from './vocabulary';

/** Something the site protects. An asset found by a pattern is one asset with a selector. */
export interface AssetRecord {
  /** Unique in the site, e.g. `guest:proxmox-home:100`, `pvc-set:pve:vm-*-pvc-*`. */
  readonly id: string;
  readonly kind: AssetKind;
  readonly name: string;
  readonly host?: string;
  readonly classification: Classification;
  /** For pattern assets: what matches and what is left out. */
  readonly selector?: { readonly include: readonly string[]; readonly exclude: readonly string[] };
  readonly notes?: string;
  /**
   * The name of this asset's entries in the inventory, when an inventory older than this
   * program already tracks it under that name (renaming would track it twice).
   */
  readonly inventoryName?: string;
  readonly constructPath: string;
}

/** A status tool (BackupStatus) that checks artifacts where they lie. */
export interface StatusToolRecord {
  /** The hosts it is installed on; undefined: every managed host holding artifacts. */
  readonly hosts?: readonly string[];
  /** Whether it sends its findings anywhere (ntfy, Apprise) or only writes metrics. */
  readonly notifies: boolean;
  readonly constructPath: string;
}

/** A place copies land. */
export interface TargetRecord {
  /** Unique in the site, e.g. `pve-storage:proxmox-home:synology-backups`. */
  readonly id: string;
  readonly name: string;
  readonly medium: Medium;
  readonly location: Location;
  readonly host?: string;
  /** Where artifacts appear on `host` (for inventory and status checks). */
  readonly path?: string;
  /** The filesystem the target lives on, as node-exporter reports it (`mountpoint`). */
  readonly mountPoint?: string;
  readonly constructPath: string;
}

/** Where and how to find a copy's newest artifact (the seeds' `file_glob` inventory entry). */
export interface ArtifactLocation {
  readonly host: string;
  readonly basePath: string;
  readonly glob: string;
}

/** One copy of one asset made by one job. */
export interface CopyRecord {
  readonly id: string;
  readonly asset: string;
  /** Set when this copy is made from another copy (an offsite sync of a file backup). */
  readonly derivedFrom?: string;
  readonly job: string;
  readonly target: string;
  readonly layer: Layer;
  /** Human form, e.g. `keep-last=3`, or `- (not managed here)`. */
  readonly retention: string;
  readonly artifact?: ArtifactLocation;
}

/** One series group a job pushes, in the site's metric scheme. */
export interface SignalRecord {
  readonly job: string;
  readonly host: string;
  readonly sink: 'pushgateway' | 'textfile';
  /** Pushgateway path or textfile path. */
  readonly destination: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly metrics: readonly string[];
}

/** A job: something that runs on a schedule (or outside our control) and makes copies. */
export interface JobRecord {
  readonly id: string;
  readonly kind: string;
  readonly host?: string;
  readonly constructPath: string;
  readonly enabled: boolean;
  /** Undefined for jobs that another tool schedules. */
  readonly schedule?: Record<string, unknown>;
  readonly scheduleHuman: string;
  readonly expectedDurationSeconds: number;
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
  readonly after: readonly string[];
  readonly writesTo: readonly string[];
  readonly classification: Classification;
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
  readonly name: string;
  readonly address: string;
  readonly kind: 'linux' | 'proxmox';
  readonly user: string;
  readonly port: number;
  readonly timeZone?: string;
  /** Being taken out of service: its sweep removes everything the site installed there. */
  readonly retired?: true;
  readonly constructPath: string;
}

/** A file installed on a host; `block` files are managed lines inside a shared file. */
export interface HostFileRecord {
  readonly host: string;
  readonly path: string;
  readonly mode: string;
  readonly owner: string;
  readonly content: string;
  readonly kind: 'file' | 'block';
  readonly constructPath: string;
}

/** A section in a Proxmox cluster config file, in the order Proxmox writes its keys. */
export interface PveSectionRecord {
  readonly host: string;
  readonly file: 'storage.cfg' | 'jobs.cfg';
  readonly type: string;
  readonly id: string;
  readonly properties: readonly (readonly [string, string])[];
  /** The `pvesm add` / `pvesh create` line that creates it. */
  readonly createCommand: string;
  readonly constructPath: string;
}

/** A policy or consistency finding shown in the summary and REVIEW.md. */
export interface FindingRecord {
  readonly severity: 'error' | 'warning' | 'info';
  readonly rule: string;
  readonly subject: string;
  readonly message: string;
  readonly fix: string;
}

/** A choice a stack made where its sources disagree, with the reason. */
export interface DecisionRecord {
  readonly subject: string;
  readonly decision: string;
  readonly reason: string;
}

/**
 * An alert a construct asks for beyond the per-job ones (thin pool low, integrity failing),
 * with the metric it watches so coverage can be checked.
 */
export interface AlertSpecRecord {
  readonly name: string;
  readonly expr: string;
  readonly for: string;
  readonly severity: 'warning' | 'critical';
  readonly summary: string;
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
    readonly firing: readonly { series: string; values: string }[];
    readonly silent: readonly { series: string; values: string }[];
    /** Labels the firing alert carries beyond its own. */
    readonly firingLabels: Readonly<Record<string, string>>;
  };
  readonly constructPath: string;
}

/** Shell commands that restore one asset (or, without `asset`, apply to the whole job). */
export interface RestoreStep {
  readonly asset?: string;
  readonly title: string;
  /** What to know before running the commands (when, what they prove), shown above them. */
  readonly notes?: readonly string[];
  readonly commands: readonly string[];
}

/**
 * A Kubernetes object a construct manages, rendered as the manifest a reviewer reads under
 * `review/k8s/<namespace>/<kind>-<name>.yaml` (`_cluster` for cluster-scoped objects).
 */
export interface K8sObjectRecord {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** Undefined for cluster-scoped objects (PersistentVolume). */
  readonly namespace?: string;
  /** The manifest as YAML, with the generated header. */
  readonly content: string;
  readonly constructPath: string;
}
