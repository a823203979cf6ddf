import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { AlertDelivery, BackupAlertRules, PveStorage, Retention, VzdumpJob, VzdumpPrune } from '../../constructs';
import { ct, testSite, vm } from '../helpers/fixtures';
import { modelOf, reviewOf, synthJson, writeTree } from '../helpers/synth';
import { systemdVerify } from '../helpers/systemd';
import { describeWithTool, shellcheck, tempDir } from '../helpers/tools';

function pruneSite() {
  const { site, host } = testSite();
  const disk = new PveStorage(site, 'BackupHdd', { host, storageId: 'backup-hdd', type: 'dir', path: '/mnt/backup', retention: Retention.keepLast(2) });
  const g100 = vm(site, host, 100);
  const c105 = ct(site, host, 105);
  const g200 = vm(site, host, 200);
  new VzdumpJob(site, 'Nightly', { host, jobId: 'nightly', schedule: VzdumpJob.tier('p0').schedule, storage: disk, guests: [g100, c105] });
  // VM 200's own job keeps two days and two weeks: the prune must keep what it keeps
  new VzdumpJob(site, 'Gfs', { host, jobId: 'gfs', schedule: VzdumpJob.tier('p1').schedule, storage: disk, guests: [g200], retention: Retention.of({ keepDaily: 2, keepWeekly: 2 }) });
  const prune = new VzdumpPrune(site, 'Prune', { storage: disk });
  return { site, host, disk, prune };
}

describe('VzdumpPrune', () => {
  it('registers a weekly dry-run job on the storage with the prune-pending metric, and the guests whose job keeps more', () => {
    const { site, prune } = pruneSite();
    const model = modelOf(site);
    expect(model.job('vzdump-prune-backup-hdd')).toMatchObject({ kind: 'vzdump-prune', writesTo: ['pve-storage:pve:backup-hdd'], scheduleHuman: 'Sun at 06:00' });
    expect(model.signalsOf('vzdump-prune-backup-hdd')[0].metrics).toContain('backup_prune_pending_archives');
    expect(Object.keys(prune.guestRetention)).toEqual(['200']);
    const script = reviewOf(site).get('hosts/pve/usr/local/lib/backup-constructs/vzdump-prune-backup-hdd.sh')!.content;
    expect(script).toContain("RETENTION=${RETENTION:-last=2}\n");
    expect(script).toContain("GUEST_RETENTION=${GUEST_RETENTION:-200:keep-daily=2,keep-weekly=2}\n");
  });

  it('asks for a Behind alert that fires when archives beyond retention remain', () => {
    const { site } = pruneSite();
    new BackupAlertRules(site, 'Alerts', { delivery: AlertDelivery.reviewOnly('test') });
    synthJson(site);
    const rules = parse([...reviewOf(site).entries()].find(([k]) => k.endsWith('.rules.yml'))![1].content).groups[0].rules;
    const behind = rules.find((r: { alert: string }) => r.alert === 'VzdumpPruneBackupHddBehind');
    expect(behind.expr).toBe('max by (backup_job, site, host) (backup_prune_pending_archives{backup_job="vzdump-prune-backup-hdd",site="test",host="pve"}) > 0');
  });

  it('fails when neither the prune nor the storage sets a retention, or the storage is PBS', () => {
    const { site, host } = testSite();
    const bare = new PveStorage(site, 'Bare', { host, storageId: 'bare', type: 'dir', path: '/srv/bare' });
    expect(() => new VzdumpPrune(site, 'P1', { storage: bare })).toThrow(/\[test\/P1\] retention: expected a retention, got none \(storage bare sets none either\)/);
    const pbs = new PveStorage(site, 'Pbs', { host, storageId: 'pbs', type: 'pbs', server: '10.0.0.7', datastore: 'store', retention: Retention.keepLast(3) });
    expect(() => new VzdumpPrune(site, 'P2', { storage: pbs })).toThrow(/\[test\/P2\] storage: expected a storage with an archive folder, got pbs storage pbs/);
  });

  it('fails when an all-guests job keeps something else than the prune would', () => {
    const { site, host } = testSite();
    const disk = new PveStorage(site, 'Disk', { host, storageId: 'disk', type: 'dir', path: '/srv/disk', retention: Retention.keepLast(2) });
    vm(site, host, 100);
    new VzdumpJob(site, 'All', { host, jobId: 'all', schedule: VzdumpJob.tier('p0').schedule, storage: disk, all: true, retention: Retention.keepLast(5) });
    expect(() => new VzdumpPrune(site, 'P', { storage: disk })).toThrow(/\[test\/P\] retention: job all backs up all guests or a pool to disk keeping keep-last=5, but the prune would keep keep-last=2/);
    expect(() => new VzdumpPrune(site, 'Q', { storage: disk, retention: Retention.keepLast(5) })).not.toThrow();
  });

  it('fails at synth when a job with its own retention is declared after the prune', () => {
    const { site, host, disk } = pruneSite();
    new VzdumpJob(site, 'Late', { host, jobId: 'late', schedule: VzdumpJob.tier('p2').schedule, storage: disk, guests: [vm(site, host, 300)], retention: Retention.keepLast(4) });
    expect(() => synthJson(site)).toThrow(/\[test\/Prune\] storage: a vzdump job to backup-hdd with its own retention was declared after this prune/);
  });
});

/** Archives as Proxmox names them, at a local wall time. */
function name(kind: 'qemu' | 'lxc', vmid: number, wall: string, ext = kind === 'qemu' ? '.vma.zst' : '.tar.zst'): string {
  return `vzdump-${kind}-${vmid}-${wall.replace(/-/g, '_').replace(' ', '-').replace(/:/g, '_')}${ext}`;
}

describeWithTool('shellcheck', 'shellcheck', 'vzdump prune script, run for real on a folder of archives', () => {
  function setUp() {
    const { site, prune } = pruneSite();
    const dir = tempDir('bc-prune-');
    writeTree(dir, reviewOf(site).values());
    const script = path.join(dir, 'hosts/pve', prune.job.scriptPath);
    const dump = path.join(dir, 'dump');
    const receipts = path.join(dir, 'receipts');
    fs.mkdirSync(dump);
    const files: Record<string, string> = {};
    const put = (f: string, content = `${f}\n`) => {
      fs.writeFileSync(path.join(dump, f), content);
      files[f] = content;
    };
    // VM 100 (keep-last=2): five nights, each with its task log; the oldest also has notes
    const vm100 = ['2026-03-06 02:00:00', '2026-03-07 02:00:00', '2026-03-08 02:00:00', '2026-03-09 02:00:00', '2026-03-10 02:00:00'].map((w) => name('qemu', 100, w));
    for (const a of vm100) {
      put(a);
      put(a.replace('.vma.zst', '.log'));
    }
    put(`${vm100[0]}.notes`);
    // CT 105: three archives, the oldest protected
    const ct105 = ['2026-03-01 03:00:00', '2026-03-09 03:00:00', '2026-03-10 03:00:00'].map((w) => name('lxc', 105, w));
    for (const a of ct105) put(a);
    put(`${ct105[0]}.protected`, '');
    // VM 200 under its job's keep-daily=2,keep-weekly=2 (two archives on 2026-03-10)
    const vm200 = ['2026-02-20 02:00:00', '2026-03-01 02:00:00', '2026-03-05 02:00:00', '2026-03-08 02:00:00', '2026-03-09 02:00:00', '2026-03-10 01:00:00', '2026-03-10 02:00:00'].map((w) => name('qemu', 200, w));
    for (const a of vm200) put(a);
    // an old archive of a guest the site does not declare: storage retention applies
    const vm999 = ['2026-01-01 02:00:00', '2026-01-02 02:00:00', '2026-01-03 02:00:00'].map((w) => name('qemu', 999, w));
    for (const a of vm999) put(a);
    // never touched: other files, a partial archive, a copy, and an archive-named symlink
    const foreign = ['README.txt', `${name('qemu', 100, '2026-01-01 02:00:00')}.tmp`, `${name('qemu', 100, '2026-01-02 02:00:00')}.bak`, 'vzdump-qemu-100-latest.vma.zst'];
    for (const f of foreign) put(f);
    fs.symlinkSync(path.join(dump, vm100[4]), path.join(dump, name('qemu', 100, '2025-12-01 02:00:00')));
    const env = { ...process.env, DUMP_DIR: dump, RECEIPT_DIR: receipts, BC_TEXTFILE_DIR: path.join(dir, 'prom'), BC_LOCK_0: path.join(dir, 'prune.lock') };
    const run = (...args: string[]) => spawnSync(script, args, { env, encoding: 'utf8' });
    const receiptRows = () => {
      const newest = fs.readdirSync(receipts).sort().pop()!;
      const text = fs.readFileSync(path.join(receipts, newest), 'utf8');
      return { newest, text, rows: text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t')) };
    };
    const pending = () => Number(/^backup_prune_pending_archives\{[^}]*\} (\d+)$/m.exec(fs.readFileSync(path.join(dir, 'prom/backup_vzdump-prune-backup-hdd.prom'), 'utf8'))![1]);
    return { dir, script, env, dump, receipts, files, vm100, ct105, vm200, vm999, foreign, run, receiptRows, pending };
  }

  const remove = (vm100: string[], _ct105: string[], vm200: string[], vm999: string[]) => [
    vm100[0], vm100[1], vm100[2],
    // CT 105: the protected archive is kept and does not count towards keep-last
    // keep-daily=2 keeps 03-10 02:00 and 03-09; keep-weekly=2 then keeps week 10 (03-08) and
    // week 9 (03-01); 03-10 01:00 and 03-05 share a kept period, 02-20 is beyond both
    vm200[0], vm200[2], vm200[5],
    vm999[0],
  ].sort();

  it('passes shellcheck and systemd-analyze verify', () => {
    const { dir, script } = setUp();
    expect(shellcheck(script).output).toBe('');
    expect(systemdVerify(path.join(dir, 'hosts/pve'), ['bc-vzdump-prune-backup-hdd.service', 'bc-vzdump-prune-backup-hdd.timer']).output).toBe('');
  });

  it('dry run by default: deletes nothing, and its receipt says what it would delete, what it keeps and why', () => {
    const { dump, files, vm100, ct105, vm200, vm999, foreign, run, receiptRows, pending } = setUp();
    const r = run();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const [f, content] of Object.entries(files)) expect(fs.readFileSync(path.join(dump, f), 'utf8')).toBe(content);
    const { newest, rows } = receiptRows();
    expect(newest).toMatch(/^vzdump-prune-backup-hdd-\d{8}T\d{6}\.\d{9}Z-dry-run\.tsv$/);
    const by = (action: string) => rows.filter((x) => x[0] === action).map((x) => x[2]).sort();
    expect(by('would-delete')).toEqual(remove(vm100, ct105, vm200, vm999));
    expect(by('delete')).toEqual([]);
    expect(by('protected')).toEqual([ct105[0]]);
    expect(by('keep')).toEqual([vm100[3], vm100[4], ct105[1], ct105[2], vm200[1], vm200[3], vm200[4], vm200[6], vm999[1], vm999[2]].sort());
    expect(by('ignored')).toEqual([...foreign, name('qemu', 100, '2025-12-01 02:00:00')].sort());
    const why = Object.fromEntries(rows.map((x) => [x[2], x[3]]));
    expect(why[vm100[0]]).toBe('beyond keep-last=2 (storage backup-hdd)');
    expect(why[vm200[5]]).toBe('keep-daily: a newer archive of 20260310 is kept');
    expect(why[vm200[0]]).toBe('beyond keep-daily=2,keep-weekly=2 (guest 200)');
    expect(why[vm200[1]]).toBe('keep-weekly: newest of 2026-W09');
    expect(pending()).toBe(7);
  });

  it('--execute deletes exactly those archives with their logs and notes, and nothing else', () => {
    const { dump, files, vm100, ct105, vm200, vm999, run, receiptRows, pending } = setUp();
    const gone = remove(vm100, ct105, vm200, vm999);
    const r = run('--execute');
    expect(r.status).toBe(0);
    const companions = [`${vm100[0]}.notes`, ...[vm100[0], vm100[1], vm100[2]].map((a) => a.replace('.vma.zst', '.log'))];
    const left = fs.readdirSync(dump).sort();
    expect(left).toEqual([...Object.keys(files).filter((f) => !gone.includes(f) && !companions.includes(f)), name('qemu', 100, '2025-12-01 02:00:00')].sort());
    for (const f of left.filter((x) => files[x] !== undefined)) expect(fs.readFileSync(path.join(dump, f), 'utf8')).toBe(files[f]);
    const { rows, text } = receiptRows();
    expect(rows.filter((x) => x[0] === 'delete').map((x) => x[2]).sort()).toEqual(gone);
    expect(text).toMatch(/^# result: kept 11, deleted 7 \(\d+ bytes\), pending 0, ignored 5$/m);
    expect(pending()).toBe(0);
    // a second run finds nothing more to do
    expect(run('--execute').status).toBe(0);
    expect(receiptRows().rows.filter((x) => x[0] === 'delete')).toEqual([]);
  });

  it('finds the week of an archive made on a day whose local midnight does not exist (DST starting at midnight)', () => {
    const { dump, script, env, receiptRows } = setUp();
    // Chile moved its clocks from 00:00 to 01:00 on 2025-09-07
    const onGapDay = name('qemu', 200, '2025-09-07 02:00:00');
    fs.writeFileSync(path.join(dump, onGapDay), 'x');
    // five weeks of VM 200 are kept, so every one of its archives is given a week, this one too
    const r = spawnSync(script, [], { env: { ...env, TZ: 'America/Santiago', GUEST_RETENTION: '200:keep-weekly=5' }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const row = receiptRows().rows.find((x) => x[2] === onGapDay)!;
    expect([row[0], row[3]]).toEqual(['keep', 'keep-weekly: newest of 2025-W36']);
  });

  /** Runs the prune with --execute on a fresh folder holding just these files; the names left. */
  function pruneFolder(files: string[], env: Record<string, string>): string[] {
    const { dir, script } = setUp();
    const dump = path.join(dir, 'only');
    fs.mkdirSync(dump);
    for (const f of files) fs.writeFileSync(path.join(dump, f), `${f}\n`);
    const r = spawnSync(script, ['--execute'], { env: { ...process.env, DUMP_DIR: dump, RECEIPT_DIR: path.join(dir, 'r'), BC_TEXTFILE_DIR: path.join(dir, 'prom'), BC_LOCK_0: path.join(dir, 'prune.lock'), ...env }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return fs.readdirSync(dump).sort();
  }

  it('counts two archives of the same second as one for keep-last, keeping the one Proxmox lists first, as Proxmox does', () => {
    // a manual zstd -d left both; Proxmox's keep-last period is the archive time (ctime), and
    // of two equal times its stable sort keeps the first listed (the name sorting first)
    const both = [name('qemu', 300, '2026-03-10 02:00:00', '.vma'), name('qemu', 300, '2026-03-10 02:00:00')];
    const older = name('qemu', 300, '2026-03-09 02:00:00');
    expect(pruneFolder([...both, older], { GUEST_RETENTION: '300:keep-last=2' })).toEqual([both[0], older].sort());
  });

  it('leaves alone archives whose VMID Proxmox does not read (leading zero, under 100, ten digits)', () => {
    // PVE::Storage::archive_info takes a VMID [1-9][0-9]{2,8}; other names are 'renamed' and never pruned
    const odd = ['2026-03-01 02:00:00', '2026-03-10 02:00:00'].flatMap((w) => [name('qemu', 300, w).replace('-300-', '-0300-'), name('qemu', 99, w), name('lxc', 1234567890, w)]);
    expect(pruneFolder(odd, { RETENTION: 'last=1' })).toEqual([...odd].sort());
  });

  it('leaves alone archives whose time does not exist, and still prunes the others (keep-weekly included)', () => {
    // PVE::Storage::archive_info reads the time with timelocal, which dies on these; Proxmox
    // then marks the archive 'renamed' and never removes it
    const impossible = ['2023-02-29 02:00:00', '2024-13-01 02:00:00', '2024-04-31 02:00:00', '2024-05-01 24:00:00', '2024-05-01 23:60:00', '2024-05-01 23:59:60'].map((w) => name('qemu', 300, w));
    const real = ['2026-03-10 02:00:00', '2026-03-09 02:00:00', '2026-03-02 02:00:00'].map((w) => name('qemu', 300, w));
    expect(pruneFolder([...impossible, ...real], { GUEST_RETENTION: '300:keep-last=1,keep-weekly=1' })).toEqual([...impossible, real[0], real[2]].sort());
    expect(pruneFolder([...impossible, ...real], { GUEST_RETENTION: '300:keep-last=1' })).toEqual([...impossible, real[0]].sort());
  });

  it('keeps every archive of a guest whose retention has no keep option above 0, as Proxmox does', () => {
    // prune_mark_backup_group keeps the whole group when no keep option is above 0; an override
    // of keep-last=0 must not read as "keep none"
    const archives = ['2026-03-10 02:00:00', '2026-03-09 02:00:00', '2026-01-01 02:00:00'].map((w) => name('qemu', 300, w));
    const other = ['2026-03-10 02:00:00', '2026-03-09 02:00:00'].map((w) => name('qemu', 301, w));
    expect(pruneFolder([...archives, ...other], { RETENTION: 'last=1', GUEST_RETENTION: '300:keep-last=0' })).toEqual([...archives, other[0]].sort());
  });

  it('prunes the .tgz and openvz archives of older vzdump versions, with their logs, as Proxmox does', () => {
    // PVE::Storage's $BACKUP_EXT_RE_2 takes .tgz, archive_info the type openvz
    const ct = ['2019-05-03 02:00:00', '2019-05-02 02:00:00', '2019-05-01 02:00:00'].map((w) => name('lxc', 300, w, '.tgz'));
    const ovz = ['2016-05-03 02:00:00', '2016-05-02 02:00:00'].map((w) => name('lxc', 301, w, '.tgz').replace('-lxc-', '-openvz-'));
    const logs = [ct[2], ovz[1]].map((a) => a.replace('.tgz', '.log'));
    // the newest is a .tgz: keep-last=1 keeps it, not the older .tar.zst
    const mixed = [name('lxc', 302, '2020-01-02 02:00:00', '.tgz'), name('lxc', 302, '2020-01-01 02:00:00')];
    expect(pruneFolder([...ct, ...ovz, ...logs, ...mixed], { RETENTION: 'last=1' })).toEqual([ct[0], ovz[0], mixed[0]].sort());
  });

  it('refuses unknown arguments and a missing archive folder, and keeps only the newest receipts', () => {
    const { dump, receipts, run, dir } = setUp();
    expect(run('--force').status).toBe(64);
    fs.mkdirSync(receipts, { recursive: true });
    fs.writeFileSync(path.join(receipts, 'operator-notes.txt'), 'mine');
    // a prune of storage backup-hdd-2 keeping its receipts in the same folder: older than every new one
    const otherStorage = 'vzdump-prune-backup-hdd-2-20200101T000000.000000000Z-execute.tsv';
    fs.writeFileSync(path.join(receipts, otherStorage), 'theirs');
    const env = { ...process.env, DUMP_DIR: dump, RECEIPT_DIR: receipts, BC_TEXTFILE_DIR: path.join(dir, 'prom'), BC_LOCK_0: path.join(dir, 'prune.lock'), RECEIPTS_KEPT: '2' };
    const script = path.join(dir, 'hosts/pve/usr/local/lib/backup-constructs/vzdump-prune-backup-hdd.sh');
    for (let i = 0; i < 3; i++) expect(spawnSync(script, [], { env }).status).toBe(0);
    expect(fs.readdirSync(receipts).filter((f) => f !== otherStorage && f.endsWith('.tsv'))).toHaveLength(2);
    expect(fs.readFileSync(path.join(receipts, 'operator-notes.txt'), 'utf8')).toBe('mine');
    expect(fs.readFileSync(path.join(receipts, otherStorage), 'utf8')).toBe('theirs');
    const missing = spawnSync(script, [], { env: { ...env, DUMP_DIR: path.join(dir, 'nope') }, encoding: 'utf8' });
    expect(missing.status).toBe(66);
    expect(missing.stderr).toContain('does not exist');
  });
});
