import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { parse } from 'yaml';
import { AlertDelivery, BackupAlertRules, Duration, Guest, PveHost, PveStorage, RestoreDrill, Retention, Schedule, VzdumpJob } from '../../constructs';
import { ct, testSite, vm } from '../helpers/fixtures';
import { runInProcessGroup } from '../helpers/process-group';
import { modelOf, reviewOf, synthJson, writeTree } from '../helpers/synth';
import { systemdVerify } from '../helpers/systemd';
import { describeWithTool, shellcheck, tempDir } from '../helpers/tools';
import { makeFakePve } from './fake-pve';

/** A site with a dir storage, VM 100 and CT 105 backed up nightly, and drills for both. */
function drillSite(extra: Partial<ConstructorParameters<typeof RestoreDrill>[2]> = {}) {
  const { site, host } = testSite();
  const disk = new PveStorage(site, 'BackupHdd', { host, storageId: 'backup-hdd', type: 'dir', path: '/mnt/backup', retention: Retention.keepLast(7) });
  const g100 = vm(site, host, 100, { classification: 'critical' });
  const c105 = ct(site, host, 105);
  VzdumpJob.nightly(site, 'Nightly', { host, jobId: 'nightly', storage: disk, guests: [g100, c105] });
  const drill = new RestoreDrill(site, 'DrillVm100', { guest: g100, tempVmid: 101, command: ['sh', '-c', 'exit ${DRILL_EXIT:-0}'], ...extra });
  const ctDrill = new RestoreDrill(site, 'DrillCt105', { guest: c105, tempVmid: 106 });
  return { site, host, disk, g100, c105, drill, ctDrill };
}

/** vzdump's archive name for a guest taken `ageHours` ago, in local time as vzdump writes it. */
function archiveName(kind: 'qemu' | 'lxc', vmid: number, ageHours: number): string {
  const d = new Date(Date.now() - ageHours * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getFullYear()}_${p(d.getMonth() + 1)}_${p(d.getDate())}-${p(d.getHours())}_${p(d.getMinutes())}_${p(d.getSeconds())}`;
  return `vzdump-${kind}-${vmid}-${stamp}.${kind === 'qemu' ? 'vma' : 'tar'}.zst`;
}

function setUp(extra: Partial<ConstructorParameters<typeof RestoreDrill>[2]> = {}) {
  const s = drillSite(extra);
  const dir = tempDir('bc-drill-');
  writeTree(dir, reviewOf(s.site).values());
  const fake = makeFakePve(dir);
  const dump = path.join(dir, 'dump');
  fs.mkdirSync(dump);
  const prom = path.join(dir, 'prom');
  const env = (more: Record<string, string> = {}) => ({
    PATH: `${fake.bin}:${process.env.PATH}`,
    BC_TEXTFILE_DIR: prom,
    BC_LOCK_0: path.join(dir, 'locks/restore-drill.lock'),
    DUMP_DIR: dump,
    POLL_SECONDS: '0.1',
    BOOT_TIMEOUT_SECONDS: '2',
    ...more,
  });
  const script = (d: RestoreDrill) => path.join(dir, 'hosts/pve', d.job.scriptPath);
  const metrics = (job: string) => fs.readFileSync(path.join(prom, `backup_${job}.prom`), 'utf8');
  const statusOf = (job: string) => Number(/^backup_last_status\{[^}]*\} (\d+)$/m.exec(metrics(job))![1]);
  return { ...s, dir, fake, dump, env, script, metrics, statusOf };
}

describe('RestoreDrill', () => {
  it('registers a quarterly restore-drill job that verifies the guest, with an explicit stale threshold beyond the quarter', () => {
    const { site, drill } = drillSite();
    const job = modelOf(site).job('restore-drill-vm100')!;
    expect(job).toMatchObject({ kind: 'restore-drill', verifies: ['guest:pve:100'], alertName: 'RestoreDrillVm100', classification: 'critical', staleAfterExplicit: true });
    // the longest gap between two quarterly runs is 92 days (Oct 1st to Jan 1st)
    expect(Schedule.quarterly(1, '05:00').period().toDays()).toBe(92);
    expect(job.staleAfterHours).toBe((92 + 14) * 24);
    expect(drill.storage.storageId).toBe('backup-hdd');
    const timer = reviewOf(site).get('hosts/pve/etc/systemd/system/bc-restore-drill-vm100.timer')!.content;
    expect(timer).toContain('OnCalendar=*-01,04,07,10-01 05:00:00\n');
    expect(modelOf(site).job('restore-drill-ct106')).toBeUndefined();
    expect(modelOf(site).job('restore-drill-ct105')).toMatchObject({ verifies: ['guest:pve:105'] });
  });

  it('derives alerts for the drill: Stale after the quarter plus 14 days, Failing, NeverRan', () => {
    const { site } = drillSite();
    new BackupAlertRules(site, 'Alerts', { delivery: AlertDelivery.reviewOnly('test') });
    synthJson(site);
    const file = [...reviewOf(site).entries()].find(([k]) => /^prometheus\/.*\.rules\.yml$/.test(k))![1].content;
    const rules = parse(file).groups[0].rules as { alert: string; expr: string; labels: Record<string, string> }[];
    const drill = rules.filter((r) => r.alert.startsWith('RestoreDrillVm100'));
    expect(drill.map((r) => r.alert).sort()).toEqual(['RestoreDrillVm100Failing', 'RestoreDrillVm100NeverRan', 'RestoreDrillVm100Stale']);
    expect(drill.find((r) => r.alert === 'RestoreDrillVm100Stale')!.expr).toContain(`> ${(92 + 14) * 86400}`);
    expect(drill[0].labels.severity).toBe('critical');
  });

  it('fails when the temporary VMID is the guest itself, or TCP ports are asked of a disconnected copy', () => {
    const { site, g100 } = drillSite();
    expect(() => new RestoreDrill(site, 'Same', { guest: g100, tempVmid: 100 })).toThrow(/\[test\/Same\] tempVmid: expected a VMID other than the guest's own, got 100/);
    expect(() => new RestoreDrill(site, 'Tcp', { guest: g100, tempVmid: 109, tcpPorts: [22] })).toThrow(/\[test\/Tcp\] tcpPorts: expected network: 'connected' and a checkAddress/);
    expect(() => new RestoreDrill(site, 'Addr', { guest: g100, tempVmid: 109, checkAddress: '10.0.0.9' })).toThrow(/\[test\/Addr\] checkAddress: only applies with network: 'connected'/);
  });

  it('fails when no vzdump job backs the guest up (and no storage is given)', () => {
    const { site, host } = testSite();
    const g = vm(site, host, 300);
    expect(() => new RestoreDrill(site, 'Orphan', { guest: g, tempVmid: 301 })).toThrow(/\[test\/Orphan\] storage: expected a vzdump job backing up guest 300, got none declared before this drill \(hint: declare the VzdumpJob before the RestoreDrill, or pass storage\)/);
  });

  it('fails at synth when the temporary VMID is a declared guest, or another drill uses it', () => {
    const { site, host, g100 } = drillSite();
    vm(site, host, 102);
    new RestoreDrill(site, 'Collides', { guest: g100, tempVmid: 102, jobId: 'drill-two' });
    new RestoreDrill(site, 'Shares', { guest: g100, tempVmid: 102, jobId: 'drill-three' });
    expect(() => synthJson(site)).toThrow(/\[test\/Collides\] tempVmid: 102 is the VMID of declared guest vm102/);
    expect(() => synthJson(site)).toThrow(/\[test\/Collides\] tempVmid: 102 is also the temporary VMID of test\/Shares/);
  });

  it('fails when a guest of the same VMID on another node keeps the default job id, suggesting one carrying the node', () => {
    const { site } = drillSite();
    const pve2 = new PveHost(site, 'Pve2', { name: 'pve2', address: '10.0.0.6' });
    const disk2 = new PveStorage(site, 'BackupHdd2', { host: pve2, storageId: 'backup-hdd', type: 'dir', path: '/mnt/backup', retention: Retention.keepLast(7) });
    const other100 = new Guest(site, 'Pve2Vm100', { host: pve2, vmid: 100, type: 'qemu', name: 'vm100-pve2' });
    VzdumpJob.nightly(site, 'Nightly2', { host: pve2, jobId: 'nightly-pve2', storage: disk2, guests: [other100] });
    expect(() => new RestoreDrill(site, 'Drill2', { guest: other100, tempVmid: 101 })).toThrow(
      /^\[test\/Drill2\/Job\] jobId: job "restore-drill-vm100" is already registered in site test by test\/DrillVm100\/Job \(hint: job ids name metrics, alerts and Proxmox jobs; give each job its own, e\.g\. jobId: 'restore-drill-vm100-pve2' for the one on pve2\)$/,
    );
    new RestoreDrill(site, 'Drill3', { guest: other100, tempVmid: 101, jobId: 'restore-drill-vm100-pve2' });
    synthJson(site);
  });

  it('fails when a PBS storage is named (no archive folder to restore from)', () => {
    const { site, g100, host } = drillSite();
    const pbs = new PveStorage(site, 'Pbs', { host, storageId: 'pbs', type: 'pbs', server: '10.0.0.7', datastore: 'store' });
    expect(() => new RestoreDrill(site, 'FromPbs', { guest: g100, tempVmid: 109, storage: pbs })).toThrow(/\[test\/FromPbs\] storage: expected a storage with an archive folder, got pbs storage pbs/);
  });
});

describe('Schedule.quarterly', () => {
  it('renders for Proxmox, systemd and cron, and reads back from cron', () => {
    const q = Schedule.quarterly(1, '05:00');
    expect(q.toProxmox()).toBe('*-01,04,07,10-01 05:00');
    expect(q.toSystemd()).toBe('*-01,04,07,10-01 05:00:00');
    expect(q.toCron()).toBe('0 5 1 1,4,7,10 *');
    expect(Schedule.cron('0 5 1 1,4,7,10 *').toSystemd()).toBe(q.toSystemd());
    expect(q.nextRuns(new Date('2026-02-10T00:00:00Z'), 2).map((r) => r.wallTime)).toEqual(['2026-04-01 05:00', '2026-07-01 05:00']);
  });
});

describeWithTool('systemd-analyze', 'systemd', 'Schedule.quarterly against systemd', () => {
  it('gives the same next runs as systemd-analyze calendar', () => {
    const q = Schedule.quarterly(2, '05:00');
    const out = spawnSync('systemd-analyze', ['calendar', '--iterations=3', "--base-time=2026-01-05 00:00 UTC", `${q.toSystemd()} UTC`], { encoding: 'utf8' }).stdout;
    const systemd = [...out.matchAll(/(\d{4}-\d{2}-\d{2} \d{2}:\d{2}):\d{2} UTC/g)].map((m) => m[1]);
    expect(systemd).toEqual(q.nextRuns(new Date('2026-01-05T00:00:00Z'), 3).map((r) => r.wallTime));
  });
});

describeWithTool('shellcheck', 'shellcheck', 'restore drill scripts, against stand-ins for qmrestore, qm, pct, pvesh and pvesm', () => {
  it('pass shellcheck and systemd-analyze verify', () => {
    const { dir, drill, ctDrill, script } = setUp();
    for (const d of [drill, ctDrill]) expect(shellcheck(script(d)).output).toBe('');
    const v = systemdVerify(path.join(dir, 'hosts/pve'), ['bc-restore-drill-vm100.service', 'bc-restore-drill-vm100.timer']);
    expect(v.output).toBe('');
  });

  it('restores the newest archive of the guest (not of VM 1000, not a partial file) into the temporary VMID, disconnects it, boots, checks and destroys it', async () => {
    const { drill, dump, env, script, fake, metrics } = setUp();
    const newest = archiveName('qemu', 100, 2);
    for (const f of [archiveName('qemu', 100, 26), newest, archiveName('qemu', 1000, 1), `${archiveName('qemu', 100, 1)}.tmp`, archiveName('qemu', 100, 1).replace('.vma.zst', '.log')]) {
      fs.writeFileSync(path.join(dump, f), 'x'.repeat(1000));
    }
    const r = await runInProcessGroup(script(drill), env());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const calls = fake.calls();
    expect(calls).toContain(`qmrestore ${dump}/${newest} 101 --storage local-lvm --unique 1`);
    expect(calls).toContain('qm set 101 --tags bc-restore-drill --onboot 0');
    expect(calls).toContain('qm set 101 --net0 virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1,link_down=1');
    expect(calls).toContain('qm set 101 --net1 virtio=BC:24:11:00:00:02,bridge=vmbr1,link_down=1');
    // disconnected before it boots, then the agent, then the command
    const at = (prefix: string) => calls.findIndex((c) => c.startsWith(prefix));
    expect(at('qm set 101 --net1')).toBeLessThan(at('qm start 101'));
    expect(at('qm guest cmd 101 ping')).toBeGreaterThan(at('qm start 101'));
    expect(calls).toContain('qm guest exec 101 --timeout 60 -- sh -c exit ${DRILL_EXIT:-0}');
    expect(calls.slice(-3)).toEqual(['qm stop 101 --skiplock 1', 'qm destroy 101 --purge 1 --skiplock 1 --destroy-unreferenced-disks 1', 'qm config 101']);
    expect(fake.conf(101)).toBeUndefined();
    expect(r.stdout).toContain(`guest 100 is restorable: ${newest} restored into 101`);
    expect(metrics('restore-drill-vm100')).toMatch(/^backup_last_status\{backup_job="restore-drill-vm100",site="test",host="pve"\} 0$/m);
    expect(metrics('restore-drill-vm100')).toMatch(/^backup_last_success_timestamp_seconds\{[^}]*\} \d+$/m);
  });

  it('destroys the copy and reports a failure, keeping the last success, when the command in the guest fails', async () => {
    const { drill, dump, env, script, fake, metrics, statusOf } = setUp();
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 2)), 'x');
    expect((await runInProcessGroup(script(drill), env())).status).toBe(0);
    const success = /^backup_last_success_timestamp_seconds\{[^}]*\} (\d+)$/m.exec(metrics('restore-drill-vm100'))![1];
    const r = await runInProcessGroup(script(drill), env({ DRILL_EXIT: '3' }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/restored copy 101 of guest 100: check command sh -c exit \$\{DRILL_EXIT:-0\} did not succeed within 2s of boot/);
    expect(fake.conf(101)).toBeUndefined();
    expect(fake.calls()).toContain('qm destroy 101 --purge 1 --skiplock 1 --destroy-unreferenced-disks 1');
    expect(statusOf('restore-drill-vm100')).toBe(1);
    // the success line itself must survive (the failure's run time may fall in the same second)
    expect(metrics('restore-drill-vm100')).toMatch(new RegExp(`^backup_last_success_timestamp_seconds\\{backup_job="restore-drill-vm100",[^}]*\\} ${success}$`, 'm'));
  });

  it('does not take a command the guest agent reports as not exited for a pass (qm itself succeeds)', async () => {
    const { drill, dump, env, script, fake } = setUp();
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 2)), 'x');
    const r = await runInProcessGroup(script(drill), env({ FAKE_EXEC_EXITED: '0' }));
    expect(r.status).toBe(1);
    expect(fake.conf(101)).toBeUndefined();
  });

  it('fails when the guest agent never answers, and still destroys the copy', async () => {
    const { drill, dump, env, script, fake, statusOf } = setUp();
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 2)), 'x');
    const r = await runInProcessGroup(script(drill), env({ FAKE_AGENT: 'never' }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('guest agent ping did not succeed within 2s of boot');
    expect(fake.conf(101)).toBeUndefined();
    expect(statusOf('restore-drill-vm100')).toBe(1);
  });

  it('leaves what a failed restore left to the operator, saying how to remove it, and refuses the VMID next time', async () => {
    const { drill, dump, env, script, fake, statusOf } = setUp();
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 2)), 'x');
    const r = await runInProcessGroup(script(drill), env({ FAKE_RESTORE: 'fail' }));
    expect(r.status).toBe(1);
    expect(fake.calls().filter((c) => /^qm (start|stop|destroy)/.test(c))).toEqual([]);
    expect(fake.conf(101)).toContain('lock: create');
    expect(r.stderr).toContain('the restore into 101 failed; whatever is at VMID 101 now is left alone');
    expect(r.stderr).toContain('qm destroy 101 --purge 1 --skiplock 1');
    expect(statusOf('restore-drill-vm100')).toBe(1);
    // the next run finds an untagged guest at the VMID: it refuses, and still destroys nothing
    const next = await runInProcessGroup(script(drill), env({}));
    expect(next.status).toBe(73);
    expect(fake.calls().filter((c) => /^qm (start|stop|destroy)/.test(c))).toEqual([]);
  });

  it('leaves alone a guest that took the temporary VMID between its check and the restore, and fails', async () => {
    const { drill, dump, env, script, fake, statusOf } = setUp();
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 2)), 'x');
    const r = await runInProcessGroup(script(drill), env({ FAKE_RESTORE: 'taken' }));
    expect(r.status).toBe(255);
    expect(r.stderr).toContain('whatever is at VMID 101 now is left alone');
    expect(fake.calls().filter((c) => /^qm (stop|destroy|start|set)/.test(c))).toEqual([]);
    expect(fake.conf(101)).toContain('name: someone-elses');
    expect(statusOf('restore-drill-vm100')).toBe(255);
  });

  it('on SIGTERM during a restore that another guest got in the way of, leaves that guest alone', async () => {
    const { drill, dump, env, script, fake, statusOf } = setUp();
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 2)), 'x');
    const r = await runInProcessGroup(script(drill), env({ FAKE_RESTORE: 'hang-taken' }), () => fake.conf(101) !== undefined);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('guest 101 carries neither the tag bc-restore-drill nor a restore\'s lock: not the drill\'s copy, left alone');
    expect(fake.calls().filter((c) => /^qm (stop|destroy)/.test(c))).toEqual([]);
    expect(fake.conf(101)).toContain('name: someone-elses');
    expect(statusOf('restore-drill-vm100')).not.toBe(0);
  });

  it('on SIGTERM during the restore (systemd stopping the unit), destroys the copy and reports 143', async () => {
    const { drill, dump, env, script, fake, statusOf } = setUp();
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 2)), 'x');
    const r = await runInProcessGroup(script(drill), env({ FAKE_RESTORE: 'hang' }), () => fake.conf(101) !== undefined);
    expect(r.status).toBe(143);
    expect(fake.calls()).toContain('qm destroy 101 --purge 1 --skiplock 1 --destroy-unreferenced-disks 1');
    expect(fake.conf(101)).toBeUndefined();
    expect(statusOf('restore-drill-vm100')).toBe(143);
  });

  it('on SIGTERM while the copy is running, stops and destroys it', async () => {
    const { drill, dump, env, script, fake, statusOf } = setUp();
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 2)), 'x');
    const running = path.join(fake.state, '101.running');
    const r = await runInProcessGroup(script(drill), env({ FAKE_AGENT: 'never', BOOT_TIMEOUT_SECONDS: '30' }), () => fs.existsSync(running));
    expect(r.status).toBe(143);
    expect(fs.existsSync(running)).toBe(false);
    expect(fake.conf(101)).toBeUndefined();
    expect(statusOf('restore-drill-vm100')).toBe(143);
  });

  it('destroys its own copy when tagging it fails: a restore that succeeded made the guest at the VMID', async () => {
    const { drill, dump, env, script, fake, statusOf } = setUp();
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 2)), 'x');
    const r = await runInProcessGroup(script(drill), env({ FAKE_SET: 'fail' }));
    expect(r.status).toBe(1);
    expect(r.stderr).not.toContain('not the drill\'s copy');
    expect(fake.calls()).toContain('qm destroy 101 --purge 1 --skiplock 1 --destroy-unreferenced-disks 1');
    expect(fake.conf(101)).toBeUndefined();
    expect(statusOf('restore-drill-vm100')).toBe(1);
  });

  it('fails a run whose copy cannot be destroyed, though the checks passed', async () => {
    const { drill, dump, env, script, fake, statusOf } = setUp();
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 2)), 'x');
    const r = await runInProcessGroup(script(drill), env({ FAKE_DESTROY: 'fail' }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('temporary guest 101 still exists');
    expect(r.stderr).toContain('restore-drill-vm100: cleanup failed');
    expect(fake.conf(101)).toBeDefined();
    expect(statusOf('restore-drill-vm100')).not.toBe(0);
  });

  it('leaves a guest it did not create alone when the temporary VMID is taken', async () => {
    const { drill, dump, env, script, fake, statusOf } = setUp();
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 2)), 'x');
    const foreign = 'type: qemu\nname: someone-elses\n';
    fs.writeFileSync(path.join(fake.state, '101.conf'), foreign);
    const r = await runInProcessGroup(script(drill), env());
    expect(r.status).toBe(73);
    expect(r.stderr).toContain('temporary VMID 101 is in use by a guest this drill did not create');
    expect(fake.conf(101)).toBe(foreign);
    expect(fake.calls().filter((c) => /^(qmrestore|qm (stop|destroy|set|start))/.test(c))).toEqual([]);
    expect(statusOf('restore-drill-vm100')).toBe(73);
  });

  it('removes a copy left by an interrupted drill (it carries the tag), then runs', async () => {
    const { drill, dump, env, script, fake } = setUp();
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 2)), 'x');
    fs.writeFileSync(path.join(fake.state, '101.conf'), 'type: qemu\nname: restored\ntags: bc-restore-drill\nlock: create\n');
    const r = await runInProcessGroup(script(drill), env());
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('guest 101 was left by an interrupted drill');
    expect(fake.calls().filter((c) => c.startsWith('qm destroy 101'))).toHaveLength(2);
    expect(fake.conf(101)).toBeUndefined();
  });

  it('refuses an archive older than maxArchiveAge without restoring, and a guest with no archive', async () => {
    const { drill, dump, env, script, fake } = setUp();
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 24 * 9)), 'x');
    const old = await runInProcessGroup(script(drill), env());
    expect(old.status).toBe(65);
    expect(old.stderr).toMatch(/the newest archive of guest 100 \(vzdump-qemu-100-.*\) is 9 days old, older than 8 days/);
    fs.rmSync(path.join(dump, fs.readdirSync(dump)[0]));
    const none = await runInProcessGroup(script(drill), env());
    expect(none.status).toBe(66);
    expect(fake.calls().filter((c) => c.startsWith('qmrestore'))).toEqual([]);
  });

  it('refuses to restore when the restore storage has too little free space', async () => {
    const { drill, dump, env, script, fake } = setUp();
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 2)), 'x'.repeat(4096));
    const r = await runInProcessGroup(script(drill), env({ FAKE_AVAIL_KIB: '7' }));
    expect(r.status).toBe(69);
    expect(r.stderr).toContain('storage local-lvm has 0 MiB free');
    expect(fake.calls().filter((c) => c.startsWith('qmrestore'))).toEqual([]);
  });

  it('drills a container with pct: unprivileged restore, a command in the container, unlock and destroy', async () => {
    const { ctDrill, dump, env, script, fake } = setUp();
    const archive = archiveName('lxc', 105, 3);
    fs.writeFileSync(path.join(dump, archive), 'x');
    const r = await runInProcessGroup(script(ctDrill), env());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const calls = fake.calls();
    expect(calls).toContain(`pct restore 106 ${dump}/${archive} --storage local-lvm --unique 1 --unprivileged 1`);
    expect(calls).toContain('pct set 106 --net0 name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:03,ip=dhcp,type=veth,link_down=1');
    expect(calls).toContain('pct exec 106 -- true');
    expect(calls).toContain('pct destroy 106 --purge 1 --force 1 --destroy-unreferenced-disks 1');
    expect(fake.conf(106)).toBeUndefined();
  });

  it('with a connected copy, checks TCP ports at the check address', async () => {
    const { site, host, g100 } = drillSite();
    const listening = await new Promise<net.Server>((resolve) => {
      const srv = net.createServer((s) => s.end());
      srv.listen(0, '127.0.0.1', () => resolve(srv));
    });
    const port = (listening.address() as net.AddressInfo).port;
    const tcp = new RestoreDrill(site, 'Tcp', { guest: g100, tempVmid: 109, jobId: 'drill-tcp', network: 'connected', checkAddress: '127.0.0.1', tcpPorts: [port] });
    void host;
    const dir = tempDir('bc-drill-');
    writeTree(dir, reviewOf(site).values());
    const fake = makeFakePve(dir);
    const dump = path.join(dir, 'dump');
    fs.mkdirSync(dump);
    fs.writeFileSync(path.join(dump, archiveName('qemu', 100, 2)), 'x');
    const env = { PATH: `${fake.bin}:${process.env.PATH}`, BC_TEXTFILE_DIR: path.join(dir, 'prom'), BC_LOCK_0: path.join(dir, 'lock'), DUMP_DIR: dump, POLL_SECONDS: '0.1', BOOT_TIMEOUT_SECONDS: '2' };
    const script = path.join(dir, 'hosts/pve', tcp.job.scriptPath);
    const open = await runInProcessGroup(script, env);
    expect(open.stdout).toContain(`TCP port ${port} on 127.0.0.1: ok`);
    expect(open.status).toBe(0);
    expect(fake.calls().some((c) => c.includes('link_down'))).toBe(false);
    await new Promise((r) => listening.close(r));
    const closed = await runInProcessGroup(script, env);
    expect(closed.status).toBe(1);
    expect(closed.stderr).toContain(`TCP port ${port} on 127.0.0.1 did not succeed`);
    expect(fake.conf(109)).toBeUndefined();
  });
});

describe('restore drill checks inside the copy (guest agent), against the stand-ins', () => {
  /** A drill of VM 100 that also checks docker.service, with an archive to restore. */
  function checkSetUp(extra: Partial<ConstructorParameters<typeof RestoreDrill>[2]> = {}) {
    const s = setUp({ command: undefined, services: ['docker.service'], ...extra });
    fs.writeFileSync(path.join(s.dump, archiveName('qemu', 100, 2)), 'x');
    return s;
  }

  it('passes when the copy booted to running, its NIC has an IPv4 address and its service is active, checking in that order after the agent answers', async () => {
    const { drill, env, script, fake, statusOf } = checkSetUp();
    const r = await runInProcessGroup(script(drill), env());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('restored copy 101: boot to a usable state (systemctl is-system-running: running-or-degraded): ok (systemd reports running)');
    expect(r.stdout).toContain('restored copy 101: network configured (IPv4 address on a NIC, seen through the guest agent): ok (ens18 192.0.2.51/24)');
    expect(r.stdout).toContain('restored copy 101: service docker.service active: ok');
    const calls = fake.calls();
    const order = [
      'qm start 101',
      'qm guest cmd 101 ping',
      'qm guest exec 101 --timeout 60 -- systemctl is-system-running',
      'qm guest cmd 101 network-get-interfaces',
      'qm guest exec 101 --timeout 60 -- systemctl is-active docker.service',
      'qm destroy 101 --purge 1 --skiplock 1 --destroy-unreferenced-disks 1',
    ].map((c) => calls.indexOf(c));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(statusOf('restore-drill-vm100')).toBe(0);
  });

  it('accepts a degraded boot of a disconnected copy and names the failed units in the journal', async () => {
    const { drill, env, script, statusOf } = checkSetUp();
    const r = await runInProcessGroup(script(drill), env({ FAKE_SYSTEM_STATE: 'degraded', FAKE_FAILED_UNITS: 'systemd-networkd-wait-online.service nfs-client.target' }));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ok (systemd reports degraded, failed units: systemd-networkd-wait-online.service nfs-client.target)');
    expect(r.stdout).toContain('accepting a degraded boot');
    expect(statusOf('restore-drill-vm100')).toBe(0);
  });

  it.each([
    ['a guest stuck in maintenance (emergency mode)', {}, { FAKE_SYSTEM_STATE: 'maintenance' }, 'boot to a usable state (systemctl is-system-running: running-or-degraded) did not succeed within 2s of boot: systemd reports maintenance'],
    ['a guest still starting at the boot timeout', {}, { FAKE_SYSTEM_STATE: 'starting' }, 'boot to a usable state (systemctl is-system-running: running-or-degraded) did not succeed within 2s of boot: systemd reports starting'],
    ["a degraded boot when bootCheck is 'running'", { bootCheck: 'running' as const }, { FAKE_SYSTEM_STATE: 'degraded', FAKE_FAILED_UNITS: 'docker.service' }, 'boot to a usable state (systemctl is-system-running: running) did not succeed within 2s of boot: systemd reports degraded, failed units: docker.service'],
    ['no IPv4 address on the NIC (the one on docker0 does not count)', {}, { FAKE_NET: 'none' }, 'network configured (IPv4 address on a NIC, seen through the guest agent) did not succeed within 2s of boot: no IPv4 address on ens18 (bc:24:11:00:00:01); other interfaces: lo, docker0 172.17.0.1/16'],
    ['an inactive service', {}, { FAKE_INACTIVE_UNITS: 'docker.service' }, 'service docker.service active did not succeed within 2s of boot: docker.service is inactive'],
  ])('fails the drill, destroys the copy and reports the failure for %s', async (_what, props, fakeEnv, message) => {
    const { drill, env, script, fake, statusOf, metrics } = checkSetUp(props);
    const r = await runInProcessGroup(script(drill), env(fakeEnv));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`restored copy 101 of guest 100: ${message}\n`);
    expect(r.stderr).toContain('restore-drill-vm100 failed with status 1');
    expect(fake.conf(101)).toBeUndefined();
    expect(statusOf('restore-drill-vm100')).toBe(1);
    expect(metrics('restore-drill-vm100')).not.toMatch(/^backup_last_success_timestamp_seconds/m);
  });

  it('skips the boot and network checks when turned off (a guest without systemd or a DHCP address)', async () => {
    const { drill, env, script, fake } = checkSetUp({ bootCheck: 'none', networkCheck: 'none', services: [] });
    const r = await runInProcessGroup(script(drill), env({ FAKE_SYSTEM_STATE: 'maintenance', FAKE_NET: 'none' }));
    expect(r.status).toBe(0);
    expect(fake.calls().filter((c) => c.startsWith('qm guest') && !c.endsWith(' ping'))).toEqual([]);
  });
});

describe('RestoreDrill checks', () => {
  it('defaults to systemd running or degraded and an IPv4 NIC for a disconnected VM, running for a connected one, neither for a container', () => {
    const { drill, ctDrill, site, g100 } = drillSite();
    expect([drill.bootCheck, drill.networkCheck, ctDrill.bootCheck, ctDrill.networkCheck]).toEqual(['running-or-degraded', 'nic-ipv4', 'none', 'none']);
    const connected = new RestoreDrill(site, 'Connected', { guest: g100, tempVmid: 109, jobId: 'drill-connected', network: 'connected' });
    expect(connected.bootCheck).toBe('running');
    expect(modelOf(site).job('restore-drill-vm100')!.description).toContain('guest agent ping, systemd running or degraded, IPv4 on a NIC, `sh -c');
  });

  it('fails when the network check is asked of a container', () => {
    const { site, c105 } = drillSite();
    expect(() => new RestoreDrill(site, 'CtNet', { guest: c105, tempVmid: 107, jobId: 'drill-ct-net', networkCheck: 'nic-ipv4' })).toThrow(/\[test\/CtNet\] networkCheck: nic-ipv4 reads the QEMU guest agent, got lxc guest 105 \(hint: /);
  });

  it('fails when a service is not a systemd unit name', () => {
    const { site, g100 } = drillSite();
    expect(() => new RestoreDrill(site, 'BadUnit', { guest: g100, tempVmid: 109, jobId: 'drill-bad-unit', services: ['--all'] })).toThrow(/\[test\/BadUnit\] services\.0: expected a systemd unit name such as docker\.service, got "--all"/);
  });
});

describe('RestoreDrill runAfter', () => {
  it('without it, the runbook only says how to run the drill now', () => {
    const { site } = drillSite();
    expect(modelOf(site).job('restore-drill-vm100')!.restore![0]).toEqual({ title: 'run the drill now (on pve)', commands: ['systemctl start bc-restore-drill-vm100.service', 'journalctl -u bc-restore-drill-vm100.service --since today'] });
  });

  it('fails when a change spans lines (it would split the runbook\'s list of changes)', () => {
    const { site, g100 } = drillSite();
    expect(() => new RestoreDrill(site, 'Split', { guest: g100, tempVmid: 109, runAfter: ['app upgrades\n# not a heading'] })).toThrow(
      /^\[test\/Split\] runAfter\.0: expected one line without control characters \(each change is one item of the runbook's list\), got "app upgrades\\n# not a heading" \(hint: give each change as its own entry of runAfter\)$/,
    );
  });

  it("lists the changes and the workflow: snapshot, a backup with the guest's job's mode and compression, the drill", () => {
    const { site, host } = testSite();
    const disk = new PveStorage(site, 'BackupHdd', { host, storageId: 'backup-hdd', type: 'dir', path: '/mnt/backup', retention: Retention.keepLast(7) });
    const c105 = ct(site, host, 105);
    new VzdumpJob(site, 'Weekly', { host, jobId: 'weekly', storage: disk, guests: [c105], schedule: Schedule.weekly('sun', '04:00'), mode: 'stop', compress: 'gzip' });
    new RestoreDrill(site, 'DrillCt105', { guest: c105, tempVmid: 106, runAfter: ['app upgrades'] });
    const step = modelOf(site).job('restore-drill-ct105')!.restore![0];
    expect(step.notes).toContain('- app upgrades');
    expect(step.notes!.join('\n')).toContain("backup-hdd's keep-last=7");
    expect(step.commands.map((c) => c.replace(/ +#.*$/, ''))).toEqual([
      'pct snapshot 105 before-change',
      'vzdump 105 --storage backup-hdd --mode stop --compress gzip',
      'systemctl start bc-restore-drill-ct105.service',
      'journalctl -u bc-restore-drill-ct105.service --since today',
      'pct delsnapshot 105 before-change',
    ]);
  });
});

it('a drill on a schedule of its own keeps its explicit stale threshold', () => {
  const { site, g100 } = drillSite();
  new RestoreDrill(site, 'Monthly', { guest: g100, tempVmid: 109, jobId: 'drill-monthly', schedule: Schedule.monthly(1, '05:00'), staleAfter: Duration.days(40) });
  expect(modelOf(site).job('drill-monthly')!.staleAfterHours).toBe(960);
});
