import { App, TerraformStack, Testing } from 'cdktf';
import { CronJobV1 } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { PersistentVolumeClaimV1 } from '@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1';
import { PersistentVolumeV1 } from '@cdktf/provider-kubernetes/lib/persistent-volume-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { ServiceV1 } from '@cdktf/provider-kubernetes/lib/service-v1';
import { parse } from 'yaml';
import { KubernetesResource, kubernetesAttributes } from '../../constructs/private/kubernetes-resource';
import type { Container, CronJobManifest, DeploymentManifest, K8sManifest, PersistentVolumeClaimManifest, PersistentVolumeManifest, PodSpec, ServiceManifest } from '../../lib/k8s/manifest';
import { cronJobConfig, deploymentConfig, persistentVolumeClaimConfig, persistentVolumeConfig, serviceConfig } from '../../lib/k8s/terraform';
import { SITES } from '../../stacks';
import { modelOf } from '../helpers/synth';

/**
 * KubernetesResource writes provider-kubernetes resources without the provider's generated
 * classes (they cost a Kubernetes site 0.13 s and 31 MB to load). These tests hold it to what
 * those classes write for the same config: every Kubernetes object of every site, and one
 * object per kind that sets every field lib/k8s/terraform.ts maps.
 */

type Generated = new (scope: TerraformStack, id: string, config: any) => unknown;
const KINDS: Record<K8sManifest['kind'], { type: string; generated: Generated; config: (m: any) => object }> = {
  CronJob: { type: 'kubernetes_cron_job_v1', generated: CronJobV1, config: cronJobConfig },
  Deployment: { type: 'kubernetes_deployment_v1', generated: DeploymentV1, config: deploymentConfig },
  PersistentVolume: { type: 'kubernetes_persistent_volume_v1', generated: PersistentVolumeV1, config: persistentVolumeConfig },
  PersistentVolumeClaim: { type: 'kubernetes_persistent_volume_claim_v1', generated: PersistentVolumeClaimV1, config: persistentVolumeClaimConfig },
  Service: { type: 'kubernetes_service_v1', generated: ServiceV1, config: serviceConfig },
};

/** The resource body each way (cdktf's construct metadata left out), for one manifest. */
function bothWays(m: K8sManifest, extra: object = {}): { generated: unknown; ours: unknown } {
  const kind = KINDS[m.kind];
  const stack = new TerraformStack(Testing.app(), 'equivalence');
  const provider = new KubernetesProvider(stack, 'Provider', {});
  const config = { ...extra, ...kind.config(m) };
  new kind.generated(stack, 'Generated', { provider, ...config });
  new KubernetesResource(stack, 'Ours', kind.type, config, { provider });
  const resources = JSON.parse(Testing.synth(stack)).resource[kind.type] as Record<string, Record<string, unknown>>;
  const body = (id: string) => {
    const { ['//']: _metadata, ...rest } = resources[id];
    return rest;
  };
  return { generated: body('Generated'), ours: body('Ours') };
}

const fullContainer = (name: string): Container => ({
  name,
  image: 'registry.example/tool:1.2.3',
  imagePullPolicy: 'IfNotPresent',
  command: ['/bin/sh', '-c'],
  args: ['echo hi'],
  env: [{ name: 'PLAIN', value: 'v' }, { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }],
  ports: [{ name: 'http', containerPort: 9091, protocol: 'TCP' }],
  volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true, subPath: 'sub' }],
  resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '1Gi', 'nvidia.com/gpu': '1' } },
  securityContext: { runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  readinessProbe: { httpGet: { path: '/-/ready', port: 9091 }, initialDelaySeconds: 5, periodSeconds: 10 },
  livenessProbe: { httpGet: { path: '/-/healthy', port: 9091 } },
});

const fullPod: PodSpec = {
  restartPolicy: 'Never',
  initContainers: [fullContainer('init')],
  containers: [fullContainer('main'), { name: 'second', image: 'busybox:1.36' }],
  shareProcessNamespace: true,
  volumes: [
    { name: 'data', persistentVolumeClaim: { claimName: 'backup', readOnly: true } },
    { name: 'scratch', emptyDir: { sizeLimit: '1Gi' } },
    { name: 'certs', secret: { secretName: 'etcd-certs', defaultMode: 0o400 } },
    { name: 'host', hostPath: { path: '/var/lib/etcd', type: 'Directory' } },
  ],
  // label keys are data: a camelCase key must reach Terraform as written
  nodeSelector: { 'node-role.kubernetes.io/control-plane': '', diskType: 'ssd' },
  tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }, { key: 'k', operator: 'Equal', value: 'v' }],
  hostNetwork: true,
  dnsPolicy: 'ClusterFirstWithHostNet',
  securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
  affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db', ownerTeam: 'ops' } }, topologyKey: 'kubernetes.io/hostname' }] } },
};

const labels = { 'app.kubernetes.io/name': 'x', camelCaseKey: 'kept' };
const everyField: K8sManifest[] = [
  {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'job', namespace: 'ns', labels, annotations: { someAnnotation: 'a', 'example.com/note': 'b' } },
    spec: {
      schedule: '0 3 * * *',
      timeZone: 'Europe/Berlin',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      suspend: false,
      jobTemplate: { metadata: { labels }, spec: { backoffLimit: 0, activeDeadlineSeconds: 3600, template: { metadata: { labels }, spec: fullPod } } },
    },
  } satisfies CronJobManifest,
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'gw', namespace: 'monitoring', labels },
    spec: { replicas: 1, selector: { matchLabels: labels }, strategy: { type: 'Recreate' }, template: { metadata: { labels }, spec: fullPod } },
  } satisfies DeploymentManifest,
  {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'pv', labels },
    spec: {
      capacity: { storage: '10Gi' },
      accessModes: ['ReadWriteMany'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: '',
      mountOptions: ['soft', 'timeo=150'],
      claimRef: { name: 'pvc', namespace: 'ns' },
      nfs: { server: '192.0.2.5', path: '/volume1/backups', readOnly: false },
    },
  } satisfies PersistentVolumeManifest,
  {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'pvc', namespace: 'ns', labels },
    spec: { accessModes: ['ReadWriteMany'], storageClassName: '', volumeName: 'pv', resources: { requests: { storage: '10Gi' } } },
  } satisfies PersistentVolumeClaimManifest,
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'svc', namespace: 'monitoring', labels },
    spec: { type: 'NodePort', selector: labels, ports: [{ name: 'http', port: 9091, targetPort: 9091, nodePort: 30091, protocol: 'TCP' }] },
  } satisfies ServiceManifest,
];

describe('KubernetesResource writes what the provider\'s generated classes write', () => {
  it.each(everyField.map((m) => [m.kind, m] as const))('for a %s that sets every mapped field, camelCase label keys included', (_kind, m) => {
    const { generated, ours } = bothWays(m);
    expect(ours).toEqual(generated);
    expect(JSON.stringify(ours)).toContain('"camelCaseKey":"kept"');
  });

  it("for a claim's wait_until_bound, which the manifest has no field for", () => {
    const { generated, ours } = bothWays(everyField[3], { waitUntilBound: false });
    expect(ours).toEqual(generated);
    expect(ours).toMatchObject({ wait_until_bound: false });
  });

  it('for every Kubernetes object of every site, read back from its review manifest', () => {
    let compared = 0;
    for (const [id, build] of Object.entries(SITES)) {
      for (const object of modelOf(build(new App())).k8sObjects) {
        const m = parse(object.content) as K8sManifest;
        if (!(m.kind in KINDS)) continue;
        const { generated, ours } = bothWays(m);
        expect({ site: id, object: object.name, body: ours }).toEqual({ site: id, object: object.name, body: generated });
        compared++;
      }
    }
    // the homelab alone has 32 (CronJobs, the Pushgateway, NFS volumes)
    expect(compared).toBeGreaterThanOrEqual(30);
  });

  it('leaves string maps and tokens alone and drops undefined fields', () => {
    const token = { resolve: () => 'x' };
    expect(kubernetesAttributes({ metadata: { labels: { fooBar: 'x' }, name: undefined }, spec: { someField: token, selector: { matchLabels: { aB: 'c' } } } })).toStrictEqual({
      metadata: { labels: { fooBar: 'x' } },
      spec: { some_field: token, selector: { match_labels: { aB: 'c' } } },
    });
  });
});
