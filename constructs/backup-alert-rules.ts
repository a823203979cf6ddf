import { Construct } from 'constructs';
import { parseYaml } from '../lib/yaml';
import { z } from 'zod';
import { OWN_FILE_PATH } from '../lib/path-schema';
import { deriveAlerts, EXPORTER_METRICS } from '../lib/alerts/derive-alerts';
import { renderRuleFile } from '../lib/alerts/render-alerts';
import { BackupConfigError, checkOptions, checkProps } from '../lib/errors';
import type { AlertingSettings, SiteModel } from '../lib/model/site-model';
import { instanceOf } from '../lib/private/zod-helpers';
import { Host } from './host';
import { configMapObject, manifestObject } from './private/k8s-config-objects';
import { onSiteComplete, siteModelOf } from './private/site-anchor';
import { K8S_LABELS } from '../lib/k8s/labels';
import { DNS_LABEL, DNS_SUBDOMAIN } from '../lib/k8s/manifest';

type Delivery =
  | { kind: 'helm-configmap'; namespace: string; name: string; labels: Record<string, string> }
  | { kind: 'prometheus-rule'; namespace: string; name: string; labels: Record<string, string> }
  | { kind: 'host-file'; host: Host; path?: string }
  | { kind: 'review-only'; reason: string; manualChecks: boolean };

/** Where the rule file goes. */
export class AlertDelivery {
  /**
   * A ConfigMap for the Prometheus Helm chart (mount it with `extraConfigmapMounts` and list
   * the file under `rule_files`).
   * @default namespace 'monitoring', name 'backup-alert-rules-<site>'
   */
  static helmConfigMap(opts: { namespace?: string; name?: string; labels?: Record<string, string> } = {}): AlertDelivery {
    checkOptions('AlertDelivery.helmConfigMap', opts, ['namespace', 'name', 'labels']);
    return new AlertDelivery({ kind: 'helm-configmap', namespace: opts.namespace ?? 'monitoring', name: opts.name ?? '', labels: opts.labels ?? {} });
  }
  /**
   * A `PrometheusRule` for prometheus-operator, through `kubernetes_manifest`, which needs the
   * cluster's API reachable at plan time.
   */
  static prometheusRule(opts: { namespace?: string; name?: string; labels?: Record<string, string> } = {}): AlertDelivery {
    checkOptions('AlertDelivery.prometheusRule', opts, ['namespace', 'name', 'labels']);
    return new AlertDelivery({ kind: 'prometheus-rule', namespace: opts.namespace ?? 'monitoring', name: opts.name ?? '', labels: opts.labels ?? {} });
  }
  /** A rule file on a host running Prometheus. @default path '/etc/prometheus/rules/backup-<site>.rules.yml' */
  static hostFile(host: Host, path?: string): AlertDelivery {
    return new AlertDelivery({ kind: 'host-file', host, path });
  }
  /**
   * Rules are only rendered for review (a site without Prometheus yet); says why in REVIEW.md.
   * With `manualChecks`, `runbooks/manual-checks.md` turns what the rules would watch into
   * checks to run by hand on each host, for a site whose backups are monitored manually.
   * @default manualChecks false
   */
  static reviewOnly(reason: string, opts: { manualChecks?: boolean } = {}): AlertDelivery {
    checkOptions('AlertDelivery.reviewOnly', opts, ['manualChecks']);
    return new AlertDelivery({ kind: 'review-only', reason, manualChecks: opts.manualChecks ?? false });
  }
  private constructor(readonly spec: Delivery) {}
}

/** What a Kubernetes delivery writes into the object's metadata ('' for the default name). */
const deliverySchema = z.object({
  delivery: z.object({
    namespace: z.string().regex(DNS_LABEL, 'expected a namespace name (lower-case DNS label) such as monitoring'),
    name: z.union([z.literal(''), z.string().regex(DNS_SUBDOMAIN, 'expected a lower-case object name such as backup-alert-rules')]),
    labels: K8S_LABELS,
  }),
});

/** Props of {@link BackupAlertRules}. */
export interface BackupAlertRulesProps {
  /** @default AlertDelivery.helmConfigMap() */
  readonly delivery?: AlertDelivery;
  /**
   * Prefix of every `runbook_url`; `<runbook>.md` is appended. Point it at where the review
   * tree is browsable (a Git web UI) so every link opens a generated runbook.
   * @default '../runbooks/' (relative to the rule file in the review tree)
   */
  readonly runbookBaseUrl?: string;
  /** @default 'backup-<site>' */
  readonly group?: string;
  /** @default '30m' */
  readonly staleFor?: string;
  /** @default '5m' */
  readonly failingFor?: string;
  /** @default 0.9 */
  readonly diskFullRatio?: number;
  /** @default 'BackupTargetDiskFull' */
  readonly diskFullAlertName?: string;
  /** @default 'backup' */
  readonly receiver?: string;
  /** @default 'backup-critical' */
  readonly criticalReceiver?: string;
  /**
   * The alerts that go to `criticalReceiver`, by name, when a site pages for fewer alerts than
   * those of critical severity (seed 002: only VaultwardenIntegrityFail goes to #infra-critical).
   * @default - every alert of severity critical
   */
  readonly criticalAlerts?: readonly string[];
  /**
   * PromQL label matchers selecting each host's node-exporter series, by host name.
   * @default - instance=~"(<name>|<address>)(:[0-9]+)?"
   */
  readonly nodeExporterSelectors?: Readonly<Record<string, string>>;
}

/** A PromQL selector body: `label="value"` matchers (=, !=, =~, !~) separated by commas. */
const MATCHER = String.raw`\s*[A-Za-z_][A-Za-z0-9_]*\s*(?:=~|!~|!=|=)\s*"(?:[^"\\\n\r]|\\.)*"\s*`;
const SELECTOR = new RegExp(`^${MATCHER}(?:,${MATCHER})*,?\\s*$`);
const DURATION = z.string().regex(/^(\d+[smhd])+$/, 'expected a Prometheus duration such as 30m');
const schema = z
  .object({
    delivery: instanceOf(AlertDelivery, 'expected an AlertDelivery, e.g. AlertDelivery.helmConfigMap()').optional(),
    runbookBaseUrl: z.string().min(1).optional(),
    group: z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected a lower-case group name').optional(),
    staleFor: DURATION.optional(),
    failingFor: DURATION.optional(),
    diskFullRatio: z.number().gt(0).lt(1).optional(),
    diskFullAlertName: z.string().regex(/^[A-Z][A-Za-z0-9]*$/, 'expected a PascalCase alert name').optional(),
    receiver: z.string().min(1).optional(),
    criticalReceiver: z.string().min(1).optional(),
    criticalAlerts: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected alert names')).min(1, 'expected at least one alert name; omit it to route by severity').optional(),
    nodeExporterSelectors: z
      .record(
        z.string(),
        z.string().regex(SELECTOR, 'expected PromQL label matchers such as job="proxmox-host" (each value in double quotes, several separated by commas): the text goes into the alert expression as written'),
      )
      .optional(),
  })
  .strict();

/**
 * Every job monitored by construction: derives Stale, Failing and NeverRan alerts for every
 * job that pushes metrics (per guest too), disk-usage alerts for every backup target, and the
 * alerts constructs ask for; renders them with promtool tests, runbooks and an Alertmanager
 * route, and delivers the rule file.
 *
 * @see https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/
 */
export class BackupAlertRules extends Construct {
  readonly settings: AlertingSettings;
  readonly delivery: AlertDelivery;
  private readonly model: SiteModel;

  constructor(scope: Construct, id: string, props: BackupAlertRulesProps = {}) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, {
      runbookBaseUrl: 'e.g. https://git.example.com/infra/blob/main/runbooks/',
      nodeExporterSelectors: "key each host's name to its node-exporter matchers, e.g. { pve: 'job=\"proxmox-host\"' }",
    });
    this.model = siteModelOf(this);
    this.delivery = p.delivery ?? AlertDelivery.helmConfigMap();
    const spec = this.delivery.spec;
    if (spec.kind === 'helm-configmap' || spec.kind === 'prometheus-rule') {
      checkProps(this.node.path, deliverySchema, { delivery: { namespace: spec.namespace, name: spec.name, labels: spec.labels } });
    }
    // checked here, so the error names the prop given rather than the install's files.0.path
    if (spec.kind === 'host-file' && spec.path !== undefined) checkProps(this.node.path, z.object({ delivery: z.object({ path: OWN_FILE_PATH }) }), { delivery: { path: spec.path } });
    this.settings = {
      runbookBaseUrl: p.runbookBaseUrl ?? '../runbooks/',
      group: p.group ?? `backup-${this.model.site}`,
      staleFor: p.staleFor ?? '30m',
      failingFor: p.failingFor ?? '5m',
      diskFullRatio: p.diskFullRatio ?? 0.9,
      diskFullAlertName: p.diskFullAlertName ?? 'BackupTargetDiskFull',
      receiver: p.receiver ?? 'backup',
      criticalReceiver: p.criticalReceiver ?? 'backup-critical',
      ...(p.criticalAlerts ? { criticalAlerts: [...p.criticalAlerts].sort() } : {}),
      nodeExporterSelectors: p.nodeExporterSelectors ?? {},
      deployed: this.delivery.spec.kind !== 'review-only',
      constructPath: this.node.path,
      manualChecks: this.delivery.spec.kind === 'review-only' && this.delivery.spec.manualChecks ? { reason: this.delivery.spec.reason } : undefined,
    };
    if (this.model.alerting) {
      throw new BackupConfigError(this.node.path, [
        { field: 'id', message: `site ${this.model.site} already has BackupAlertRules at ${this.model.alerting.constructPath}`, hint: 'one BackupAlertRules per site derives every alert' },
      ]);
    }
    this.model.alerting = this.settings;
    this.checkPushgateway();
    if (this.delivery.spec.kind === 'review-only') {
      this.model.addFinding({ severity: 'warning', rule: 'alerts-delivered', subject: this.node.path, message: `alert rules are rendered for review but not deployed: ${this.delivery.spec.reason}`, fix: `deliver them with AlertDelivery.helmConfigMap(), .prometheusRule() or .hostFile(host)${this.settings.manualChecks ? '; until then, run the checks in runbooks/manual-checks.md every day' : ''}` });
    }
    this.model.addCheck(() => this.coverage());
    onSiteComplete(this, () => this.deliver());
  }

  private checkPushgateway(): void {
    const sink = this.model.settings.metrics;
    if (sink.kind === 'pushgateway' && !sink.persistence) {
      this.model.addFinding({
        severity: 'warning',
        rule: 'pushgateway-persistence',
        subject: this.node.path,
        message: `the Pushgateway at ${sink.url} is not declared persistent: a restart drops every series and blinds once-a-day alerts until the next push`,
        fix: 'run it with --persistence.file on a volume and declare MetricsSink.pushgateway(url, { persistence: true })',
      });
    }
  }

  /** Every job that pushes metrics has Stale and Failing alerts; every alert reads a metric someone pushes. */
  private coverage(): string[] {
    const rules = deriveAlerts(this.model, this.settings);
    const pushed = new Set<string>([...EXPORTER_METRICS, ...this.model.signals.flatMap((s) => s.metrics)]);
    const out: string[] = [];
    for (const name of Object.keys(this.settings.nodeExporterSelectors).filter((n) => !this.model.host(n))) {
      const hosts = this.model.hosts.map((h) => h.name);
      out.push(`[${this.node.path}] nodeExporterSelectors.${name}: expected the name of a host of site ${this.model.site}, got ${JSON.stringify(name)}, so its selector would never be used (hint: ${hosts.length ? `use one of ${hosts.join(', ')}` : 'declare the host first'})`);
    }
    for (const job of this.model.jobs.filter((j) => this.model.signals.some((s) => s.job === j.id))) {
      for (const kind of ['Stale', 'Failing']) {
        if (!rules.some((r) => r.job === job.id && r.name.endsWith(kind))) out.push(`[${job.constructPath}] alerts: job ${job.id} has no ${kind} alert (hint: report its metrics through the site's metric scheme)`);
      }
    }
    for (const name of (this.settings.criticalAlerts ?? []).filter((n) => !rules.some((r) => r.name === n))) {
      out.push(`[${this.node.path}] criticalAlerts: ${name} is not an alert of site ${this.model.site}, so nothing would reach ${this.settings.criticalReceiver} (hint: use one of ${rules.map((r) => r.name).filter((n, i, all) => all.indexOf(n) === i).slice(0, 8).join(', ')}, ...)`);
    }
    for (const r of rules) {
      for (const m of r.watches.filter((w) => !pushed.has(w))) {
        out.push(`[${this.node.path}] alerts: ${r.name} watches ${m}, which no job pushes (hint: register the signal of the job that pushes it, or drop the alert)`);
      }
    }
    return out;
  }

  private deliver(): void {
    const spec = this.delivery.spec;
    const content = renderRuleFile(this.model, this.settings, deriveAlerts(this.model, this.settings));
    const file = `${this.settings.group}.rules.yml`;
    const name = (spec.kind === 'helm-configmap' || spec.kind === 'prometheus-rule') && spec.name ? spec.name : `backup-alert-rules-${this.model.site}`;
    switch (spec.kind) {
      case 'helm-configmap': {
        configMapObject(this, 'RulesConfigMap', { name, namespace: spec.namespace, labels: { 'app.kubernetes.io/managed-by': 'backup-constructs', ...spec.labels }, data: { [file]: content } });
        // The chart reads rule files only from its own ConfigMap: a ConfigMap of ours is loaded
        // once mounted and listed, which is the chart's values, not this program's to change.
        const mount = `{ name: ${name}, mountPath: /etc/backup-rules, configMap: ${name}, readOnly: true }`;
        this.model.addFinding({
          severity: 'info',
          rule: 'alerts-mount',
          subject: this.node.path,
          message: `the alert rules are the ConfigMap ${spec.namespace}/${name} (${file}); Prometheus loads them only once they are mounted into it and listed under rule_files`,
          fix: `in the prometheus-community chart's values: server.extraConfigmapMounts: [${mount}]; configmapReload.prometheus.extraConfigmapMounts: [${mount}] with extraVolumeDirs: [/etc/backup-rules], so a change reloads; and serverFiles."prometheus.yml".rule_files: the chart's own entries plus /etc/backup-rules/${file}`,
        });
        break;
      }
      case 'prometheus-rule':
        manifestObject(this, 'PrometheusRule', {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'PrometheusRule',
          metadata: { name, namespace: spec.namespace, labels: { 'app.kubernetes.io/managed-by': 'backup-constructs', ...spec.labels } },
          spec: { groups: (parseYaml(content) as { groups: unknown[] }).groups },
        });
        break;
      case 'host-file':
        spec.host.install(this, {
          files: [{ path: spec.path ?? `/etc/prometheus/rules/backup-${this.model.site}.rules.yml`, content }],
          // Prometheus re-reads rule files on reload; a host without it running needs nothing.
          postInstall: ['if systemctl is-active --quiet prometheus; then systemctl reload prometheus; fi'],
        });
        break;
      case 'review-only':
        break;
    }
  }
}
