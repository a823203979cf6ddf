import { POD_PATHS } from '../render/dump-scripts/script';
import type { Container, CronJobManifest, EnvVar, ResourceRequirements, Toleration, Volume, VolumeMount } from './manifest';

/** The report container's user (nobody): it needs no identity to read the outcome and push it. */
const REPORT_USER = 65534;

/** Where a pod may run: a node with the right label, next to the pods whose volume it reads. */
export interface PodPlacement {
  /** @default - any node */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** @default - none */
  readonly tolerations?: readonly Toleration[];
  /** Use the node's network (etcd on a control-plane node's loopback). @default false */
  readonly hostNetwork?: boolean;
  /**
   * Labels of the pods to run next to: a ReadWriteOnce volume (SQLite, Redis, Prometheus
   * data) can only be mounted on the node where its owner runs.
   * @default - anywhere
   */
  readonly colocateWith?: Readonly<Record<string, string>>;
}

/** Everything one dump or check CronJob is made of. */
export interface DumpCronJobSpec {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly schedule: string;
  /** @default - the controller's zone */
  readonly timeZone?: string;
  readonly successfulJobsHistoryLimit: number;
  readonly failedJobsHistoryLimit: number;
  readonly startingDeadlineSeconds: number;
  readonly activeDeadlineSeconds: number;
  readonly dumpImage: string;
  readonly reportImage: string;
  readonly dumpScript: string;
  readonly reportScript: string;
  /** Variables from Secrets for the dump container. */
  readonly env: readonly EnvVar[];
  /** The backup volume's claim, mounted at /backup; undefined for a check that writes nothing. */
  readonly backupClaim?: string;
  readonly volumes: readonly { readonly volume: Volume; readonly mount: VolumeMount }[];
  readonly resources: ResourceRequirements;
  readonly reportResources: ResourceRequirements;
  readonly placement: PodPlacement;
  /** @default - the image's user */
  readonly runAsUser?: number;
}

/**
 * A CronJob whose pod runs the dump script (the engine's image) and the report script (an
 * image with curl) side by side, with the outcome passed in an emptyDir. The report waits
 * for the outcome, or for the dump's process to be gone without one (an OOM kill, which takes
 * the whole container on cgroup v2), or for the pod to be stopped (the Job's deadline, which
 * also ends a dump whose image never pulled), and pushes a failure in the last two cases. The
 * dump cannot be an init container: one that is killed fails the pod, so the report would never
 * start, and only the Stale alert (a day or more later) would tell. The shared process namespace
 * is what lets the report see the dump's process.
 * `Forbid` keeps two runs of one job apart (their rotation and work folders);
 * `backoffLimit: 0` leaves retries to the next scheduled run, so each run reports once.
 *
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/
 */
export function dumpCronJobManifest(s: DumpCronJobSpec): CronJobManifest {
  const statusMount = (readOnly: boolean): VolumeMount => ({ name: 'bc-status', mountPath: POD_PATHS.status, ...(readOnly ? { readOnly: true } : {}) });
  const dumpMounts: VolumeMount[] = [
    ...(s.backupClaim ? [{ name: 'backup', mountPath: POD_PATHS.backup }] : []),
    statusMount(false),
    ...s.volumes.map((v) => v.mount),
  ];
  const dump: Container = {
    name: 'dump',
    image: s.dumpImage,
    command: ['/bin/sh', '-c'],
    args: [s.dumpScript],
    env: [{ name: 'BC_DEFER_STATUS', value: '1' }, ...s.env],
    volumeMounts: dumpMounts,
    resources: s.resources,
  };
  const report: Container = {
    name: 'report',
    image: s.reportImage,
    command: ['/bin/sh', '-c'],
    args: [s.reportScript],
    volumeMounts: [statusMount(true)],
    resources: s.reportResources,
    // it reads one file and runs curl: no root (even when the pod's user is root, as to read an
    // application's root-owned files), no privileges, nothing written outside the status folder
    securityContext: {
      runAsUser: REPORT_USER,
      runAsGroup: REPORT_USER,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
  };
  const volumes: Volume[] = [
    ...(s.backupClaim ? [{ name: 'backup', persistentVolumeClaim: { claimName: s.backupClaim } }] : []),
    { name: 'bc-status', emptyDir: { sizeLimit: '1Mi' } },
    ...s.volumes.map((v) => v.volume),
  ];
  const p = s.placement;
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: s.name, namespace: s.namespace, labels: { ...s.labels } },
    spec: {
      schedule: s.schedule,
      ...(s.timeZone ? { timeZone: s.timeZone } : {}),
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: s.startingDeadlineSeconds,
      successfulJobsHistoryLimit: s.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: s.failedJobsHistoryLimit,
      jobTemplate: {
        metadata: { labels: { ...s.labels } },
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: s.activeDeadlineSeconds,
          template: {
            metadata: { labels: { ...s.labels } },
            spec: {
              restartPolicy: 'Never',
              // the report sees the dump's process (in /proc) to notice it was killed
              shareProcessNamespace: true,
              containers: [dump, report],
              volumes,
              ...(p.nodeSelector ? { nodeSelector: { ...p.nodeSelector } } : {}),
              ...(p.tolerations?.length ? { tolerations: [...p.tolerations] } : {}),
              ...(p.hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' as const } : {}),
              ...(s.runAsUser !== undefined ? { securityContext: { runAsUser: s.runAsUser } } : {}),
              ...(p.colocateWith
                ? {
                    affinity: {
                      podAffinity: {
                        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { ...p.colocateWith } }, topologyKey: 'kubernetes.io/hostname' }],
                      },
                    },
                  }
                : {}),
            },
          },
        },
      },
    },
  };
}
