import type { CronJobV1Config } from '@cdktf/provider-kubernetes/lib/cron-job-v1';
import type { DeploymentV1Config } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import type { PersistentVolumeClaimV1Config } from '@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1';
import type { PersistentVolumeV1Config } from '@cdktf/provider-kubernetes/lib/persistent-volume-v1';
import type { ServiceV1Config } from '@cdktf/provider-kubernetes/lib/service-v1';
import type {
  Container,
  CronJobManifest,
  DeploymentManifest,
  ObjectMeta,
  PersistentVolumeClaimManifest,
  PersistentVolumeManifest,
  PodSpec,
  Probe,
  ServiceManifest,
  Volume,
} from './manifest';

/**
 * Maps a manifest description to the provider-kubernetes resource config, field by field.
 * The provider spells the API differently (singular repeated blocks such as `container` and
 * `volume_mount`, some numbers as strings, a PersistentVolume's source in its own block);
 * every field the description types allow is mapped here, and nothing else, so the resource
 * and the reviewed manifest say the same thing. The configs are typed by the provider's
 * generated config interfaces; KubernetesResource writes them without the generated classes,
 * and tests hold its output to theirs and map the synthesized JSON back to the manifest.
 */

type Config<T> = Omit<T, keyof import('cdktf').TerraformMetaArguments>;

/** Drops undefined fields so the synthesized JSON carries only what was set. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function meta(m: ObjectMeta, namespaced: boolean) {
  return defined({
    name: m.name,
    namespace: namespaced ? m.namespace : undefined,
    labels: m.labels ? { ...m.labels } : undefined,
    annotations: m.annotations ? { ...m.annotations } : undefined,
  });
}

function probe(p: Probe | undefined) {
  if (!p) return undefined;
  return defined({ httpGet: { path: p.httpGet.path, port: String(p.httpGet.port) }, initialDelaySeconds: p.initialDelaySeconds, periodSeconds: p.periodSeconds });
}

function container(c: Container) {
  return defined({
    name: c.name,
    image: c.image,
    imagePullPolicy: c.imagePullPolicy,
    command: c.command ? [...c.command] : undefined,
    args: c.args ? [...c.args] : undefined,
    env: c.env?.map((e) =>
      defined({
        name: e.name,
        value: e.value,
        valueFrom: e.valueFrom ? { secretKeyRef: { name: e.valueFrom.secretKeyRef.name, key: e.valueFrom.secretKeyRef.key } } : undefined,
      }),
    ),
    port: c.ports?.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol })),
    volumeMount: c.volumeMounts?.map((v) => defined({ name: v.name, mountPath: v.mountPath, readOnly: v.readOnly, subPath: v.subPath })),
    resources: c.resources ? defined({ requests: c.resources.requests ? { ...c.resources.requests } : undefined, limits: c.resources.limits ? { ...c.resources.limits } : undefined }) : undefined,
    securityContext: c.securityContext
      ? defined({
          runAsUser: c.securityContext.runAsUser === undefined ? undefined : String(c.securityContext.runAsUser),
          runAsGroup: c.securityContext.runAsGroup === undefined ? undefined : String(c.securityContext.runAsGroup),
          runAsNonRoot: c.securityContext.runAsNonRoot,
          allowPrivilegeEscalation: c.securityContext.allowPrivilegeEscalation,
          readOnlyRootFilesystem: c.securityContext.readOnlyRootFilesystem,
          capabilities: c.securityContext.capabilities ? defined({ drop: c.securityContext.capabilities.drop ? [...c.securityContext.capabilities.drop] : undefined }) : undefined,
        })
      : undefined,
    readinessProbe: probe(c.readinessProbe),
    livenessProbe: probe(c.livenessProbe),
  });
}

function volume(v: Volume) {
  return defined({
    name: v.name,
    persistentVolumeClaim: v.persistentVolumeClaim ? defined({ claimName: v.persistentVolumeClaim.claimName, readOnly: v.persistentVolumeClaim.readOnly }) : undefined,
    emptyDir: v.emptyDir ? defined({ sizeLimit: v.emptyDir.sizeLimit }) : undefined,
    // the provider takes the octal mode as a string ("0400"); the API takes a number
    secret: v.secret ? defined({ secretName: v.secret.secretName, defaultMode: v.secret.defaultMode === undefined ? undefined : `0${v.secret.defaultMode.toString(8)}` }) : undefined,
    hostPath: v.hostPath ? defined({ path: v.hostPath.path, type: v.hostPath.type }) : undefined,
  });
}

function podSpec(s: PodSpec) {
  return defined({
    restartPolicy: s.restartPolicy,
    initContainer: s.initContainers?.map(container),
    container: s.containers.map(container),
    shareProcessNamespace: s.shareProcessNamespace,
    volume: s.volumes?.map(volume),
    nodeSelector: s.nodeSelector ? { ...s.nodeSelector } : undefined,
    toleration: s.tolerations?.map((t) => defined({ key: t.key, operator: t.operator, value: t.value, effect: t.effect })),
    hostNetwork: s.hostNetwork,
    dnsPolicy: s.dnsPolicy,
    securityContext: s.securityContext
      ? defined({
          runAsUser: s.securityContext.runAsUser === undefined ? undefined : String(s.securityContext.runAsUser),
          runAsGroup: s.securityContext.runAsGroup === undefined ? undefined : String(s.securityContext.runAsGroup),
          fsGroup: s.securityContext.fsGroup === undefined ? undefined : String(s.securityContext.fsGroup),
        })
      : undefined,
    affinity: s.affinity
      ? {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: s.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution.map((term) => ({
              labelSelector: [{ matchLabels: { ...term.labelSelector.matchLabels } }],
              topologyKey: term.topologyKey,
            })),
          },
        }
      : undefined,
  });
}

/** `kubernetes_cron_job_v1` config for a CronJob manifest. */
export function cronJobConfig(m: CronJobManifest): Config<CronJobV1Config> {
  const s = m.spec;
  const job = s.jobTemplate.spec;
  return {
    metadata: meta(m.metadata, true),
    spec: defined({
      schedule: s.schedule,
      timezone: s.timeZone,
      concurrencyPolicy: s.concurrencyPolicy,
      startingDeadlineSeconds: s.startingDeadlineSeconds,
      successfulJobsHistoryLimit: s.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: s.failedJobsHistoryLimit,
      suspend: s.suspend,
      jobTemplate: {
        metadata: { labels: { ...s.jobTemplate.metadata.labels } },
        spec: defined({
          backoffLimit: job.backoffLimit,
          activeDeadlineSeconds: job.activeDeadlineSeconds,
          template: { metadata: { labels: { ...job.template.metadata.labels } }, spec: podSpec(job.template.spec) },
        }),
      },
    }),
  } as Config<CronJobV1Config>;
}

/** `kubernetes_persistent_volume_v1` config for an NFS PersistentVolume manifest. */
export function persistentVolumeConfig(m: PersistentVolumeManifest): Config<PersistentVolumeV1Config> {
  const s = m.spec;
  return {
    metadata: meta(m.metadata, false),
    spec: [
      defined({
        capacity: { storage: s.capacity.storage },
        accessModes: [...s.accessModes],
        persistentVolumeReclaimPolicy: s.persistentVolumeReclaimPolicy,
        storageClassName: s.storageClassName,
        mountOptions: s.mountOptions ? [...s.mountOptions] : undefined,
        claimRef: s.claimRef ? { name: s.claimRef.name, namespace: s.claimRef.namespace } : undefined,
        persistentVolumeSource: { nfs: defined({ server: s.nfs.server, path: s.nfs.path, readOnly: s.nfs.readOnly }) },
      }),
    ],
  } as Config<PersistentVolumeV1Config>;
}

/** `kubernetes_persistent_volume_claim_v1` config for a PersistentVolumeClaim manifest. */
export function persistentVolumeClaimConfig(m: PersistentVolumeClaimManifest): Config<PersistentVolumeClaimV1Config> {
  const s = m.spec;
  return {
    metadata: meta(m.metadata, true),
    spec: defined({
      accessModes: [...s.accessModes],
      storageClassName: s.storageClassName,
      volumeName: s.volumeName,
      resources: { requests: { storage: s.resources.requests.storage } },
    }),
  } as Config<PersistentVolumeClaimV1Config>;
}

/** `kubernetes_deployment_v1` config for a Deployment manifest. */
export function deploymentConfig(m: DeploymentManifest): Config<DeploymentV1Config> {
  const s = m.spec;
  return {
    metadata: meta(m.metadata, true),
    spec: {
      // the provider's schema has replicas as a string
      replicas: String(s.replicas),
      selector: { matchLabels: { ...s.selector.matchLabels } },
      strategy: { type: s.strategy.type },
      template: { metadata: { labels: { ...s.template.metadata.labels } }, spec: podSpec(s.template.spec) },
    },
  } as Config<DeploymentV1Config>;
}

/** `kubernetes_service_v1` config for a Service manifest. */
export function serviceConfig(m: ServiceManifest): Config<ServiceV1Config> {
  const s = m.spec;
  return {
    metadata: meta(m.metadata, true),
    spec: {
      type: s.type,
      selector: { ...s.selector },
      port: s.ports.map((p) => defined({ name: p.name, port: p.port, targetPort: String(p.targetPort), nodePort: p.nodePort, protocol: p.protocol })),
    },
  } as Config<ServiceV1Config>;
}
