import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Pushgateway } from '../helpers/pushgateway';
import { describeWithTool, tempDir } from '../helpers/tools';
import { lines, pipelineSite, runScript } from './fixture';
import { pipelineStandins, stamp } from './standins';

const DAY = 86_400_000;

/**
 * LVM thin pools need device-mapper, which this sandbox lacks (Debian's lvm2 installs but
 * cannot create them). These tests run the generated snapshot script and restore tool for
 * real against stand-ins for lvs/lvcreate/lvremove/lvrename/lvchange and kubectl that keep
 * a table of LVs, so the scripts' own decisions are what is tested.
 */
describeWithTool('prometheus-pushgateway', 'prometheus-pushgateway', 'LvmSnapshotTimer logic, with stand-ins for lvs/lvcreate/lvremove and kubectl (no device-mapper here)', () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  function setUp() {
    const fx = pipelineSite({ pfsense: false });
    const t = tempDir('bc-lvm-');
    const st = pipelineStandins(t);
    st.addLv('data', '', '', 'twi-aotz--');
    st.addLv('vm-101-pvc-app', 'data');
    st.addLv('vm-102-pvc-mysql', 'data');
    st.addLv('vm-103-pvc-prom', 'data');
    st.addLv('vm-104-pvc-orphan', 'data'); // no PersistentVolume names it any more
    st.addLv('vm-100-disk-0', 'data'); // a VM disk, not a PVC
    st.addLv('vm-105-pvc-other', 'otherpool');
    st.setPvs([
      { lv: 'vm-101-pvc-app', ns: 'apps', claim: 'app-data' },
      { lv: 'vm-102-pvc-mysql', ns: 'dbaas', claim: 'mysql' },
      { lv: 'vm-103-pvc-prom', ns: 'monitoring', claim: 'prometheus' },
    ]);
    st.setPool(40, 20);
    const env = { PATH: `${st.bin}:${process.env.PATH}`, BC_PUSHGATEWAY: gw.url, KUBECONFIG_FILE: path.join(t, 'kubeconfig') };
    return { fx, t, st, env, script: fx.script(fx.snapshots.job.scriptPath), tool: fx.script(fx.snapshots.toolPath) };
  }

  const value = (name: string) => gw.value(name, { backup_job: 'lvm-pvc-snapshot' });

  it('snapshots every matching PVC volume outside the excluded namespaces, prunes only its own old snapshots, and reports the pool', async () => {
    const s = setUp();
    const old = stamp(new Date(Date.now() - 8 * DAY));
    const recent = stamp(new Date(Date.now() - 2 * DAY));
    s.st.addLv(`vm-101-pvc-app_snap_${old}`, 'data', 'vm-101-pvc-app');
    s.st.addLv(`vm-101-pvc-app_snap_${recent}`, 'data', 'vm-101-pvc-app');
    s.st.addLv(`vm-100-disk-0_snap_${old}`, 'data', 'vm-100-disk-0');
    // two newer ones (the recent one and tonight's) meet a floor of two
    const r = runScript(s.script, { ...s.env, KEEP_AT_LEAST: '2' });
    expect({ status: r.status, stderr: r.stderr.replace(/^ {2}Logical volume.*\n/gm, '') }).toEqual({ status: 0, stderr: '' });
    const names = s.st.lvs().map((l) => l.split(' ')[0]);
    const created = names.filter((n) => /_snap_\d{12}$/.test(n) && !n.includes(old) && !n.includes(recent));
    expect(created.map((n) => n.replace(/_snap_\d{12}$/, '')).sort()).toEqual(['vm-101-pvc-app', 'vm-104-pvc-orphan']);
    expect(names).not.toContain(`vm-101-pvc-app_snap_${old}`);
    expect(names).toContain(`vm-101-pvc-app_snap_${recent}`);
    expect(names).toContain(`vm-100-disk-0_snap_${old}`);
    expect(await value('backup_lvm_thinpool_free_ratio')).toBeCloseTo(0.6);
    expect(await value('backup_lvm_thinpool_metadata_free_ratio')).toBeCloseTo(0.8);
    expect(await value('backup_lvm_snapshots_created')).toBe(2);
    expect(await value('backup_lvm_snapshots_pruned')).toBe(1);
    expect(await value('backup_last_status')).toBe(0);
  });

  it('a snapshot that cannot be made fails the run, but the others are made and the pool is still reported', async () => {
    const s = setUp();
    s.st.setPool(88, 30);
    const r = runScript(s.script, { ...s.env, FAIL_LVCREATE: 'vm-101-*' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/could not snapshot pve\/vm-101-pvc-app/);
    expect(s.st.lvs().some((l) => l.startsWith('vm-104-pvc-orphan_snap_'))).toBe(true);
    expect(await value('backup_last_status')).toBe(1);
    // reported at once, not only with the final (success-only) extra series
    expect(await value('backup_lvm_thinpool_free_ratio')).toBeCloseTo(0.12);
  });

  it("keeps a live volume's newest snapshots past the retention while no new ones are made, and lets a deleted volume's go", async () => {
    const s = setUp();
    const days = [8, 9, 10, 11].map((d) => stamp(new Date(Date.now() - d * DAY)));
    for (const d of days) s.st.addLv(`vm-101-pvc-app_snap_${d}`, 'data', 'vm-101-pvc-app');
    s.st.addLv(`vm-106-pvc-deleted_snap_${days[0]}`, 'data', '');
    // snapshots of vm-101 stopped over a week ago and still fail: age alone would take them all
    const r = runScript(s.script, { ...s.env, FAIL_LVCREATE: 'vm-101-*', KEEP_AT_LEAST: '3' });
    expect(r.status).toBe(1);
    const names = s.st.lvs().map((l) => l.split(' ')[0]);
    expect(days.map((d) => names.includes(`vm-101-pvc-app_snap_${d}`))).toEqual([true, true, true, false]);
    expect(r.stderr).toContain(`kept pve/vm-101-pvc-app_snap_${days[2]} past the retention: only 2 newer snapshot(s) of vm-101-pvc-app, and the newest 3 stay`);
    expect(names).not.toContain(`vm-106-pvc-deleted_snap_${days[0]}`);
    expect(await value('backup_last_status')).toBe(1);
  });

  it('renders the floor as the runs the schedule makes within keep, so a normal week prunes as before', () => {
    const s = setUp();
    expect(fs.readFileSync(s.script, 'utf8')).toMatch(/^KEEP_AT_LEAST=\$\{KEEP_AT_LEAST:-7\}$/m);
    // eight daily snapshots, the oldest a minute past seven days: seven newer ones stay, it goes
    const stamps = [1, 2, 3, 4, 5, 6].map((d) => stamp(new Date(Date.now() - d * DAY)));
    const oldest = stamp(new Date(Date.now() - 7 * DAY - 120_000));
    for (const d of [...stamps, oldest]) s.st.addLv(`vm-101-pvc-app_snap_${d}`, 'data', 'vm-101-pvc-app');
    const r = runScript(s.script, s.env);
    expect(r.status).toBe(0);
    expect(s.st.lvs().map((l) => l.split(' ')[0])).not.toContain(`vm-101-pvc-app_snap_${oldest}`);
    expect(r.stderr).not.toContain('past the retention');
  });

  it('fails when no volume matches (a wrong volume group, pool or pattern)', async () => {
    const s = setUp();
    const r = runScript(s.script, { ...s.env, LV_GLOB: 'vm-*-pvc-nothing-like-this' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no volume of pve on thin pool data matches vm-*-pvc-nothing-like-this: nothing was snapshotted');
    expect(await value('backup_last_status')).toBe(1);
  });

  it('fails when the thin pool usage cannot be read (a volume that is no thin pool), instead of reading it as empty', async () => {
    const s = setUp();
    const r = runScript(s.script, { ...s.env, THIN_POOL: 'vm-100-disk-0' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/could not read the usage of thin pool pve\/vm-100-disk-0/);
    expect(lines(path.join(s.t, 'calls.log')).filter((c) => c.startsWith('lvcreate'))).toEqual([]);
    expect(await value('backup_last_status')).toBe(1);
  });

  it('near a full pool it makes no new snapshots, still prunes, and fails', async () => {
    const s = setUp();
    s.st.setPool(97, 10);
    const old = stamp(new Date(Date.now() - 8 * DAY));
    s.st.addLv(`vm-101-pvc-app_snap_${old}`, 'data', 'vm-101-pvc-app');
    const r = runScript(s.script, s.env);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/less than 0.05 free: creating no snapshots/);
    // the volume's only snapshot, so the floor would hold it: near a full pool space comes first
    expect(lines(path.join(s.t, 'calls.log')).filter((c) => c.startsWith('lvcreate'))).toEqual([]);
    expect(s.st.lvs().some((l) => l.startsWith(`vm-101-pvc-app_snap_${old}`))).toBe(false);
    expect(await value('backup_lvm_thinpool_free_ratio')).toBeCloseTo(0.03);
  });

  it('fails instead of snapshotting everything when it cannot ask Kubernetes which namespace a volume is in', async () => {
    const s = setUp();
    fs.writeFileSync(path.join(s.st.bin, 'kubectl'), '#!/bin/bash\necho "Unable to connect to the server" >&2\nexit 1\n', { mode: 0o755 });
    const r = runScript(s.script, s.env);
    expect(r.status).not.toBe(0);
    expect(lines(path.join(s.t, 'calls.log')).filter((c) => c.startsWith('lvcreate'))).toEqual([]);
    expect(await value('backup_last_status')).not.toBe(0);
  });

  describe('restore tool', () => {
    function restoreSetUp(pods = 'app-7d9f-abcde\tReplicaSet\tapp-7d9f\tconfig,app-data,\nother-0\tStatefulSet\tother\tother-data,\n') {
      const s = setUp();
      const snap = `vm-101-pvc-app_snap_${stamp(new Date(Date.now() - DAY))}`;
      s.st.addLv(snap, 'data', 'vm-101-pvc-app', 'Vwi---tz-k');
      s.st.kubectlAnswer(' get pods', pods);
      s.st.kubectlAnswer('get replicaset app-7d9f', 'app');
      s.st.kubectlAnswer('get deployment/app -o jsonpath={.spec.replicas}', '2');
      return { ...s, snap };
    }

    it('scales the workload down, keeps the old LV, puts a copy of the snapshot in place, and scales back up', () => {
      const s = restoreSetUp();
      const r = runScript(s.tool, s.env, ['restore', 'vm-101-pvc-app', s.snap]);
      expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
      const calls = lines(path.join(s.t, 'calls.log'));
      const k = calls.filter((c) => c.startsWith('kubectl') && / (scale|wait) /.test(c)).map((c) => c.replace(/--kubeconfig \S+ /, ''));
      expect(k).toEqual([
        'kubectl -n apps scale deployment/app --replicas=0',
        'kubectl -n apps wait --for=delete pod/app-7d9f-abcde --timeout=300s',
        'kubectl -n apps scale deployment/app --replicas=2',
      ]);
      const lv = calls.filter((c) => /^lv(rename|create|remove|change) /.test(c));
      expect(lv[0]).toMatch(/^lvrename pve vm-101-pvc-app vm-101-pvc-app_pre_restore_\d{14}$/);
      expect(lv[1]).toBe(`lvcreate -s -n vm-101-pvc-app pve/${s.snap}`);
      expect(lv[2]).toBe('lvchange --setactivationskip n pve/vm-101-pvc-app');
      const names = s.st.lvs().map((l) => l.split(' '));
      expect(names.find((n) => n[0] === 'vm-101-pvc-app')).toEqual(['vm-101-pvc-app', 'data', s.snap]);
      expect(names.some((n) => /^vm-101-pvc-app_pre_restore_\d{14}$/.test(n[0]))).toBe(true);
      expect(names.some((n) => n[0] === s.snap)).toBe(true);
      // a restore is not a run of the job: the tool reports nothing
      expect(fs.readFileSync(s.tool, 'utf8')).not.toMatch(/curl|bc_report|pushgateway/i);
    });

    it('after a restore, the restored volume gets snapshots again and the snapshots kept aside with the old volume still age out', async () => {
      const s = restoreSetUp();
      const old = `vm-101-pvc-app_snap_${stamp(new Date(Date.now() - 8 * DAY))}`;
      s.st.addLv(old, 'data', 'vm-101-pvc-app');
      expect(runScript(s.tool, s.env, ['restore', 'vm-101-pvc-app', s.snap]).status).toBe(0);
      const keptAside = s.st.lvs().map((l) => l.split(' ')[0]).find((n) => n.includes('_pre_restore_'))!;
      // the volume in place is a thin snapshot of s.snap; the old snapshots name the kept volume
      expect(s.st.lvs()).toEqual(expect.arrayContaining([`vm-101-pvc-app data ${s.snap}`, `${old} data ${keptAside}`]));

      // two newer snapshots of the volume (s.snap and tonight's) meet a floor of two
      const r = runScript(s.script, { ...s.env, KEEP_AT_LEAST: '2' });
      expect({ status: r.status, stderr: r.stderr.replace(/^ {2}Logical volume.*\n/gm, '') }).toEqual({ status: 0, stderr: '' });
      const created = lines(path.join(s.t, 'calls.log')).filter((c) => c.startsWith('lvcreate') && !c.includes(` pve/${s.snap}`));
      expect(created.map((c) => c.replace(/_snap_\d{12}/, '_snap_<stamp>')).sort()).toEqual([
        'lvcreate -s -n vm-101-pvc-app_snap_<stamp> pve/vm-101-pvc-app',
        'lvcreate -s -n vm-104-pvc-orphan_snap_<stamp> pve/vm-104-pvc-orphan',
      ]);
      const names = s.st.lvs().map((l) => l.split(' ')[0]);
      expect(names).not.toContain(old); // 8 days old: pruned though its origin was renamed
      expect(names).toContain(s.snap); // 1 day old: kept
      expect(names).toContain(keptAside); // the operator's to remove, never the job's
      expect(await value('backup_lvm_snapshots_pruned')).toBe(1);
    });

    it('scales back what it scaled down when a later scale-down fails', () => {
      const s = restoreSetUp('app-7d9f-abcde\tReplicaSet\tapp-7d9f\tapp-data,\nworker-0\tStatefulSet\tworker\tapp-data,\n');
      const r = runScript(s.tool, { ...s.env, FAIL_KUBECTL: '*scale statefulset/worker --replicas=0*' }, ['restore', 'vm-101-pvc-app', s.snap]);
      expect(r.status).not.toBe(0);
      const scales = lines(path.join(s.t, 'calls.log')).filter((c) => c.includes(' scale ')).map((c) => c.replace(/.*-n apps /, ''));
      expect(scales).toEqual(['scale deployment/app --replicas=0', 'scale statefulset/worker --replicas=0', 'scale deployment/app --replicas=2', 'scale statefulset/worker --replicas=1']);
      expect(lines(path.join(s.t, 'calls.log')).filter((c) => /^lv(rename|create) /.test(c))).toEqual([]);
    });

    it('refuses a snapshot of another volume, before touching anything', () => {
      const s = restoreSetUp();
      s.st.addLv('vm-104-pvc-orphan_snap_202601010000', 'data', 'vm-104-pvc-orphan');
      const r = runScript(s.tool, s.env, ['restore', 'vm-101-pvc-app', 'vm-104-pvc-orphan_snap_202601010000']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/is not a snapshot of vm-101-pvc-app/);
      expect(lines(path.join(s.t, 'calls.log')).filter((c) => / scale |^lvrename/.test(c))).toEqual([]);
    });

    it('refuses a volume that is still open once the workloads are down, scales them back and renames nothing', () => {
      const s = restoreSetUp();
      // something still holds the volume (a VM it is attached to): the stand-in marks it open
      fs.mkdirSync(path.join(s.st.devDir, 'pve', 'vm-101-pvc-app'), { recursive: true });
      fs.mkdirSync(path.join(s.t, 'held'));
      execFileSync(path.join(s.st.bin, 'mount'), [path.join(s.st.devDir, 'pve', 'vm-101-pvc-app'), path.join(s.t, 'held')]);
      expect(s.st.attr('vm-101-pvc-app')?.[5]).toBe('o');
      const r = runScript(s.tool, s.env, ['restore', 'vm-101-pvc-app', s.snap]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/pve\/vm-101-pvc-app is still open/);
      expect(lines(path.join(s.t, 'calls.log')).filter((c) => /^lv(rename|create|remove) /.test(c))).toEqual([]);
      expect(lines(path.join(s.t, 'calls.log')).filter((c) => c.includes(' scale ')).pop()).toMatch(/scale deployment\/app --replicas=2$/);
    });

    it('puts the old volume back and scales up again when the swap fails', () => {
      const s = restoreSetUp();
      const r = runScript(s.tool, { ...s.env, FAIL_LVCREATE: 'vm-101-pvc-app_snap_*' }, ['restore', 'vm-101-pvc-app', s.snap]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/vm-101-pvc-app is unchanged/);
      expect(s.st.lvs().map((l) => l.split(' ')[0])).toContain('vm-101-pvc-app');
      expect(s.st.lvs().some((l) => l.includes('_pre_restore_'))).toBe(false);
      expect(lines(path.join(s.t, 'calls.log')).filter((c) => c.includes(' scale ')).pop()).toMatch(/scale deployment\/app --replicas=2$/);
    });
  });
});
