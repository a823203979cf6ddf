import { deriveAlerts } from '../alerts/derive-alerts';
import { BackupConfigError } from '../errors';
import { DEFAULT_POLICY_PACK } from '../policy/default-pack';
import { evaluatePolicies, PolicyOutcome, PolicyPack, WaiverRecord } from '../policy/policy';
import type {
  AlertSpecRecord,
  AssetRecord,
  CopyRecord,
  DecisionRecord,
  FindingRecord,
  HostFileRecord,
  HostRecord,
  JobRecord,
  K8sObjectRecord,
  PveSectionRecord,
  SignalRecord,
  StatusToolRecord,
  TargetRecord,
} from './types';

/** Where jobs report their metrics. */
export type MetricsSinkConfig =
  | { readonly kind: 'pushgateway'; readonly url: string; readonly persistence?: boolean }
  | { readonly kind: 'textfile'; readonly directory: string };

/** Site-wide settings every construct reads. */
export interface SiteSettings {
  readonly metrics: MetricsSinkConfig;
  /** @default - hosts run in their own zone */
  readonly timeZone?: string;
  /**
   * How host changes are applied: `null_resource` (hashicorp/null provider) or Terraform's
   * built-in `terraform_data` (no provider download).
   * @default 'null_resource'
   */
  readonly delivery?: 'null_resource' | 'terraform_data';
}

/** How a site's alerts are derived and where runbooks live (set by BackupAlertRules). */
export interface AlertingSettings {
  /** Prefix of every runbook_url; a runbook `<name>.md` is appended. */
  readonly runbookBaseUrl: string;
  /** Rule group name; also names `review/prometheus/<group>.rules.yml`. */
  readonly group: string;
  /** Stale alerts wait this long before firing. */
  readonly staleFor: string;
  /** Failing alerts wait this long before firing. */
  readonly failingFor: string;
  /** Alert when a backup target's filesystem is fuller than this fraction. */
  readonly diskFullRatio: number;
  /** Name of that alert. */
  readonly diskFullAlertName: string;
  /** Receiver for backup alerts, and for critical ones, in the Alertmanager route. */
  readonly receiver: string;
  readonly criticalReceiver: string;
  /** Alerts routed to criticalReceiver by name; undefined: by severity. */
  readonly criticalAlerts?: readonly string[];
  /** Labels that select each host's node-exporter series, by host name. */
  readonly nodeExporterSelectors: Readonly<Record<string, string>>;
  /** False when the rules are rendered for review only: then they alert nobody. */
  readonly deployed: boolean;
  readonly constructPath: string;
  /** Set when the rules are not deployed and the site is checked by hand: renders `runbooks/manual-checks.md`. */
  readonly manualChecks?: { readonly reason: string };
}

/** A check across constructs, run at synth; returns messages already naming path and field. */
export type CrossCheck = (model: SiteModel) => string[];

/**
 * The registry every construct writes to: what is protected, where copies land, when jobs
 * run and what they report. Alerts, inventory, calendar, REVIEW.md and policy checks are
 * all read from here. Pure data: no Terraform resources.
 */
export class SiteModel {
  readonly site: string;
  settings: SiteSettings;
  private readonly assetMap = new Map<string, AssetRecord>();
  private readonly targetMap = new Map<string, TargetRecord>();
  private readonly copyMap = new Map<string, CopyRecord>();
  private readonly jobMap = new Map<string, JobRecord>();
  private readonly hostMap = new Map<string, HostRecord>();
  private readonly signalList: SignalRecord[] = [];
  private readonly fileMap = new Map<string, HostFileRecord>();
  private readonly sectionMap = new Map<string, PveSectionRecord>();
  private readonly findingList: FindingRecord[] = [];
  private readonly checks: CrossCheck[] = [];
  private readonly decisionList: DecisionRecord[] = [];
  private readonly statusToolList: StatusToolRecord[] = [];
  private readonly alertSpecList: AlertSpecRecord[] = [];
  private readonly k8sObjectMap = new Map<string, K8sObjectRecord>();
  private alertingSettings: AlertingSettings | undefined;
  /** Set by BackupAlertRules: how this site's alerts are derived and delivered. */
  get alerting(): AlertingSettings | undefined {
    return this.alertingSettings;
  }
  set alerting(a: AlertingSettings | undefined) {
    this.alertingSettings = a;
    this.version++;
  }
  private readonly packs: PolicyPack[] = [DEFAULT_POLICY_PACK];
  private readonly waiverList: WaiverRecord[] = [];
  /** Set by BackupDashboard: render review/grafana/<site>.json. */
  dashboard = false;
  /** Under a strict policy, rules that warn by default (3-2-1) fail the synth. */
  strictPolicy = false;
  /** Counts changes, so derived views (the policy outcome) are computed once per state. */
  private version = 0;
  private cachedOutcome: { version: number; strict: boolean; outcome: PolicyOutcome } | undefined;

  constructor(site: string, settings: SiteSettings) {
    this.site = site;
    this.settings = settings;
  }

  /** @param clash the prop that names the asset and how to fix a second registration */
  addAsset(a: AssetRecord, clash?: { field: string; hint: string }): AssetRecord {
    this.version++;
    return this.put(this.assetMap, a.id, a, 'asset', a.constructPath, clash);
  }
  /** @param clash the prop that names the target and how to fix a second registration */
  addTarget(t: TargetRecord, clash?: { field: string; hint: string }): TargetRecord {
    this.version++;
    return this.put(this.targetMap, t.id, t, 'target', t.constructPath, clash);
  }
  addCopy(c: CopyRecord, constructPath: string): CopyRecord {
    this.version++;
    return this.put(this.copyMap, c.id, c, 'copy', constructPath);
  }
  addJob(j: JobRecord): JobRecord {
    this.version++;
    return this.put(this.jobMap, j.id, j, 'job', j.constructPath, this.jobIdClash(j.id, j.host));
  }
  /**
   * Throws the error addJob would throw for this id, before a construct installs files named
   * after the job (else the first error names a file path instead of the job id).
   * @param clash the prop that names the job and how to fix a second registration
   */
  checkJobIdFree(id: string, constructPath: string, clash: { field: string; hint: string } = JOB_CLASH): void {
    if (this.jobMap.has(id)) this.put(this.jobMap, id, this.jobMap.get(id)!, 'job', constructPath, clash);
  }
  /**
   * What to say when a job of `host` wants an id another job holds: when that job runs on
   * another host (a construct's default id, used on a second host), an id carrying the
   * host that is still free.
   * @param field the prop that sets the id
   */
  jobIdClash(id: string, host: string | undefined, field = 'jobId'): { field: string; hint: string } {
    const holder = this.jobMap.get(id);
    if (host === undefined) return { field, hint: JOB_CLASH.hint };
    const suggestion = `${id}-${host}`;
    const free = holder !== undefined && holder.host !== host && /^[a-z][a-z0-9-]{0,62}[a-z0-9]$/.test(suggestion) && !this.jobMap.has(suggestion);
    return free ? { field, hint: `${JOB_CLASH.hint}, e.g. ${field}: '${suggestion}' for the one on ${host}` } : { field, hint: JOB_CLASH.hint };
  }
  addHost(h: HostRecord): HostRecord {
    this.version++;
    return this.put(this.hostMap, h.name, h, 'host', h.constructPath, { field: 'name', hint: 'host names name review folders and metrics; give each host its own' });
  }
  addSignal(s: SignalRecord): void {
    this.version++;
    this.signalList.push(s);
  }
  addHostFile(f: HostFileRecord): void {
    this.version++;
    // Several constructs may each own a block of a shared file; a whole file has one owner.
    const key = f.kind === 'block' ? `${f.host}:${f.path}#${f.constructPath}` : `${f.host}:${f.path}`;
    const other = this.fileMap.get(key) ?? [...this.fileMap.values()].find((o) => o.host === f.host && o.path === f.path && o.kind !== f.kind);
    if (other) {
      throw new BackupConfigError(f.constructPath, [
        { field: 'path', message: `${f.path} on host ${f.host} is already installed by ${other.constructPath}`, hint: 'two constructs must not own the same file; give one of them another path' },
      ]);
    }
    this.fileMap.set(key, f);
  }
  addPveSection(s: PveSectionRecord): void {
    this.version++;
    this.put(this.sectionMap, `${s.host}:${s.file}:${s.id}`, s, `${s.file} section`, s.constructPath);
  }
  addFinding(f: FindingRecord): void {
    this.version++;
    this.findingList.push(f);
  }
  /** An alert a construct needs beyond the per-job Stale/Failing/NeverRan ones. */
  addAlertSpec(a: AlertSpecRecord): void {
    this.version++;
    if (this.alertSpecList.some((x) => x.name === a.name)) {
      throw new BackupConfigError(a.constructPath, [{ field: 'alert', message: `alert ${a.name} is already defined in site ${this.site}`, hint: 'give each alert a unique name' }]);
    }
    this.alertSpecList.push(a);
  }
  /** A Kubernetes object; two constructs managing the same kind, namespace and name is an error. */
  addK8sObject(o: K8sObjectRecord): void {
    this.version++;
    this.put(this.k8sObjectMap, `${o.namespace ?? ''}/${o.kind}/${o.name}`, o, `Kubernetes ${o.kind}`, o.constructPath, { field: 'name', hint: 'Kubernetes objects are unique by kind, namespace and name; rename one' });
  }
  get k8sObjects(): K8sObjectRecord[] {
    return this.sortedValues(this.k8sObjectMap);
  }
  get alertSpecs(): AlertSpecRecord[] {
    return [...this.alertSpecList].sort((a, b) => compare(a.name, b.name));
  }

  /** Records a choice the stack made (a seed contradiction resolved), shown in REVIEW.md. */
  addDecision(d: DecisionRecord): void {
    this.version++;
    this.decisionList.push(d);
  }
  get decisions(): DecisionRecord[] {
    return [...this.decisionList];
  }
  /** A status tool of the site (BackupStatus). */
  addStatusTool(t: StatusToolRecord): void {
    this.version++;
    this.statusToolList.push(t);
  }
  get statusTools(): StatusToolRecord[] {
    return [...this.statusToolList];
  }
  /**
   * The host whose status tool checks an artifact on `host` and is heard (it notifies, or the
   * site's alert rules are deployed), if any: the tool runs where the files are, so an
   * artifact on a machine this program does not manage (a NAS) is unchecked.
   */
  statusCheckerOf(host: string): string | undefined {
    if (!this.host(host)) return undefined;
    // a tool nobody hears from (no notifications, no deployed alert on its metrics) watches nothing
    const heard = (t: StatusToolRecord) => t.notifies || this.alerting?.deployed === true;
    return this.statusToolList.some((t) => (!t.hosts || t.hosts.includes(host)) && heard(t)) ? host : undefined;
  }
  addCheck(check: CrossCheck): void {
    this.checks.push(check);
  }

  /** Turns on a policy pack (the default pack is always on). */
  addPolicyPack(pack: PolicyPack): void {
    this.version++;
    if (!this.packs.some((p) => p.name === pack.name)) this.packs.push(pack);
  }
  get policyPacks(): readonly PolicyPack[] {
    return this.packs;
  }

  /** Silences one finding (or every finding of a rule with subject `*`); REVIEW.md shows the reason. */
  waive(w: WaiverRecord): void {
    this.version++;
    if (!w.reason || w.reason.trim().length < 3) {
      throw new BackupConfigError(this.site, [{ field: 'waiver.reason', message: `expected a reason for waiving ${w.rule} on ${w.subject}, got ${JSON.stringify(w.reason)}`, hint: 'say why, e.g. "regenerable media"' }]);
    }
    this.waiverList.push(w);
  }
  get waivers(): readonly WaiverRecord[] {
    return this.waiverList;
  }

  /** Every policy pack's findings, waivers applied. */
  policyOutcome(): PolicyOutcome {
    const c = this.cachedOutcome;
    if (c && c.version === this.version && c.strict === this.strictPolicy) return c.outcome;
    const outcome = evaluatePolicies(this, { strict: this.strictPolicy, packs: this.packs, waivers: this.waiverList });
    this.cachedOutcome = { version: this.version, strict: this.strictPolicy, outcome };
    return outcome;
  }

  /** Findings from constructs and from policies, errors first. */
  allFindings(): FindingRecord[] {
    const rank = { error: 0, warning: 1, info: 2 };
    return [...this.findings, ...this.policyOutcome().findings].sort((a, b) => rank[a.severity] - rank[b.severity] || compare(a.subject + a.rule, b.subject + b.rule));
  }

  /** Runs every cross-construct check and the policies; each message names site, subject and rule. */
  validate(): string[] {
    const checks = this.checks.flatMap((check) => check(this));
    // an error is an error whoever found it: a policy rule or a construct
    const policy = [...this.findings, ...this.policyOutcome().findings]
      .filter((f) => f.severity === 'error')
      .map((f) => `[${f.subject}] ${f.rule}: ${f.message} (fix: ${f.fix})`);
    return [...checks, ...policy].map((m) => (m.startsWith(`[${this.site}`) ? m : `[${this.site}] ${m}`));
  }

  asset(id: string): AssetRecord | undefined {
    return this.assetMap.get(id);
  }
  target(id: string): TargetRecord | undefined {
    return this.targetMap.get(id);
  }
  job(id: string): JobRecord | undefined {
    return this.jobMap.get(id);
  }
  host(name: string): HostRecord | undefined {
    return this.hostMap.get(name);
  }
  copy(id: string): CopyRecord | undefined {
    return this.copyMap.get(id);
  }

  get assets(): AssetRecord[] {
    return this.sortedValues(this.assetMap);
  }
  get targets(): TargetRecord[] {
    return this.sortedValues(this.targetMap);
  }
  get copies(): CopyRecord[] {
    return this.sortedValues(this.copyMap);
  }
  get jobs(): JobRecord[] {
    return this.sortedValues(this.jobMap);
  }
  get hosts(): HostRecord[] {
    return this.sortedValues(this.hostMap);
  }
  get signals(): SignalRecord[] {
    return [...this.signalIndex().values];
  }
  private sortedSignals: { size: number; values: SignalRecord[]; byJob: Map<string, SignalRecord[]> } | undefined;
  private signalIndex(): { values: SignalRecord[]; byJob: Map<string, SignalRecord[]> } {
    if (this.sortedSignals?.size !== this.signalList.length) {
      const values = [...this.signalList].sort((a, b) => compare(`${a.job} ${a.destination}`, `${b.job} ${b.destination}`));
      const byJob = new Map<string, SignalRecord[]>();
      for (const s of this.signalList) pushTo(byJob, s.job, s);
      this.sortedSignals = { size: this.signalList.length, values, byJob };
    }
    return this.sortedSignals;
  }
  get hostFiles(): HostFileRecord[] {
    return this.sortedValues(this.fileMap);
  }
  get pveSections(): PveSectionRecord[] {
    return this.sortedValues(this.sectionMap);
  }
  get findings(): FindingRecord[] {
    const rank = { error: 0, warning: 1, info: 2 };
    return [...this.findingList].sort((a, b) => rank[a.severity] - rank[b.severity] || compare(a.subject + a.rule, b.subject + b.rule));
  }

  /** Copies of an asset, including copies of those copies. */
  copiesOf(assetId: string): CopyRecord[] {
    return this.copyIndex().byAsset.get(assetId) ?? [];
  }

  /** The copies a job makes. */
  copiesBy(jobId: string): CopyRecord[] {
    return this.copyIndex().byJob.get(jobId) ?? [];
  }

  /** Signals of one job. */
  signalsOf(jobId: string): SignalRecord[] {
    return [...(this.signalIndex().byJob.get(jobId) ?? [])];
  }

  private indexedCopies: { size: number; byAsset: Map<string, CopyRecord[]>; byJob: Map<string, CopyRecord[]> } | undefined;

  /** Rebuilt only when copies were added: reports ask per asset and per job many times. */
  private copyIndex(): { byAsset: Map<string, CopyRecord[]>; byJob: Map<string, CopyRecord[]> } {
    if (!this.indexedCopies || this.indexedCopies.size !== this.copyMap.size) {
      const byAsset = new Map<string, CopyRecord[]>();
      const byJob = new Map<string, CopyRecord[]>();
      for (const c of this.copies) {
        pushTo(byAsset, c.asset, c);
        pushTo(byJob, c.job, c);
      }
      this.indexedCopies = { size: this.copyMap.size, byAsset, byJob };
    }
    return this.indexedCopies;
  }

  /** Stable, sorted JSON of the model (host file contents as hashes) for `review/model.json`. */
  toJSON(hash: (s: string) => string): Record<string, unknown> {
    return {
      site: this.site,
      settings: { metrics: this.settings.metrics, timeZone: this.settings.timeZone ?? 'host' },
      hosts: this.hosts,
      assets: this.assets,
      targets: this.targets,
      jobs: this.jobs,
      copies: this.copies,
      signals: this.signals,
      hostFiles: this.hostFiles.map(({ content, ...rest }) => ({ ...rest, sha256: hash(content) })),
      pveSections: this.pveSections,
      k8sObjects: this.k8sObjects.map(({ content, ...rest }) => ({ ...rest, sha256: hash(content) })),
      findings: this.allFindings(),
      waived: this.policyOutcome().waived,
      policy: { strict: this.strictPolicy, packs: this.packs.map((p) => p.name) },
      decisions: this.decisions,
      alerts: this.alerting ? deriveAlerts(this, this.alerting).map((r) => ({ name: r.name, job: r.job, threshold: r.threshold, for: r.for })) : [],
    };
  }

  // Records are only ever added, so a map's size says whether its sorted order is still valid;
  // reports read the sorted lists many times over.
  private readonly sortedCache = new Map<Map<string, unknown>, { size: number; values: unknown[] }>();

  private sortedValues<T>(map: Map<string, T>): T[] {
    let hit = this.sortedCache.get(map);
    if (!hit || hit.size !== map.size) {
      hit = { size: map.size, values: [...map.keys()].sort(compare).map((k) => map.get(k)) };
      this.sortedCache.set(map, hit);
    }
    return [...hit.values] as T[];
  }

  /** Adds a record under a key no other record holds; the error names the construct holding it. */
  private put<T>(map: Map<string, T>, key: string, value: T, what: string, constructPath: string, clash: { field?: string; hint?: string } = {}): T {
    const holder = map.get(key);
    if (holder !== undefined) {
      const by = (holder as { constructPath?: unknown }).constructPath;
      const where = typeof by === 'string' && by !== constructPath ? ` by ${by}` : '';
      throw new BackupConfigError(constructPath, [
        { field: clash.field ?? 'id', message: `${what} ${JSON.stringify(key)} is already registered in site ${this.site}${where}`, hint: clash.hint ?? `each ${what} needs a unique id` },
      ]);
    }
    map.set(key, value);
    return value;
  }
}

const JOB_CLASH = { field: 'jobId', hint: 'job ids name metrics, alerts and Proxmox jobs; give each job its own' };

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
