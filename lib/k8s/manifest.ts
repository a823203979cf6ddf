import { toYaml } from '../yaml';
import { generatedHeader } from '../render/shell';

/**
 * The subset of the Kubernetes API this library writes, in the API's own shape (camelCase,
 * lists as lists). One such description is both rendered as the reviewer's manifest and
 * mapped to the provider's resource (lib/k8s/terraform.ts), so the two cannot drift; a field
 * outside these types cannot be set by accident.
 */

/** Object metadata. */
export interface ObjectMeta {
  readonly name: string;
  /** Undefined on cluster-scoped objects. */
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An environment variable: a plain value, or a key of a Secret (never the secret itself). */
export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly secretKeyRef: { readonly name: string; readonly key: string } };
}

/** Where a volume appears in a container. */
export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
  readonly subPath?: string;
}

/** CPU and memory requests and limits, as Kubernetes quantities (`100m`, `256Mi`). */
export interface ResourceRequirements {
  readonly requests?: Readonly<Record<string, string>>;
  readonly limits?: Readonly<Record<string, string>>;
}

/** An HTTP probe. */
export interface Probe {
  readonly httpGet: { readonly path: string; readonly port: number };
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
}

/** What a container's processes may do. */
export interface ContainerSecurityContext {
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly runAsNonRoot?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  readonly capabilities?: { readonly drop?: readonly string[] };
}

/** A container of a pod. */
export interface Container {
  readonly name: string;
  readonly image: string;
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly ports?: readonly { readonly name: string; readonly containerPort: number; readonly protocol: 'TCP' | 'UDP' }[];
  readonly volumeMounts?: readonly VolumeMount[];
  readonly resources?: ResourceRequirements;
  readonly securityContext?: ContainerSecurityContext;
  readonly readinessProbe?: Probe;
  readonly livenessProbe?: Probe;
}

/** A pod volume: an existing claim, a scratch folder, a Secret's keys as files, or a host folder. */
export interface Volume {
  readonly name: string;
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean };
  readonly emptyDir?: { readonly sizeLimit?: string };
  readonly secret?: { readonly secretName: string; readonly defaultMode?: number };
  readonly hostPath?: { readonly path: string; readonly type?: 'Directory' | 'File' };
}

/** A toleration of a node taint. */
export interface Toleration {
  readonly key?: string;
  readonly operator?: 'Exists' | 'Equal';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** The pod spec fields this library uses. */
export interface PodSpec {
  readonly restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  readonly initContainers?: readonly Container[];
  readonly containers: readonly Container[];
  /** One process namespace for all containers: each sees the others' processes. */
  readonly shareProcessNamespace?: boolean;
  readonly volumes?: readonly Volume[];
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly Toleration[];
  readonly hostNetwork?: boolean;
  readonly dnsPolicy?: 'ClusterFirst' | 'ClusterFirstWithHostNet' | 'Default';
  readonly securityContext?: { readonly runAsUser?: number; readonly runAsGroup?: number; readonly fsGroup?: number };
  /** Runs next to the pods these labels select (a ReadWriteOnce volume can only be attached on their node). */
  readonly affinity?: {
    readonly podAffinity: {
      readonly requiredDuringSchedulingIgnoredDuringExecution: readonly {
        readonly labelSelector: { readonly matchLabels: Readonly<Record<string, string>> };
        readonly topologyKey: string;
      }[];
    };
  };
}

/** A pod template. */
export interface PodTemplate {
  readonly metadata: { readonly labels: Readonly<Record<string, string>> };
  readonly spec: PodSpec;
}

/** batch/v1 CronJob. */
export interface CronJobManifest {
  readonly apiVersion: 'batch/v1';
  readonly kind: 'CronJob';
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly schedule: string;
    readonly timeZone?: string;
    readonly concurrencyPolicy: 'Allow' | 'Forbid' | 'Replace';
    readonly startingDeadlineSeconds?: number;
    readonly successfulJobsHistoryLimit: number;
    readonly failedJobsHistoryLimit: number;
    readonly suspend?: boolean;
    readonly jobTemplate: {
      readonly metadata: { readonly labels: Readonly<Record<string, string>> };
      readonly spec: {
        readonly backoffLimit: number;
        readonly activeDeadlineSeconds?: number;
        readonly template: PodTemplate;
      };
    };
  };
}

/** v1 PersistentVolume (cluster-scoped), NFS only. */
export interface PersistentVolumeManifest {
  readonly apiVersion: 'v1';
  readonly kind: 'PersistentVolume';
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly capacity: { readonly storage: string };
    readonly accessModes: readonly ('ReadWriteOnce' | 'ReadOnlyMany' | 'ReadWriteMany')[];
    readonly persistentVolumeReclaimPolicy: 'Retain' | 'Delete';
    readonly storageClassName: string;
    readonly mountOptions?: readonly string[];
    readonly claimRef?: { readonly name: string; readonly namespace: string };
    readonly nfs: { readonly server: string; readonly path: string; readonly readOnly?: boolean };
  };
}

/** v1 PersistentVolumeClaim. */
export interface PersistentVolumeClaimManifest {
  readonly apiVersion: 'v1';
  readonly kind: 'PersistentVolumeClaim';
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly accessModes: readonly ('ReadWriteOnce' | 'ReadOnlyMany' | 'ReadWriteMany')[];
    readonly storageClassName?: string;
    readonly volumeName?: string;
    readonly resources: { readonly requests: { readonly storage: string } };
  };
}

/** apps/v1 Deployment. */
export interface DeploymentManifest {
  readonly apiVersion: 'apps/v1';
  readonly kind: 'Deployment';
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly replicas: number;
    readonly selector: { readonly matchLabels: Readonly<Record<string, string>> };
    readonly strategy: { readonly type: 'Recreate' | 'RollingUpdate' };
    readonly template: PodTemplate;
  };
}

/** v1 Service. */
export interface ServiceManifest {
  readonly apiVersion: 'v1';
  readonly kind: 'Service';
  readonly metadata: ObjectMeta;
  readonly spec: {
    readonly type: 'ClusterIP' | 'NodePort';
    readonly selector: Readonly<Record<string, string>>;
    readonly ports: readonly { readonly name: string; readonly port: number; readonly targetPort: number; readonly nodePort?: number; readonly protocol: 'TCP' }[];
  };
}

/** Every kind this library manages. */
export type K8sManifest = CronJobManifest | PersistentVolumeManifest | PersistentVolumeClaimManifest | DeploymentManifest | ServiceManifest;

/** A DNS-1123 label (namespaces, Service names, container names). */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A DNS-1123 subdomain (most object names). */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A CronJob name: the controller appends 11 characters to name its Jobs, which must stay within 63. */
export const CRONJOB_NAME = /^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$/;
/** A Kubernetes quantity as CPU and memory use it (`100m`, `0.5`, `256Mi`, `1G`). */
export const QUANTITY = /^([0-9]+(\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;

/** The labels every object of this library carries. */
export function standardLabels(name: string, component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': component, 'app.kubernetes.io/managed-by': 'backup-constructs' };
}

/** The manifest as YAML, with the generated header naming its construct. */
export function renderManifest(m: K8sManifest, constructPath: string): string {
  // lineWidth 0: scripts in args stay literal blocks, byte for byte what the container runs
  return generatedHeader('#', constructPath) + toYaml(m, { lineWidth: 0, blockQuote: 'literal' });
}
