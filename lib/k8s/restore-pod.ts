import { shellQuote } from '../render/shell';
import type { Container, CronJobManifest, EnvVar, PodSpec, Volume, VolumeMount } from './manifest';

/** A container `kubectl run -it` can attach a terminal to. */
export interface InteractiveContainer extends Container {
  readonly stdin: true;
  readonly stdinOnce: true;
  readonly tty: true;
}

/**
 * What `kubectl run --overrides` merges into the pod it generates. kubectl's default override
 * type is a JSON merge patch (RFC 7396; older clients used a strategic merge), which replaces
 * the generated `containers` list: the one container here is therefore complete (image,
 * shell, stdin and tty), and named like the pod, which is the container kubectl attaches to.
 */
export interface RestorePodOverrides {
  readonly apiVersion: 'v1';
  readonly spec: {
    readonly containers: readonly [InteractiveContainer];
    readonly volumes?: readonly Volume[];
    readonly nodeSelector?: PodSpec['nodeSelector'];
    readonly tolerations?: PodSpec['tolerations'];
    readonly securityContext?: PodSpec['securityContext'];
  };
}

/** Options of {@link restorePod}. */
export interface RestorePodOptions {
  /** The pod's name, also its container's (a DNS label). */
  readonly name: string;
  /** Volumes of the job's pod the restore writes (the application's data), mounted read-write. @default - none */
  readonly writes?: readonly string[];
  /** Mount the backup claim (read-only) and the `writes` volumes; false gives a client shell with the Secrets only. @default true */
  readonly claims?: boolean;
}

/** A claim a restore pod mounts, for the sentence that tells the operator. */
export interface RestorePodMount {
  readonly claimName: string;
  readonly mountPath: string;
  readonly readOnly: boolean;
}

/** An interactive pod to restore from, and the command that starts it. */
export interface RestorePod {
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  readonly overrides: RestorePodOverrides;
  /** `kubectl -n <ns> run <name> --rm -it ... --overrides='<json>'`: a shell in the pod, which is deleted when the shell exits. */
  readonly command: string;
  readonly mounts: readonly RestorePodMount[];
  /** The variables it reads from Secrets (never their values). */
  readonly secretEnv: readonly EnvVar[];
  /** Whether the job's pods have a pod affinity the restore pod leaves out. */
  readonly droppedAffinity: boolean;
}

/** How long kubectl waits for the pod: a ReadWriteOnce claim may take minutes to detach from a stopped application's node. */
const POD_RUNNING_TIMEOUT = '5m';

/**
 * The restore pod of a dump CronJob, derived from the same description the CronJob is built
 * from: the dump container's image, resources and Secret variables (as `secretKeyRef`, never
 * values), the backup claim at the same path but read-only, the application's volumes the
 * restore writes read-write, the job's node selector, tolerations and user, and a shell.
 * Its pod affinity is left out: it places the job next to the running application, which is
 * stopped during a restore, so the restore pod could never be scheduled.
 *
 * @see https://kubernetes.io/docs/reference/kubectl/generated/kubectl_run/
 */
export function restorePod(cronJob: CronJobManifest, o: RestorePodOptions): RestorePod {
  const pod = cronJob.spec.jobTemplate.spec.template.spec;
  const namespace = cronJob.metadata.namespace!;
  const dump = pod.containers.find((c) => c.name === 'dump');
  if (!dump) throw new Error(`CronJob ${namespace}/${cronJob.metadata.name} has no dump container`);
  const claims = o.claims ?? true;
  const names = claims ? [...(pod.volumes?.some((v) => v.name === 'backup') ? ['backup'] : []), ...(o.writes ?? [])] : [];
  const volumes: Volume[] = [];
  const volumeMounts: VolumeMount[] = [];
  const mounts: RestorePodMount[] = [];
  for (const name of names) {
    const volume = pod.volumes?.find((v) => v.name === name);
    const mount = dump.volumeMounts?.find((m) => m.name === name);
    if (!volume?.persistentVolumeClaim || !mount) throw new Error(`CronJob ${namespace}/${cronJob.metadata.name} mounts no claim named ${name} in its dump container`);
    // the backups are only read during a restore: a slip of the hand must not damage them
    const readOnly = name === 'backup';
    // read-write is the API's default: kubectl drops readOnly: false from what it sends
    volumes.push({ name, persistentVolumeClaim: { claimName: volume.persistentVolumeClaim.claimName, ...(readOnly ? { readOnly } : {}) } });
    volumeMounts.push({ name, mountPath: mount.mountPath, ...(readOnly ? { readOnly } : {}) });
    mounts.push({ claimName: volume.persistentVolumeClaim.claimName, mountPath: mount.mountPath, readOnly });
  }
  const secretEnv = (dump.env ?? []).filter((e) => e.valueFrom !== undefined);
  const container: InteractiveContainer = {
    name: o.name,
    image: dump.image,
    command: ['/bin/sh'],
    stdin: true,
    stdinOnce: true,
    tty: true,
    ...(secretEnv.length ? { env: secretEnv.map((e) => ({ name: e.name, valueFrom: { secretKeyRef: { ...e.valueFrom!.secretKeyRef } } })) } : {}),
    ...(volumeMounts.length ? { volumeMounts } : {}),
    ...(dump.resources ? { resources: dump.resources } : {}),
  };
  const overrides: RestorePodOverrides = {
    apiVersion: 'v1',
    spec: {
      containers: [container],
      ...(volumes.length ? { volumes } : {}),
      ...(pod.nodeSelector ? { nodeSelector: { ...pod.nodeSelector } } : {}),
      ...(pod.tolerations?.length ? { tolerations: [...pod.tolerations] } : {}),
      ...(pod.securityContext ? { securityContext: { ...pod.securityContext } } : {}),
    },
  };
  const command = [
    `kubectl -n ${namespace} run ${o.name} --rm -it --restart=Never --pod-running-timeout=${POD_RUNNING_TIMEOUT}`,
    `--image=${shellQuote(dump.image)}`,
    `--overrides=${shellQuote(JSON.stringify(overrides))}`,
  ].join(' ');
  return { name: o.name, namespace, image: dump.image, overrides, command, mounts, secretEnv, droppedAffinity: pod.affinity !== undefined };
}

/** `claim a at /backup (read-only) and claim b at /data (read-write)`, or `no claim`. */
export function describeMounts(mounts: readonly RestorePodMount[]): string {
  if (!mounts.length) return 'no claim';
  return joinAnd(mounts.map((m) => `claim \`${m.claimName}\` at ${m.mountPath} (${m.readOnly ? 'read-only' : 'read-write'})`));
}

/** `PGPASSWORD from secret pg/password`, or `no Secret`. */
export function describeSecretEnv(env: readonly EnvVar[]): string {
  if (!env.length) return 'no Secret (the job reads none)';
  return joinAnd(env.map((e) => `${e.name} from secret \`${e.valueFrom!.secretKeyRef.name}\`/\`${e.valueFrom!.secretKeyRef.key}\``));
}

function joinAnd(parts: readonly string[]): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}
