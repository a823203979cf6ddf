import { execFile } from 'child_process';
import * as http from 'http';
import { AddressInfo } from 'net';
import { promisify } from 'util';
import { Pod } from 'kubernetes-models/v1/Pod';
import { restorePod, RestorePod } from '../../lib/k8s/restore-pod';
import { synthJson } from '../helpers/synth';
import { describeWithTool } from '../helpers/tools';
import { everyEngineSite } from './fixtures';
import { shellWords } from './run';

const { jobs, site } = everyEngineSite();
const json = synthJson(site);

/** What each engine's restore writes: Redis's RDB file and the SQLite files, on their data claims. */
const WRITES: Record<string, string[]> = { redis: ['data'], vaultwarden: ['data'] };
const podOf = (key: string) => restorePod(jobs[key].manifest, { name: `${jobs[key].jobId}-restore`, writes: WRITES[key] ?? [] });

/** The synthesized CronJob's pod spec: the Terraform resource, not the description the builder reads. */
function cronJobPod(name: string): Record<string, any> {
  const all = Object.values(json.resource.kubernetes_cron_job_v1) as Record<string, any>[];
  return all.find((r) => r.metadata.name === name)!.spec.job_template.spec.template.spec;
}

/** The pod `kubectl run NAME --image=IMAGE -i -t --restart=Never` generates before its overrides (kubectl 1.32, --dry-run=client -o json). */
function generatedPod(name: string, image: string): Record<string, any> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { run: name } },
    spec: { containers: [{ name, image, resources: {}, stdin: true, stdinOnce: true, tty: true }], restartPolicy: 'Never', dnsPolicy: 'ClusterFirst' },
  };
}

/** RFC 7396 JSON merge patch: kubectl's default --override-type. Arrays are replaced, not merged. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The synthesized dump container's Secret variables, in the API's spelling. */
function secretEnvOf(pod: Record<string, any>): unknown[] {
  return pod.container[0].env
    .filter((e: any) => e.value_from)
    .map((e: any) => ({ name: e.name, valueFrom: { secretKeyRef: { name: e.value_from.secret_key_ref.name, key: e.value_from.secret_key_ref.key } } }));
}

describe('restorePod: an interactive pod built from the CronJob description', () => {
  const redis = restorePod(jobs.redis.manifest, { name: 'redis-backup-restore', writes: ['data'] });

  it("mounts the CronJob's backup claim read-only at the same path, and the data the restore writes read-write", () => {
    const pod = cronJobPod('redis-backup');
    const claimOf = (volume: string) => pod.volume.find((v: any) => v.name === volume).persistent_volume_claim.claim_name;
    const pathOf = (volume: string) => pod.container[0].volume_mount.find((m: any) => m.name === volume).mount_path;
    // the job reads the data claim; the restore writes it
    expect(pod.volume.find((v: any) => v.name === 'data').persistent_volume_claim.read_only).toBe(true);
    expect(redis.overrides.spec.volumes).toEqual([
      { name: 'backup', persistentVolumeClaim: { claimName: claimOf('backup'), readOnly: true } },
      { name: 'data', persistentVolumeClaim: { claimName: claimOf('data') } },
    ]);
    expect(redis.overrides.spec.containers[0].volumeMounts).toEqual([
      { name: 'backup', mountPath: pathOf('backup'), readOnly: true },
      { name: 'data', mountPath: pathOf('data') },
    ]);
    expect(redis.mounts).toEqual([
      { claimName: 'redis-backup', mountPath: '/backup', readOnly: true },
      { claimName: 'redis-data', mountPath: '/data', readOnly: false },
    ]);
    // the job's status folder is no business of a restore
    expect(JSON.stringify(redis.overrides)).not.toContain('bc-status');
  });

  it("runs a shell in the dump container's image, named like the pod, with its Secret variables as references only", () => {
    for (const [job, id] of [['pg', 'postgresql-backup'], ['mysql', 'mysql-backup'], ['vault', 'vault-backup'], ['redis', 'redis-backup'], ['prometheus', 'prometheus-backup']]) {
      const pod = cronJobPod(id);
      const r = restorePod(jobs[job].manifest, { name: `${id}-restore` });
      const c = r.overrides.spec.containers[0];
      expect({ id, name: c.name, image: c.image, command: c.command, stdin: c.stdin, stdinOnce: c.stdinOnce, tty: c.tty }).toEqual({
        id,
        name: `${id}-restore`,
        image: pod.container[0].image,
        command: ['/bin/sh'],
        stdin: true,
        stdinOnce: true,
        tty: true,
      });
      expect({ id, env: c.env ?? [] }).toEqual({ id, env: secretEnvOf(pod) });
      expect(secretEnvOf(pod).length).toBeGreaterThan(0);
      expect(JSON.stringify(r.overrides)).not.toMatch(/"value":/);
      expect(r.secretEnv.map((e) => e.name)).toEqual((c.env ?? []).map((e) => e.name));
    }
  });

  it("leaves out the pod affinity (the application is stopped during a restore), keeps the job's user, node selector and tolerations", () => {
    const pod = cronJobPod('vaultwarden-backup');
    expect(pod.affinity).toBeDefined();
    const vw = restorePod(jobs.vaultwarden.manifest, { name: 'vaultwarden-backup-restore', writes: ['data'] });
    expect(vw.overrides.spec).not.toHaveProperty('affinity');
    expect(vw.droppedAffinity).toBe(true);
    expect(vw.overrides.spec.securityContext).toEqual({ runAsUser: Number(pod.security_context.run_as_user) });
    const etcdPod = cronJobPod('etcd-backup');
    const etcd = restorePod(jobs.etcd.manifest, { name: 'etcd-backup-restore' });
    expect(etcd.overrides.spec.nodeSelector).toEqual(etcdPod.node_selector);
    expect(etcd.overrides.spec.tolerations).toEqual(etcdPod.toleration);
    expect(etcd.droppedAffinity).toBe(false);
    // the certificates are the dump's business: the restore shell only needs the snapshots
    expect(etcd.overrides.spec.volumes!.map((v) => v.name)).toEqual(['backup']);
    expect(etcd.overrides.spec).not.toHaveProperty('hostNetwork');
  });

  it('without claims: the Secrets only, for a client of a server that runs again', () => {
    const client = restorePod(jobs.redis.manifest, { name: 'redis-backup-client', claims: false });
    expect(client.overrides.spec).not.toHaveProperty('volumes');
    expect(client.overrides.spec.containers[0]).not.toHaveProperty('volumeMounts');
    expect(client.overrides.spec.containers[0].env).toEqual(secretEnvOf(cronJobPod('redis-backup')));
    expect(client.mounts).toEqual([]);
  });

  it('fails on a volume the job does not mount as a claim', () => {
    expect(() => restorePod(jobs.redis.manifest, { name: 'x', writes: ['scratch'] })).toThrow(/CronJob redis\/redis-backup mounts no claim named scratch/);
    expect(() => restorePod(jobs.etcd.manifest, { name: 'x', writes: ['etcd-certs'] })).toThrow(/mounts no claim named etcd-certs/);
  });

  describe('the command line', () => {
    const all: [string, RestorePod][] = Object.keys(jobs).map((key) => [jobs[key].jobId, podOf(key)]);

    it.each(all)('%s: a shell splits it into kubectl run with valid JSON overrides, equal to the pod description', (id, r) => {
      const words = shellWords(r.command);
      expect(words.slice(0, 9)).toEqual(['kubectl', '-n', r.namespace, 'run', `${id}-restore`, '--rm', '-it', '--restart=Never', '--pod-running-timeout=5m']);
      expect(words[9]).toBe(`--image=${cronJobPod(id).container[0].image}`);
      expect(words[10]).toMatch(/^--overrides=\{/);
      expect(words).toHaveLength(11);
      expect(JSON.parse(words[10].slice('--overrides='.length))).toEqual(r.overrides);
      expect(r.namespace).toBe((Object.values(json.resource.kubernetes_cron_job_v1) as any[]).find((c) => c.metadata.name === id).metadata.namespace);
    });

    /** What kubectl would create from the overrides: a valid Pod whose one container has the image, a terminal and the backup claim. */
    function expectUsableMerge(r: Pick<RestorePod, 'name' | 'image' | 'overrides'>, backupClaim: string): void {
      const merged = mergePatch(generatedPod(r.name, r.image), r.overrides) as Record<string, any>;
      expect(() => new Pod(merged as never).validate()).not.toThrow();
      expect(merged.spec.containers).toHaveLength(1);
      expect(merged.spec.containers[0]).toMatchObject({ name: r.name, image: r.image, command: ['/bin/sh'], stdin: true, stdinOnce: true, tty: true });
      expect(merged.spec.restartPolicy).toBe('Never');
      expect(merged.spec.volumes[0].persistentVolumeClaim.claimName).toBe(backupClaim);
      expect(merged.spec.containers[0].volumeMounts[0]).toMatchObject({ name: merged.spec.volumes[0].name, readOnly: true });
    }
    const backupClaimOf = (id: string) => cronJobPod(id).volume.find((v: any) => v.name === 'backup').persistent_volume_claim.claim_name;

    it.each(all)("%s: merged into kubectl's generated pod as a JSON merge patch, it is a valid Pod with a terminal and the backup claim", (id, r) => {
      expectUsableMerge(r, backupClaimOf(id));
    });

    it('and the check can fail: a merge patch replaces the generated container, so a partial one loses the image and the terminal', () => {
      const [id, r] = all[0];
      const partial = { apiVersion: 'v1' as const, spec: { ...r.overrides.spec, containers: [{ name: r.name, command: ['/bin/sh'], volumeMounts: r.overrides.spec.containers[0].volumeMounts }] } };
      expect(() => expectUsableMerge({ ...r, overrides: partial as never }, backupClaimOf(id))).toThrow(/image|stdin/);
    });

    it('is the same for the same stack', () => {
      const again = everyEngineSite().jobs;
      for (const key of Object.keys(jobs)) expect(restorePod(again[key].manifest, { name: `${jobs[key].jobId}-restore`, writes: WRITES[key] ?? [] }).command).toBe(podOf(key).command);
    });
  });
});

/**
 * A Kubernetes API that only answers discovery, so `kubectl run --dry-run=client` can map a
 * Pod and print what it would create, without a cluster.
 */
async function discoveryServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const answers: [RegExp, unknown][] = [
    [/^\/version/, { major: '1', minor: '30', gitVersion: 'v1.30.0' }],
    [/^\/api(\?|$)/, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] }],
    [/^\/apis/, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] }],
    [/^\/api\/v1(\?|$)/, { kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'get'] }] }],
  ];
  const server = http.createServer((req, res) => {
    const answer = answers.find(([path]) => path.test(req.url ?? ''));
    res.setHeader('Content-Type', 'application/json');
    res.statusCode = answer ? 200 : 404;
    res.end(JSON.stringify(answer ? answer[1] : {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

// kubectl is not among the tools CI installs (Debian's kubernetes-client would be): run where present
describeWithTool(
  'kubectl',
  'kubernetes-client',
  'the command run by a real kubectl (client dry run against a discovery-only API)',
  () => {
    let api: { url: string; close: () => Promise<void> };
    beforeAll(async () => {
      api = await discoveryServer();
    });
    afterAll(async () => api?.close());

    it.each(['redis', 'vaultwarden', 'pg'])('%s: the pod kubectl would create has the overrides, a terminal and the claims', async (job) => {
      const r = podOf(job);
      // a dry run cannot attach: the same words without --rm and -it
      const words = shellWords(r.command).slice(1).filter((w) => w !== '--rm' && w !== '-it');
      const { stdout } = await promisify(execFile)('kubectl', [`--server=${api.url}`, ...words, '--dry-run=client', '-o', 'json'], { env: { ...process.env, KUBECONFIG: '/dev/null' } });
      const pod = JSON.parse(stdout);
      expect(pod.metadata).toMatchObject({ name: r.name, namespace: r.namespace });
      expect(pod.spec.restartPolicy).toBe('Never');
      expect(pod.spec.containers).toEqual([{ ...r.overrides.spec.containers[0] }]);
      expect(pod.spec.volumes).toEqual(r.overrides.spec.volumes);
      expect(pod.spec).not.toHaveProperty('affinity');
      const cron = cronJobPod(jobs[job].jobId);
      expect(pod.spec.containers[0].volumeMounts.find((m: any) => m.name === 'backup').mountPath).toBe(cron.container[0].volume_mount.find((m: any) => m.name === 'backup').mount_path);
      expect(pod.spec.containers[0].env ?? []).toEqual(secretEnvOf(cron));
    });
  },
  { optional: true },
);
