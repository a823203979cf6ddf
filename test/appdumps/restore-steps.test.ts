import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BackupVolume } from '../../constructs';
import { homelabSite } from '../../stacks/homelab';
import type { RestoreStep } from '../../lib/model/types';
import { freshApp, modelOf, reviewOf, synthJson } from '../helpers/synth';
import { describeWithTool, shellcheck, tempDir } from '../helpers/tools';
import { etcdJobRestore, everyEngineSite } from './fixtures';
import { shellWords } from './run';

const { site, jobs } = everyEngineSite();
const json = synthJson(site);
const model = modelOf(site);
const review = reviewOf(site);

const homelab = modelOf(homelabSite(freshApp()));

const stepsOf = (job: string, m = model): readonly RestoreStep[] => m.job(job)!.restore!;
const commandsOf = (job: string, m = model): string[] => stepsOf(job, m).flatMap((s) => s.commands);
const indexOf = (steps: readonly RestoreStep[], pattern: RegExp): number => steps.findIndex((s) => pattern.test(s.title));

function cronJobPod(name: string): Record<string, any> {
  const all = Object.values(json.resource.kubernetes_cron_job_v1) as Record<string, any>[];
  return all.find((r) => r.metadata.name === name)!.spec.job_template.spec.template.spec;
}

/** The overrides of every `kubectl run` line of a job's restore steps, parsed as a shell and JSON would. */
function kubectlRuns(job: string, m = model): { words: string[]; overrides: Record<string, any> }[] {
  return commandsOf(job, m)
    .filter((c) => / run /.test(c) && c.startsWith('kubectl '))
    .map((c) => {
      const words = shellWords(c);
      return { words, overrides: JSON.parse(words.find((w) => w.startsWith('--overrides='))!.slice('--overrides='.length)) };
    });
}

const claimsOf = (overrides: Record<string, any>) =>
  (overrides.spec.volumes ?? []).map((v: any) => ({ claim: v.persistentVolumeClaim.claimName, at: overrides.spec.containers[0].volumeMounts.find((m: any) => m.name === v.name).mountPath, readOnly: v.persistentVolumeClaim.readOnly === true }));

describe('a command dump\'s own restore steps', () => {
  it('follow the restore shell and the pick of the newest file (homelab: the Prometheus snapshot)', () => {
    const titles = stepsOf('prometheus-backup', homelab).map((s) => s.title);
    expect(titles).toEqual([expect.stringMatching(/^start a restore shell/), expect.stringMatching(/^pick the newest/), expect.stringMatching(/^put the snapshot back into Prometheus/)]);
    expect(stepsOf('prometheus-backup', homelab)[2].notes![0]).toMatch(/Scale prometheus-server to 0 .* it loads the blocks when it starts/);
  });
});

describe('app dump restores start from a shell that can restore', () => {
  const APP_DUMPS = Object.values(jobs).map((j) => j.jobId);

  it.each(APP_DUMPS.filter((j) => j !== 'etcd-backup'))("%s: the first steps start a pod with the CronJob's backup claim, read-only, in its namespace", (job) => {
    const pod = cronJobPod(job);
    const backup = pod.volume.find((v: any) => v.name === 'backup').persistent_volume_claim.claim_name;
    const [shell] = kubectlRuns(job);
    const namespace = (Object.values(json.resource.kubernetes_cron_job_v1) as any[]).find((c) => c.metadata.name === job).metadata.namespace;
    expect(shell.words.slice(0, 4)).toEqual(['kubectl', '-n', namespace, 'run']);
    expect(shell.words).toEqual(expect.arrayContaining(['--rm', '-it', '--restart=Never', `--image=${pod.container[0].image}`]));
    expect(claimsOf(shell.overrides)[0]).toEqual({ claim: backup, at: '/backup', readOnly: true });
    expect(shell.overrides.spec).not.toHaveProperty('affinity');
    const text = review.get(`runbooks/${job}.md`)!.content;
    expect(text).not.toMatch(/kubectl debug|create job --from/);
    expect(text).toContain(shell.words.find((w) => w.startsWith('--overrides='))!.slice('--overrides='.length));
  });

  it('where the restore writes the application\'s data (Redis, SQLite), the data claim is mounted read-write, after the application is stopped', () => {
    for (const [job, claim] of [['redis-backup', 'redis-data'], ['vaultwarden-backup', 'vaultwarden-data']]) {
      const [shell] = kubectlRuns(job);
      expect({ job, claims: claimsOf(shell.overrides).slice(1) }).toEqual({ job, claims: [{ claim, at: '/data', readOnly: false }] });
      // the CronJob mounts the same claim at the same path (the restore commands write there)
      expect(cronJobPod(job).volume).toContainEqual(expect.objectContaining({ name: 'data', persistent_volume_claim: expect.objectContaining({ claim_name: claim }) }));
      const steps = stepsOf(job);
      const stop = indexOf(steps, /^stop /);
      const shellStep = steps.findIndex((s) => s.commands.some((c) => c.includes(` run ${job}-restore `)));
      const start = indexOf(steps, /start .* again/);
      expect({ job, stop: stop >= 0, order: stop < shellStep && shellStep < start }).toEqual({ job, stop: true, order: true });
      expect(steps[stop].commands.join('\n')).toMatch(/scale <kind>\/<name> --replicas=0/);
    }
    for (const job of ['postgresql-backup', 'postgresql-backup-per-db', 'vault-backup']) expect({ job, claims: claimsOf(kubectlRuns(job)[0].overrides).length }).toEqual({ job, claims: 1 });
  });

  it('the restore shell carries the Secrets of the job and says which', () => {
    const [mysql] = kubectlRuns('mysql-backup');
    expect(mysql.overrides.spec.containers[0].env).toEqual([{ name: 'MYSQL_PWD', valueFrom: { secretKeyRef: { name: 'mysql-credentials', key: 'root-password' } } }]);
    const text = review.get('runbooks/mysql-backup.md')!.content;
    expect(text).toContain('MYSQL_PWD is set from secret `mysql-credentials`/`root-password`');
  });

});

describe('placeholders are <...>, and a pasted placeholder fails instead of running', () => {
  const runbooks = [...reviewOf(homelabSite(freshApp())).entries(), ...review.entries()].filter(([p]) => p.startsWith('runbooks/'));

  it('no DB, JOB or restore-shell stand-ins in any runbook of the app dumps', () => {
    const appDumps = runbooks.filter(([, f]) => f.content.includes('(CronJob '));
    expect(appDumps.length).toBeGreaterThan(15);
    for (const [file, f] of appDumps) expect({ file, stale: f.content.match(/\bDB\b|\bJOB\b|restore-shell/g) }).toEqual({ file, stale: null });
  });

  it.each([
    ['postgresql-backup-per-db', 'PGPASSWORD', 'postgresql-credentials', 'postgres-password', '.dump'],
    ['mysql-backup-per-db', 'MYSQL_PWD', 'mysql-credentials', 'root-password', '.sql.gz'],
  ])('homelab %s: the database is set once as db=\'<db>\' before it is used, and the password comes from the Secret', (job, variable, secret, key, ext) => {
    const steps = stepsOf(job, homelab);
    const lines = steps.flatMap((s) => s.commands);
    const set = lines.indexOf("db='<db>'");
    expect(set).toBeGreaterThan(0);
    const uses = lines.map((l, i) => [l, i] as const).filter(([l]) => l.includes('$db'));
    expect(uses.length).toBeGreaterThan(1);
    for (const [, i] of uses) expect(i).toBeGreaterThan(set);
    expect(lines.join('\n')).toContain(`/backup/per-db/$db"/*${ext}`);
    const restore = steps.find((s) => s.commands.some((c) => c.includes('"$db"') && !c.startsWith('ls ')))!;
    expect(restore.notes!.join(' ')).toContain(`${variable} is set from secret \`${secret}\`/\`${key}\``);
    // the shell the steps run in has that variable from that Secret
    expect(kubectlRuns(job, homelab)[0].overrides.spec.containers[0].env).toContainEqual({ name: variable, valueFrom: { secretKeyRef: { name: secret, key } } });
  });

  it('a per-db restore pasted without choosing the database looks for a folder named <db> and stops there', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'per-db', 'shop'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'per-db', 'shop', 'x.dump'), 'x');
    const pick = stepsOf('postgresql-backup-per-db')
      .flatMap((s) => s.commands)
      .filter((c) => !c.startsWith('kubectl') && !c.startsWith('pg_restore'))
      .map((c) => c.split('/backup').join(dir));
    const r = spawnSync('sh', ['-c', pick.join('\n')], { encoding: 'utf8' });
    expect(r.stdout).toContain('shop');
    expect(r.stderr).toMatch(/<db>.*No such file/);
  });
});

describe('etcd: restored on the control-plane nodes, without the Kubernetes API', () => {
  it('mounts the NFS export the volume declares, stops etcd and the API server, restores with the member flags, starts them', () => {
    const steps = stepsOf('etcd-backup');
    const lines = steps.flatMap((s) => s.commands);
    // server and path as the fixture's NfsVolume gives them
    expect(lines).toContain('mount -t nfs -o ro 192.168.1.127:/srv/nfs/etcd-backup /mnt/etcd-backup');
    expect(lines.filter((l) => /^kubectl .* (run|exec) /.test(l))).toEqual([]);
    const mount = indexOf(steps, /mount the backup's NFS export/);
    const stop = indexOf(steps, /^stop etcd/);
    const restore = indexOf(steps, /^restore the snapshot/);
    const start = indexOf(steps, /^start etcd/);
    expect([mount, stop, restore, start]).toEqual([0, 1, 2, 3]);
    const etcdutl = steps[restore].commands.find((c) => c.startsWith('etcdutl snapshot restore'))!;
    for (const flag of ['--data-dir', '--name', '--initial-cluster', '--initial-advertise-peer-urls']) expect(etcdutl).toContain(` ${flag} `);
    expect(steps[restore].notes!.join(' ')).toMatch(/several members: restore the same snapshot on every member, each with its own `--name` and `--initial-advertise-peer-urls`/);
    expect(steps[stop].commands.join('\n')).toMatch(/mv \/etc\/kubernetes\/manifests\/etcd\.yaml \/etc\/kubernetes\/manifests\/kube-apiserver\.yaml/);
  });

  it('from a claim that is no NFS export: copies the newest snapshot out through the restore shell while the API answers', () => {
    const steps = etcdJobRestore(() => BackupVolume.existingClaim('etcd-snapshots'));
    expect(steps[0].title).toMatch(/while the Kubernetes API still answers/);
    const [run, exec, scp] = steps[0].commands;
    const words = shellWords(run);
    const overrides = JSON.parse(words.find((w) => w.startsWith('--overrides='))!.slice('--overrides='.length));
    expect(overrides.spec.volumes).toEqual([{ name: 'backup', persistentVolumeClaim: { claimName: 'etcd-snapshots', readOnly: true } }]);
    expect(exec).toMatch(/>etcd-backup\.db {3}# in a second terminal$/);
    expect(shellWords(exec.replace(/ >.*$/, '')).slice(0, 6)).toEqual(['kubectl', '-n', 'kube-system', 'exec', overrides.spec.containers[0].name, '--']);
    expect(scp).toMatch(/^scp etcd-backup\.db /);
    expect(steps[1].commands).toEqual(['snap=/root/etcd-backup.db']);
    expect(steps.flatMap((s) => s.commands)).not.toContainEqual(expect.stringMatching(/^mount -t nfs/));
  });
});

describe('Vault: which restore for which cluster', () => {
  it('the same cluster restores without -force, a freshly initialised one with -force, each after logging in with a token that may restore', () => {
    const steps = stepsOf('vault-backup');
    const same = steps.find((s) => /same cluster/.test(s.title))!;
    const fresh = steps.find((s) => /freshly initialised/.test(s.title))!;
    const restoreLine = (s: RestoreStep) => s.commands.filter((c) => c.startsWith('vault operator raft snapshot restore'));
    expect(restoreLine(same)).toEqual([expect.not.stringContaining('-force')]);
    expect(restoreLine(fresh)).toEqual([expect.stringMatching(/^vault operator raft snapshot restore -force "\$\(ls -1t \/backup\/\*\.snap/)]);
    for (const s of [same, fresh]) {
      const unset = s.commands.indexOf('unset VAULT_TOKEN');
      const login = s.commands.findIndex((c) => c.startsWith('vault login'));
      expect(unset).toBeGreaterThanOrEqual(0);
      expect(login).toBeGreaterThan(unset);
      expect(s.commands.findIndex((c) => c.startsWith('vault operator raft'))).toBeGreaterThan(login);
      expect(s.commands).toContain('export VAULT_ADDR=http://vault.vault.svc:8200');
    }
    expect(fresh.notes!.join(' ')).toMatch(/unsealed with the snapshot's unseal keys/);
  });
});

describe('Redis: an AOF is moved aside and rebuilt from the restored RDB file', () => {
  it('moves appendonlydir aside with the old RDB file, starts Redis once with appendonly no, then turns AOF on at run time from a client shell', () => {
    const steps = stepsOf('redis-backup');
    const replace = steps.findIndex((s) => s.commands.some((c) => c.includes('appendonlydir')));
    const start = indexOf(steps, /start Redis again/);
    const aof = indexOf(steps, /write a new AOF/);
    expect(replace).toBeGreaterThan(0);
    expect(start).toBeGreaterThan(replace);
    expect(aof).toBeGreaterThan(start);
    expect(steps[start].notes!.join(' ')).toContain('`appendonly no`');
    const [client] = kubectlRuns('redis-backup').slice(1);
    // no claim: Redis has its data claim back by then; the password Secret as the job has it
    expect(client.overrides.spec).not.toHaveProperty('volumes');
    expect(client.overrides.spec.containers[0].env).toEqual([{ name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: 'redis', key: 'password' } } }]);
    expect(steps[aof].commands).toContain('redis-cli -h redis.redis -p 6379 CONFIG SET appendonly yes');
    expect(steps[aof].notes!.join(' ')).toMatch(/BGREWRITEAOF/);
  });
});

describeWithTool('shellcheck', 'shellcheck', 'restore commands are valid sh', () => {
  const check = (id: string, commands: readonly string[], dir: string) => {
    const file = path.join(dir, `${id}.sh`);
    // one script per job: the steps share variables ($db, $rdb, $src, $snap) as the operator's shell does
    // a quoted placeholder becomes a value shellcheck cannot know (so it checks its quoting), a bare one a word
    const script = commands.join('\n').replace(/'<[^<>\s]+>'/g, '"$1"').replace(/<[^<>\s]+>/g, 'x');
    fs.writeFileSync(file, `#!/bin/sh\n${script}\n`);
    expect({ job: id, ...shellcheck(file) }).toEqual({ job: id, status: 0, output: '' });
    // and every expansion quoted (SC2086 is an info-level check): a database or file name with a space stays one word
    const r = spawnSync('shellcheck', ['-S', 'info', '-i', 'SC2086', file], { encoding: 'utf8' });
    expect({ job: id, status: r.status, output: r.stdout }).toEqual({ job: id, status: 0, output: '' });
  };

  it('every engine\'s restore passes shellcheck, placeholders filled in', () => {
    const dir = tempDir();
    for (const j of Object.values(jobs)) check(j.jobId, commandsOf(j.jobId), dir);
  });

  it('and the homelab\'s', () => {
    const dir = tempDir();
    const dumps = homelab.jobs.filter((j) => j.kind.startsWith('app-dump:'));
    expect(dumps.length).toBe(10);
    for (const job of dumps) check(job.id, job.restore!.flatMap((s) => s.commands), dir);
  });
});
