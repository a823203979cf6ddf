import * as fs from 'fs';
import * as path from 'path';
import { AppDumpCronJob, BackupVolume, DumpEngine, NfsVolume, Schedule } from '../../constructs';
import { freePort } from '../helpers/pushgateway';
import { modelOf } from '../helpers/synth';
import { tempDir } from '../helpers/tools';
import { between, describeWithTools, labSite, paste } from './run';
import { EtcdServer, RedisServer } from './servers';
import { etcdJobRestore } from './fixtures';

/**
 * The runbooks' restore commands run for real, as an operator pastes them into the restore
 * shell or onto the node: the pod's and the node's paths point into temporary folders, the
 * placeholders get the values an operator would type; nothing else is changed.
 */

describeWithTools([['redis-server', 'redis-server']], 'Redis restore with AOF, as the runbook gives it, against a real server', () => {
  it('an AOF moved aside, dump.rdb put back, Redis started with appendonly no, AOF rebuilt at run time: after a restart with appendonly yes the restored keys are there', async () => {
    const port = await freePort();
    const { site } = labSite();
    new AppDumpCronJob(site, 'Redis', {
      namespace: 'redis',
      jobId: 'redis-backup',
      engine: DumpEngine.redis({ host: '127.0.0.1', port, dataClaim: 'redis-data' }),
      schedule: Schedule.weekly('sun', '03:00'),
      retentionDays: 30,
      backupVolume: BackupVolume.existingClaim('redis-backup'),
    });
    const steps = modelOf(site).job('redis-backup')!.restore!;
    const data = fs.mkdtempSync('/tmp/bc-redis-aof-');
    const backup = tempDir();
    const paths = { '/backup': backup, '/data': data };
    try {
      // GIVEN a Redis with AOF on, a backup of 50 keys, then the damage the restore undoes
      const live = await RedisServer.start(data, { port, args: ['--appendonly', 'yes'] });
      for (let i = 1; i <= 50; i++) live.cli('SET', `key:${i}`, `value ${i}`);
      live.cli('SAVE');
      fs.copyFileSync(path.join(data, 'dump.rdb'), path.join(backup, 'redis-backup-20260105T030000Z.rdb'));
      // as the dump writes it: its own user's only
      fs.chmodSync(path.join(backup, 'redis-backup-20260105T030000Z.rdb'), 0o600);
      live.cli('FLUSHALL');
      live.cli('SET', 'damage', '1');
      await live.stop(false);
      expect(fs.existsSync(path.join(data, 'appendonlydir'))).toBe(true);

      // WHEN the restore shell's steps run: pick and check the newest RDB file, replace dump.rdb, move the AOF aside
      const inShell = between(steps, /^start a restore shell/, /^leave the restore shell/);
      const r = paste(
        inShell.flatMap((s) => s.commands),
        paths,
      );
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('RDB looks OK!');
      expect(r.stdout).toContain(`moved ${data}/appendonlydir aside`);
      expect(fs.readFileSync(path.join(data, 'dump.rdb'))).toEqual(fs.readFileSync(path.join(backup, 'redis-backup-20260105T030000Z.rdb')));
      // readable by Redis, which often runs as another user than the restore shell
      expect(fs.statSync(path.join(data, 'dump.rdb')).mode & 0o777).toBe(0o644);
      expect(fs.readdirSync(data).filter((n) => n.startsWith('appendonlydir.before-restore-'))).toHaveLength(1);
      expect(fs.existsSync(path.join(data, 'appendonlydir'))).toBe(false);

      // what the runbook warns of: started with appendonly yes, Redis ignores the restored file
      const trap = fs.mkdtempSync('/tmp/bc-redis-trap-');
      fs.copyFileSync(path.join(data, 'dump.rdb'), path.join(trap, 'dump.rdb'));
      const wrong = await RedisServer.start(trap, { args: ['--appendonly', 'yes'] });
      expect(wrong.cli('DBSIZE')).toBe('0');
      await wrong.stop();

      // THEN started once with appendonly no it has the backup's keys, and the AOF step rebuilds the AOF from them
      const restored = await RedisServer.start(data, { port, args: ['--appendonly', 'no'] });
      expect(restored.cli('DBSIZE')).toBe('50');
      const aofStep = steps.find((s) => /write a new AOF/.test(s.title))!;
      const [dbsize, configSet, info] = aofStep.commands.filter((c) => c.startsWith('redis-cli '));
      expect(paste([dbsize], paths).stdout.trim()).toBe('50');
      expect(paste([configSet], paths).stdout.trim()).toBe('OK');
      let state = '';
      for (let i = 0; i < 100 && !/aof_rewrite_in_progress:0[\s\S]*aof_rewrite_scheduled:0[\s\S]*aof_last_bgrewrite_status:ok/.test(state); i++) {
        await new Promise((done) => setTimeout(done, 100));
        state = paste([info], paths).stdout;
      }
      expect(state).toMatch(/^aof_enabled:1$/m);
      expect(state).toMatch(/^aof_last_bgrewrite_status:ok$/m);
      await restored.stop(false);

      // and with appendonly yes back in the configuration it loads the new AOF (the RDB file gone to prove it)
      fs.rmSync(path.join(data, 'dump.rdb'));
      const after = await RedisServer.start(data, { port, args: ['--appendonly', 'yes'] });
      expect(after.cli('DBSIZE')).toBe('50');
      expect(after.cli('GET', 'key:42')).toBe('value 42');
      expect(after.cli('EXISTS', 'damage')).toBe('0');
      await after.stop();
    } finally {
      fs.rmSync(data, { recursive: true, force: true });
    }
  }, 120_000);
});

describeWithTools([['etcd', 'etcd-server'], ['etcdctl', 'etcd-client']], "etcd restore on a node, as the runbook gives it, with Debian's etcd 3.4 standing in for etcdutl", () => {
  it('from the mounted export: the newest snapshot, checked, restored with the member flags into the data folder, the old one kept; etcd starts on it with every key', async () => {
    const steps = etcdJobRestore((site) => new NfsVolume(site, 'EtcdBackupVolume', { name: 'etcd-backup', namespace: 'kube-system', server: '192.168.1.127', path: '/srv/nfs/etcd-backup' }));

    // GIVEN the export, as mounted on the node, with an older and a newer snapshot
    const source = await EtcdServer.start();
    const mnt = tempDir();
    try {
      for (let i = 1; i <= 20; i++) source.ctl('put', `/registry/pods/p${i}`, `pod ${i}`);
      source.ctl('snapshot', 'save', path.join(mnt, 'etcd-backup-20260104T010000Z.db'));
      const old = path.join(mnt, 'etcd-backup-20260101T010000Z.db');
      fs.writeFileSync(old, 'an older snapshot');
      fs.utimesSync(old, new Date('2026-01-01T01:00:00Z'), new Date('2026-01-01T01:00:00Z'));
    } finally {
      await source.stop();
    }
    // etcd.yaml as kubeadm writes it, and the live data folder the restore moves aside
    const node = tempDir();
    const stopped = path.join(node, 'manifests-stopped');
    fs.mkdirSync(stopped);
    fs.writeFileSync(
      path.join(stopped, 'etcd.yaml'),
      ['    - etcd', '    - --advertise-client-urls=https://10.0.0.5:2379', '    - --data-dir=/var/lib/etcd', '    - --initial-advertise-peer-urls=https://10.0.0.5:2380', '    - --initial-cluster=cp1=https://10.0.0.5:2380', '    - --listen-client-urls=https://127.0.0.1:2379', '    - --name=cp1', ''].join('\n'),
    );
    const dataDir = path.join(node, 'etcd');
    fs.mkdirSync(path.join(dataDir, 'member'), { recursive: true });
    const bin = tempDir();
    fs.writeFileSync(path.join(bin, 'etcdutl'), '#!/bin/sh\nETCDCTL_API=3 exec etcdctl "$@"\n', { mode: 0o755 });
    const peer = await freePort();

    // WHEN the node's lines run (mkdir and mount aside: the folder stands for the mount)
    const mountStep = steps.find((s) => /mount the backup's NFS export/.test(s.title))!;
    const restoreStep = steps.find((s) => /^restore the snapshot/.test(s.title))!;
    const lines = [...mountStep.commands.filter((c) => !/^(mkdir|mount) /.test(c)), ...restoreStep.commands].map((c) =>
      c.split('https://<member-ip>:2380').join(`http://127.0.0.1:${peer}`).split('<member-name>').join('default'),
    );
    const r = paste(lines, { '/mnt/etcd-backup': mnt, '/etc/kubernetes/manifests-stopped': stopped, '/var/lib/etcd': dataDir }, { ...process.env, PATH: `${bin}:${process.env.PATH}` });

    // THEN
    expect(r.stderr).not.toMatch(/error|invalid|unknown flag|No such file/i);
    expect(r.status).toBe(0);
    // the member's own flags, as the operator reads them off etcd.yaml
    expect(r.stdout).toContain('--name=cp1');
    expect(r.stdout).toContain('--initial-cluster=cp1=https://10.0.0.5:2380');
    expect(r.stdout).not.toContain('--listen-client-urls');
    // snapshot status read the newest snapshot (the older one is no snapshot at all)
    expect(r.stdout).toMatch(/TOTAL KEYS/);
    expect(fs.readdirSync(node).filter((n) => n.startsWith('etcd.before-restore-'))).toHaveLength(1);
    const restored = await EtcdServer.start(dataDir);
    try {
      expect(restored.ctl('get', '/registry/pods/p17', '--print-value-only').trim()).toBe('pod 17');
      expect(restored.ctl('get', '/registry/', '--prefix', '--keys-only').split('\n').filter(Boolean)).toHaveLength(20);
      expect(restored.ctl('member', 'list')).toContain(`default, http://127.0.0.1:${peer}`);
    } finally {
      await restored.stop();
    }
  }, 120_000);
});
