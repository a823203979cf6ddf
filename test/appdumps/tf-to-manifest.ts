/**
 * The reverse of the provider's spelling, written independently of lib/k8s/terraform.ts: a
 * synthesized kubernetes_* resource back to the Kubernetes API's shape, so a test can
 * compare it field for field with the manifest in review/k8s/.
 */

const KINDS: Record<string, { apiVersion: string; kind: string }> = {
  kubernetes_cron_job_v1: { apiVersion: 'batch/v1', kind: 'CronJob' },
  kubernetes_persistent_volume_v1: { apiVersion: 'v1', kind: 'PersistentVolume' },
  kubernetes_persistent_volume_claim_v1: { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  kubernetes_deployment_v1: { apiVersion: 'apps/v1', kind: 'Deployment' },
  kubernetes_service_v1: { apiVersion: 'v1', kind: 'Service' },
  kubernetes_config_map_v1: { apiVersion: 'v1', kind: 'ConfigMap' },
  // a CRD object through kubernetes_manifest carries its own apiVersion and kind
  kubernetes_manifest: { apiVersion: '', kind: '' },
};

/** Repeated blocks the provider names in the singular. */
const PLURAL: Record<string, string> = {
  container: 'containers',
  init_container: 'initContainers',
  volume: 'volumes',
  volume_mount: 'volumeMounts',
  port: 'ports',
  toleration: 'tolerations',
  timezone: 'timeZone',
};

/** Fields the provider keeps as strings that the API keeps as numbers. */
const NUMERIC_STRINGS = new Set(['replicas', 'runAsUser', 'runAsGroup', 'fsGroup', 'targetPort']);

/** Maps whose keys are data, not field names. */
const MAPS = new Set(['labels', 'annotations', 'matchLabels', 'nodeSelector', 'limits', 'requests', 'capacity']);

function camel(key: string, value: unknown): string {
  // `port` is a repeated block in containers and Services, a plain field in an httpGet probe
  if (key === 'port' && !Array.isArray(value)) return 'port';
  return PLURAL[key] ?? key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function convert(value: unknown, key: string): unknown {
  if (Array.isArray(value)) {
    // the provider wraps some single objects in a list of one
    if (key === 'labelSelector' || key === 'spec') return convert(value[0], key);
    return value.map((v) => convert(v, key));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      // labels and other maps keep their keys as written
      if (MAPS.has(key)) {
        out[k] = v;
        continue;
      }
      const name = camel(k, v);
      if (name === 'persistentVolumeSource') {
        Object.assign(out, convert(v, name) as object);
        continue;
      }
      out[name] = convert(v, name);
    }
    return out;
  }
  if (typeof value === 'string' && NUMERIC_STRINGS.has(key)) return Number(value);
  if (typeof value === 'string' && key === 'defaultMode') return parseInt(value, 8);
  if (typeof value === 'string' && key === 'port' && /^\d+$/.test(value)) return Number(value);
  return value;
}

/** A synthesized resource as a manifest (apiVersion, kind, metadata, spec). */
export function manifestOf(type: string, resource: Record<string, any>): Record<string, any> {
  if (type === 'kubernetes_manifest') return resource.manifest;
  // a ConfigMap has data, not a spec, and its keys are file names
  if (type === 'kubernetes_config_map_v1') return { ...KINDS[type], metadata: convert(resource.metadata, 'metadata'), data: resource.data };
  const { metadata, spec } = resource;
  const selector = spec.selector && type === 'kubernetes_service_v1' ? spec.selector : undefined;
  const converted = convert({ metadata, spec }, '') as Record<string, any>;
  if (selector) converted.spec.selector = selector;
  return { ...KINDS[type], ...converted };
}

/** Every Kubernetes resource of a synthesized stack, by its review path. */
export function manifestsOf(json: Record<string, any>): Map<string, Record<string, any>> {
  const out = new Map<string, Record<string, any>>();
  for (const type of Object.keys(KINDS)) {
    for (const resource of Object.values(json.resource?.[type] ?? {}) as Record<string, any>[]) {
      const m = manifestOf(type, resource);
      out.set(`k8s/${m.metadata.namespace ?? '_cluster'}/${m.kind.toLowerCase()}-${m.metadata.name}.yaml`, m);
    }
  }
  return out;
}
