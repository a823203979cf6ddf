import * as fs from 'fs';
import * as path from 'path';
import { AppDumpCronJob, BackupVolume, DumpEngine, Duration, Schedule } from '../../constructs';
import { Pushgateway } from '../helpers/pushgateway';
import { synthJson } from '../helpers/synth';
import { shellcheck, tempDir } from '../helpers/tools';
import { describeWithTools, labSite, listDir, newArtifacts, podScripts, PodScripts, rotationFixtures, runPod, runScript } from './run';
import { EtcdServer, RedisServer, sh } from './servers';

function scripts(minKeys?: number): { redis: PodScripts; etcd: PodScripts } {
  const { site } = labSite();
  new AppDumpCronJob(site, 'Redis', {
    namespace: 'redis',
    jobId: 'redis-backup',
    engine: DumpEngine.redis({ host: 'redis.redis', dataClaim: 'redis-data', minKeys }),
    schedule: Schedule.weekly('sun', '03:00'),
    retentionDays: 30,
    backupVolume: BackupVolume.existingClaim('redis-backup'),
  });
  new AppDumpCronJob(site, 'Etcd', {
    namespace: 'kube-system',
    jobId: 'etcd-backup',
    engine: DumpEngine.etcd({ endpoints: ['https://127.0.0.1:2379'], minKeys, timeout: Duration.seconds(5) }),
    image: 'example.org/etcd-tools:3.5',
    schedule: Schedule.weekly('sun', '01:00'),
    retentionDays: 30,
    backupVolume: BackupVolume.existingClaim('etcd-backup'),
  });
  const json = synthJson(site);
  return { redis: podScripts(json, 'redis-backup'), etcd: podScripts(json, 'etcd-backup') };
}

const labels = (job: string) => ({ backup_job: job, site: 'lab', host: 'k8s' });

describeWithTools([['redis-server', 'redis-server'], ['prometheus-pushgateway', 'prometheus-pushgateway'], ['shellcheck', 'shellcheck']], 'Redis engine against a real server', () => {
  let redis: RedisServer;
  let gw: Pushgateway;
  let s: { redis: PodScripts; etcd: PodScripts };

  beforeAll(async () => {
    [redis, gw] = await Promise.all([RedisServer.start(), Pushgateway.start()]);
    for (let i = 1; i <= 50; i++) redis.cli('SET', `key:${i}`, `value ${i}`);
    redis.cli('RPUSH', 'queue', 'a', 'b', 'c');
    s = scripts();
  }, 60_000);

  afterAll(async () => {
    gw?.stop();
    await redis?.stop();
  });

  const env = (out: string, status: string, extra: Record<string, string> = {}) => ({ BC_REDIS_HOST: '127.0.0.1', BC_REDIS_PORT: String(redis.port), BC_DATA_DIR: redis.dir, BC_OUT_DIR: out, BC_STATUS_DIR: status, ...extra });

  it('passes shellcheck', () => {
    const file = path.join(tempDir(), 'redis.sh');
    fs.writeFileSync(file, s.redis.dump);
    expect(shellcheck(file)).toEqual({ status: 0, output: '' });
  });

  it('BGSAVE, copies the RDB, which a fresh Redis loads with every key; rotation deletes only its own old copies', async () => {
    const out = tempDir();
    const fx = rotationFixtures(out, 'redis-backup', '.rdb', 30);
    const run = runPod(s.redis, 'dash', env(out, tempDir()), gw.url);
    expect(run.dump.stderr).not.toMatch(/FAILED/);
    expect(run.report.status).toBe(0);
    const [rdb] = newArtifacts(out, 'redis-backup', '.rdb');
    expect(fs.existsSync(fx.ownOld)).toBe(false);
    expect(fs.existsSync(fx.ownYoung)).toBe(true);
    for (const f of fx.foreign) expect(fs.existsSync(f)).toBe(true);

    const restoreDir = fs.mkdtempSync('/tmp/bc-redis-restore-');
    fs.copyFileSync(path.join(out, rdb), path.join(restoreDir, 'dump.rdb'));
    const fresh = await RedisServer.start(restoreDir);
    try {
      expect(fresh.cli('DBSIZE')).toBe('51');
      expect(fresh.cli('GET', 'key:42')).toBe('value 42');
      expect(fresh.cli('LRANGE', 'queue', '0', '-1')).toBe('a\nb\nc');
    } finally {
      await fresh.stop();
    }
    expect(await gw.value('backup_last_status', labels('redis-backup'))).toBe(0);
  }, 60_000);

  it('fails when the RDB file it would copy is not the save Redis just made (a data folder Redis does not write)', () => {
    const stale = tempDir();
    redis.cli('SAVE');
    fs.copyFileSync(path.join(redis.dir, 'dump.rdb'), path.join(stale, 'dump.rdb'));
    const old = Date.now() / 1000 - 20 * 86400;
    fs.utimesSync(path.join(stale, 'dump.rdb'), old, old);
    const out = tempDir();
    const r = runScript('dash', s.redis.dump, env(out, tempDir(), { BC_DATA_DIR: stale }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/dump\.rdb was last written at \d+, not by the save Redis just made .*is .* Redis's dir/);
    expect(newArtifacts(out, 'redis-backup', '.rdb')).toEqual([]);
  }, 60_000);

  it('fails below the key floor and when Redis is unreachable, pushing the failure and keeping old copies', async () => {
    const strict = scripts(1000);
    const out = tempDir();
    const fx = rotationFixtures(out, 'redis-backup', '.rdb', 30);
    const floor = runScript('dash', strict.redis.dump, env(out, tempDir()));
    expect(floor.status).toBe(1);
    expect(floor.stderr).toMatch(/keys in the RDB file: 51, below the floor of 1000/);
    const down = runPod(s.redis, 'dash', env(out, tempDir(), { BC_REDIS_PORT: '1' }), gw.url);
    expect(down.report.status).not.toBe(0);
    expect(await gw.value('backup_last_status', labels('redis-backup'))).not.toBe(0);
    expect(newArtifacts(out, 'redis-backup', '.rdb')).toEqual([]);
    expect(fs.existsSync(fx.ownOld)).toBe(true);
    expect(listDir(out).filter((n) => n.startsWith('.bc-work'))).toEqual([]);
  }, 60_000);
});

describeWithTools([['etcd', 'etcd-server'], ['etcdctl', 'etcd-client'], ['prometheus-pushgateway', 'prometheus-pushgateway'], ['shellcheck', 'shellcheck']], 'etcd engine against a real server', () => {
  let etcd: EtcdServer;
  let gw: Pushgateway;
  let s: { redis: PodScripts; etcd: PodScripts };

  beforeAll(async () => {
    [etcd, gw] = await Promise.all([EtcdServer.start(), Pushgateway.start()]);
    for (let i = 1; i <= 20; i++) etcd.ctl('put', `/registry/pods/p${i}`, `pod ${i}`);
    s = scripts();
  }, 60_000);

  afterAll(async () => {
    gw?.stop();
    await etcd?.stop();
  });

  const env = (out: string, status: string, extra: Record<string, string> = {}) => ({ ETCDCTL_ENDPOINTS: etcd.endpoint, BC_OUT_DIR: out, BC_STATUS_DIR: status, ...extra });

  it('passes shellcheck', () => {
    const file = path.join(tempDir(), 'etcd.sh');
    fs.writeFileSync(file, s.etcd.dump);
    expect(shellcheck(file)).toEqual({ status: 0, output: '' });
  });

  it('snapshot save, checked by snapshot status; the snapshot restores into a new member with every key', async () => {
    const out = tempDir();
    const fx = rotationFixtures(out, 'etcd-backup', '.db', 30);
    const run = runPod(s.etcd, 'dash', env(out, tempDir()), gw.url);
    expect(run.dump.stderr).not.toMatch(/FAILED/);
    expect(run.report.status).toBe(0);
    const [snap] = newArtifacts(out, 'etcd-backup', '.db');
    expect(fs.existsSync(fx.ownOld)).toBe(false);
    expect(fs.existsSync(fx.ownYoung)).toBe(true);
    for (const f of fx.foreign) expect(fs.existsSync(f)).toBe(true);

    const restored = path.join(fs.mkdtempSync('/tmp/bc-etcd-restore-'), 'data');
    sh('etcdctl', ['snapshot', 'restore', path.join(out, snap), '--data-dir', restored], { env: { ...process.env, ETCDCTL_API: '3' } });
    const fresh = await EtcdServer.start(restored);
    try {
      expect(fresh.ctl('get', '/registry/pods/p17', '--print-value-only').trim()).toBe('pod 17');
      expect(fresh.ctl('get', '/registry/', '--prefix', '--keys-only').split('\n').filter(Boolean)).toHaveLength(20);
    } finally {
      await fresh.stop();
      fs.rmSync(path.dirname(restored), { recursive: true, force: true });
    }
    expect(await gw.value('backup_last_status', labels('etcd-backup'))).toBe(0);
  }, 60_000);

  it('fails below the key floor and when etcd is unreachable, and pushes the failure', async () => {
    const strict = scripts(1000);
    const floor = runScript('dash', strict.etcd.dump, env(tempDir(), tempDir()));
    expect(floor.status).toBe(1);
    expect(floor.stderr).toMatch(/keys in the snapshot: \d+, below the floor of 1000/);
    const out = tempDir();
    const down = runPod(s.etcd, 'dash', env(out, tempDir(), { ETCDCTL_ENDPOINTS: 'http://127.0.0.1:1' }), gw.url);
    expect(down.dump.stderr).toMatch(/took over 5 seconds/);
    expect(down.report.status).not.toBe(0);
    expect(await gw.value('backup_last_status', labels('etcd-backup'))).not.toBe(0);
    expect(listDir(out)).toEqual([]);
  }, 60_000);
});
