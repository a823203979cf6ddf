import { Construct } from 'constructs';
import { z } from 'zod';
import { Duration } from '../lib/duration';
import { checkProps } from '../lib/errors';
import { DeploymentManifest, DNS_LABEL, PersistentVolumeClaimManifest, QUANTITY, ServiceManifest, standardLabels } from '../lib/k8s/manifest';
import { toQuantity } from '../lib/k8s/secret-ref';
import type { SiteModel } from '../lib/model/site-model';
import { instanceOf } from '../lib/private/zod-helpers';
import { Size } from '../lib/size';
import { k8sObject } from './private/k8s-object';
import { siteModelOf } from './private/site-anchor';

/** Where the Pushgateway keeps its series between restarts. */
export interface PushgatewayPersistence {
  /** @default Size.gibibytes(2) */
  readonly size?: Size;
  /** @default - the cluster's default storage class */
  readonly storageClassName?: string;
  /** How often the series are written to disk. @default Duration.minutes(1) */
  readonly interval?: Duration;
}

/** Props of {@link Pushgateway}. */
export interface PushgatewayProps {
  /** @default 'monitoring' */
  readonly namespace?: string;
  /** Deployment, Service and claim name prefix. @default 'pushgateway' */
  readonly name?: string;
  /** @default 'prom/pushgateway:v1.11.1' */
  readonly image?: string;
  /** Port on every node, for pushers outside the cluster; false for a ClusterIP Service. @default 30091 */
  readonly nodePort?: number | false;
  /**
   * Series written to a volume (`--persistence.file`), so a restart does not blind the
   * alerts of jobs that push once a day or less; false for none (a finding).
   * @default - 2 GiB, written every minute
   */
  readonly persistence?: PushgatewayPersistence | false;
  /** Each value given replaces only its own default, as AppDumpCronJob's. @default - requests 10m CPU and 32Mi, limit 128Mi memory */
  readonly resources?: {
    /** @default { cpu: '10m', memory: '32Mi' } */
    readonly requests?: {
      /** @default '10m' */
      readonly cpu?: string;
      /** @default '32Mi' */
      readonly memory?: string;
    };
    /** @default { memory: '128Mi' } */
    readonly limits?: {
      /** @default - none (no CPU limit) */
      readonly cpu?: string;
      /** @default '128Mi' */
      readonly memory?: string;
    };
  };
}

/** Props of {@link Pushgateway.existing}. */
export interface ExistingPushgatewayProps {
  /** The URL pods push to, e.g. `http://prometheus-pushgateway.monitoring.svc:9091`. */
  readonly url: string;
  /** Whether it runs with `--persistence.file` on a volume. */
  readonly persistence: boolean;
}

const URL = z.string().regex(/^https?:\/\/[^\s/]+(:\d+)?\/?$/, 'expected http(s)://host:port without a path');
const QUANTITY_VALUE = z.string().regex(QUANTITY, 'expected a quantity such as 100m or 64Mi');
const CPU_MEMORY = z.object({ cpu: QUANTITY_VALUE.optional(), memory: QUANTITY_VALUE.optional() }).strict();
const RESOURCES = z
  .object({
    // an object, not z.record(z.enum(...)): zod 4 requires every key of an enum record
    requests: CPU_MEMORY.optional(),
    limits: CPU_MEMORY.optional(),
  })
  .strict();
const schema = z
  .object({
    namespace: z.string().regex(DNS_LABEL, 'expected a namespace name').optional(),
    name: z.string().regex(/^[a-z]([-a-z0-9]{0,40}[a-z0-9])?$/, 'expected a lower-case name such as pushgateway').optional(),
    image: z.string().regex(/^[^\s]+$/, 'expected an image reference').optional(),
    nodePort: z.union([z.literal(false), z.number().int().min(30000, 'expected a port in the NodePort range 30000-32767').max(32767, 'expected a port in the NodePort range 30000-32767')]).optional(),
    persistence: z
      .union([
        z.literal(false),
        z
          .object({
            size: instanceOf(Size, 'expected a Size, e.g. Size.gibibytes(2)').optional(),
            storageClassName: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a storage class name').optional(),
            interval: instanceOf(Duration, 'expected a Duration, e.g. Duration.minutes(1)').optional(),
          })
          .strict(),
      ])
      .optional(),
    resources: RESOURCES.optional(),
  })
  .strict();
const existingSchema = z.object({ url: URL, persistence: z.boolean({ message: 'expected true or false: say whether it runs with --persistence.file' }) }).strict();

const PORT = 9091;
const DATA = '/data';

/**
 * A Prometheus Pushgateway that backup jobs push to: a Deployment (one replica, replaced
 * with Recreate so two never write one persistence file) with its series persisted to a
 * claim every minute, and a Service, NodePort 30091 by default (seed 002's, for the host
 * scripts). Or, with {@link Pushgateway.existing}, one this stack does not manage.
 *
 * A Pushgateway without persistence is a finding: after a restart every series is gone and
 * jobs that push once a day look as if they never ran. When the site's MetricsSink points
 * at this Pushgateway, its `persistence` flag must say the same, which synth checks.
 *
 * @see https://github.com/prometheus/pushgateway#about-the-persistence
 */
export class Pushgateway extends Construct {
  /** Declares a Pushgateway this stack does not deploy. */
  static existing(scope: Construct, id: string, props: ExistingPushgatewayProps): Pushgateway {
    return new Pushgateway(scope, id, undefined, props);
  }

  /** The URL pods in the cluster push to. */
  readonly url: string;
  readonly persistent: boolean;
  /** Undefined for an existing Pushgateway. */
  readonly namespace: string | undefined;
  readonly serviceName: string | undefined;
  readonly nodePort: number | undefined;
  /** The container's arguments (deployed only). */
  readonly args: readonly string[];
  private readonly model: SiteModel;

  constructor(scope: Construct, id: string, props: PushgatewayProps = {}, existing?: ExistingPushgatewayProps) {
    super(scope, id);
    this.model = siteModelOf(this);
    if (existing) {
      const e = checkProps(this.node.path, existingSchema, existing, { url: 'e.g. http://prometheus-pushgateway.monitoring.svc:9091' });
      this.url = e.url.replace(/\/$/, '');
      this.persistent = e.persistence;
      this.namespace = this.serviceName = this.nodePort = undefined;
      this.args = [];
    } else {
      const p = checkProps(this.node.path, schema, props, { image: 'e.g. prom/pushgateway:v1.11.1' });
      const namespace = p.namespace ?? 'monitoring';
      const name = p.name ?? 'pushgateway';
      const persistence = p.persistence === false ? undefined : (p.persistence ?? {});
      this.namespace = namespace;
      this.serviceName = name;
      this.nodePort = p.nodePort === false ? undefined : (p.nodePort ?? 30091);
      this.url = `http://${name}.${namespace}.svc:${PORT}`;
      this.persistent = persistence !== undefined;
      this.args = persistence ? [`--persistence.file=${DATA}/pushgateway.bin`, `--persistence.interval=${(persistence.interval ?? Duration.minutes(1)).toPrometheus()}`] : [];
      this.deploy(namespace, name, p.image ?? 'prom/pushgateway:v1.11.1', persistence, p.resources);
    }
    if (!this.persistent) {
      this.model.addFinding({
        severity: 'warning',
        rule: 'pushgateway-persistence',
        subject: this.node.path,
        message: `the Pushgateway at ${this.url} keeps its series only in memory: a restart drops them and jobs that push once a day look as if they never ran`,
        fix: existing ? 'run it with --persistence.file on a volume and declare persistence: true' : 'remove persistence: false (a 2 GiB claim, written every minute)',
      });
    }
    this.model.addCheck(() => this.sinkAgrees());
  }

  /** Whether a URL names this Pushgateway (its Service name, or its NodePort on some node). */
  serves(url: string): boolean {
    const m = /^https?:\/\/([^/:]+)(?::(\d+))?/.exec(url);
    if (!m) return false;
    if (url.replace(/\/$/, '') === this.url) return true;
    if (this.serviceName && this.namespace) {
      const names = [`${this.serviceName}.${this.namespace}.svc`, `${this.serviceName}.${this.namespace}.svc.cluster.local`];
      if (names.includes(m[1]) && Number(m[2] ?? 80) === PORT) return true;
    }
    return this.nodePort !== undefined && Number(m[2]) === this.nodePort;
  }

  private deploy(namespace: string, name: string, image: string, persistence: PushgatewayPersistence | undefined, resources: PushgatewayProps['resources']): void {
    const labels = standardLabels(name, 'pushgateway');
    const selector = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'pushgateway' };
    const claim = `${name}-data`;
    if (persistence) {
      const pvc: PersistentVolumeClaimManifest = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: claim, namespace, labels },
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(persistence.storageClassName ? { storageClassName: persistence.storageClassName } : {}),
          resources: { requests: { storage: toQuantity(persistence.size ?? Size.gibibytes(2)) } },
        },
      };
      // a WaitForFirstConsumer class binds the claim only when the Deployment's pod starts
      k8sObject(this, 'Data', pvc, { waitUntilBound: false });
    }
    const probe = (path: string) => ({ httpGet: { path, port: PORT }, periodSeconds: 10 });
    const deployment: DeploymentManifest = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: selector },
        // two pods must never write one persistence file, and a ReadWriteOnce claim attaches once
        strategy: { type: 'Recreate' },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'pushgateway',
                image,
                ...(this.args.length ? { args: [...this.args] } : {}),
                ports: [{ name: 'http', containerPort: PORT, protocol: 'TCP' }],
                ...(persistence ? { volumeMounts: [{ name: 'data', mountPath: DATA }] } : {}),
                // each value given replaces its own default only: a limit alone keeps the requests
                resources: { requests: { cpu: '10m', memory: '32Mi', ...resources?.requests }, limits: { memory: '128Mi', ...resources?.limits } },
                readinessProbe: probe('/-/ready'),
                livenessProbe: probe('/-/healthy'),
              },
            ],
            ...(persistence
              ? {
                  volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }],
                  // the image runs as nobody; the claim's files must be writable by it
                  securityContext: { fsGroup: 65534 },
                }
              : {}),
          },
        },
      },
    };
    const service: ServiceManifest = {
      apiVersion: 'v1',
      kind: 'Service',
      // the prometheus-community chart (seed 002's Prometheus) scrapes a gateway, with
      // honor_labels, only when its Service carries this annotation
      metadata: { name, namespace, labels, annotations: { 'prometheus.io/probe': 'pushgateway' } },
      spec: {
        type: this.nodePort !== undefined ? 'NodePort' : 'ClusterIP',
        selector,
        ports: [{ name: 'http', port: PORT, targetPort: PORT, ...(this.nodePort !== undefined ? { nodePort: this.nodePort } : {}), protocol: 'TCP' }],
      },
    };
    k8sObject(this, 'Deployment', deployment);
    k8sObject(this, 'Service', service);
  }

  /** The site's MetricsSink and this Pushgateway must agree on persistence when they are the same. */
  private sinkAgrees(): string[] {
    const sink = this.model.settings.metrics;
    if (sink.kind !== 'pushgateway' || !this.serves(sink.url)) return [];
    const declared = sink.persistence === true;
    if (declared === this.persistent) return [];
    return [
      declared
        ? `[${this.node.path}] persistence: the site's MetricsSink declares ${sink.url} persistent, but this Pushgateway has no persistence (hint: remove persistence: false, or declare the sink without { persistence: true })`
        : `[${this.node.path}] persistence: this Pushgateway persists its series, but the site's MetricsSink for ${sink.url} does not say so (hint: MetricsSink.pushgateway('${sink.url}', { persistence: true }))`,
    ];
  }
}
