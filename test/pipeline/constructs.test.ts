import { App } from 'cdktf';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { BackupAlertRules, BypassList, Duration, FileBackup, Host, LvmSnapshotTimer, NfsChangeTracker, NfsMirror, OffsiteManifest, OffsiteSync, Schedule, ScheduledHostJob, siteModelOf } from '../../constructs';
import { deriveAlerts } from '../../lib/alerts/derive-alerts';
import { homelabSite } from '../../stacks/homelab';
import { testSite } from '../helpers/fixtures';
import { systemdVerify } from '../helpers/systemd';
import { modelOf, resourcesOf, reviewOf, synthJson, writeTree } from '../helpers/synth';
import { describeWithTool, describeWithTools, run, shellcheck, tempDir } from '../helpers/tools';
import { pipelineSite } from './fixture';

function homelab() {
  const app = new App({ outdir: tempDir('bc-homelab-') });
  const site = homelabSite(app);
  const dir = tempDir('bc-homelab-review-');
  const review = reviewOf(site);
  writeTree(dir, review.values());
  return { site, model: modelOf(site), review, dir, hostTree: path.join(dir, 'hosts/pve') };
}

const pipelineUnits = (files: Iterable<string>) => [...files].filter((f) => /^hosts\/pve\/etc\/systemd\/system\/bc-(lvm-pvc-snapshot|daily-backup|nfs-mirror|nfs-change-tracker|offsite-sync-backup)\./.test(f));

describe('homelab host pipeline (seed 002)', () => {
  const h = homelab();
  const file = (p: string) => h.review.get(`hosts/pve${p}`)!.content;

  it('runs the seed\'s schedules: snapshots 03:00, file backup 05:00, mirror Mon 04:00, offsite 06:00 after the file backup', () => {
    expect(file('/etc/systemd/system/bc-lvm-pvc-snapshot.timer')).toContain('OnCalendar=*-*-* 03:00:00');
    expect(file('/etc/systemd/system/bc-daily-backup.timer')).toContain('OnCalendar=*-*-* 05:00:00');
    expect(file('/etc/systemd/system/bc-nfs-mirror.timer')).toContain('OnCalendar=Mon *-*-* 04:00:00');
    expect(file('/etc/systemd/system/bc-offsite-sync-backup.timer')).toContain('OnCalendar=*-*-* 06:00:00');
    expect(file('/etc/systemd/system/bc-offsite-sync-backup.service')).toMatch(/^After=.*bc-daily-backup\.service/m);
    expect(file('/etc/systemd/system/bc-daily-backup.service')).toMatch(/^After=bc-lvm-pvc-snapshot\.service$/m);
    expect(file('/etc/systemd/system/bc-nfs-change-tracker.service')).toMatch(/^Restart=always$/m);
  });

  it('runs every service at Nice=10 and idle IO', () => {
    const units = pipelineUnits(h.review.keys()).filter((f) => f.endsWith('.service'));
    expect(units).toHaveLength(5);
    for (const u of units) expect({ u, nice: /^Nice=10$/m.test(h.review.get(u)!.content), io: /^IOSchedulingClass=idle$/m.test(h.review.get(u)!.content) }).toEqual({ u, nice: true, io: true });
  });

  it('registers the assets, targets and copies of all layers, with copies of copies for Step 1', () => {
    const m = h.model;
    expect(m.asset('pvc-set:pve:vm-*-pvc-*')).toMatchObject({ kind: 'pvc-set', selector: { include: ['vm-*-pvc-*'], exclude: ['namespace=dbaas', 'namespace=monitoring'] } });
    expect(m.target('lvm-thin:pve:pve/data')).toMatchObject({ medium: 'source-disk', location: 'on-site' });
    expect(m.target('local-disk:pve:/mnt/backup')).toMatchObject({ medium: 'local-disk', location: 'on-site', mountPoint: '/mnt/backup', host: 'pve' });
    expect(m.target('rsync:synology:/Backup/Viki')).toMatchObject({ medium: 'nas', location: 'off-site', path: '/Backup/Viki' });
    expect(m.copy('lvm-pvc-snapshot:pvc-set:pve:vm-*-pvc-*')).toMatchObject({ layer: 'snapshot', target: 'lvm-thin:pve:pve/data' });
    expect(m.copy('daily-backup:pvc-set:pve:vm-*-pvc-*')).toMatchObject({ layer: 'file', target: 'local-disk:pve:/mnt/backup' });
    expect(m.copy('offsite-sync-backup:daily-backup:pvc-set:pve:vm-*-pvc-*')).toMatchObject({ derivedFrom: 'daily-backup:pvc-set:pve:vm-*-pvc-*', layer: 'file', target: 'rsync:synology:/Backup/Viki' });
    expect(m.copy('offsite-sync-backup:nfs-mirror:path:pve:/srv/nfs:mirror-leg')).toMatchObject({ derivedFrom: 'nfs-mirror:path:pve:/srv/nfs:mirror-leg' });
    expect(m.copiesOf('path:pve:/srv/nfs:bypass-leg').map((c) => c.job)).toEqual(['offsite-sync-backup']);
    expect(m.copiesOf('path:pve:/srv/nfs-ssd:bypass-leg').map((c) => c.job)).toEqual(['offsite-sync-backup']);
    expect(m.asset('app-data:pfsense.viktorbarzin.me:pfsense-config')).toBeDefined();
    // pfSense is a step of daily-backup reported as a job of its own, which makes its copy
    expect(m.job('pfsense-backup')).toMatchObject({ partOf: 'daily-backup', host: 'pve', alertName: 'PfsenseBackup', staleAfterHours: 192, writesTo: ['local-disk:pve:/mnt/backup'] });
    expect(m.copy('pfsense-backup:app-data:pfsense.viktorbarzin.me:pfsense-config')).toMatchObject({ layer: 'app', target: 'local-disk:pve:/mnt/backup' });
    expect(m.copy('daily-backup:app-data:pfsense.viktorbarzin.me:pfsense-config')).toBeUndefined();
    expect(m.copy('offsite-sync-backup:pfsense-backup:app-data:pfsense.viktorbarzin.me:pfsense-config')).toMatchObject({ derivedFrom: 'pfsense-backup:app-data:pfsense.viktorbarzin.me:pfsense-config' });
    expect(m.signalsOf('pfsense-backup').map((x) => x.destination)).toEqual(['http://k8s.viktorbarzin.lan:30091/metrics/job/pfsense-backup/backup_job/pfsense-backup/site/homelab/host/pve']);
    expect(file('/usr/local/lib/backup-constructs/daily-backup.sh')).toMatch(/bc_step_begin "\$PFSENSE_JOB"\n\s*bc_run backup_pfsense\n\s*bc_step_end "\$bc_rc"/);
    expect(m.asset('path:pve:host-config')).toBeDefined();
    expect(m.asset('database:pve:sqlite-in:vm-*-pvc-*')).toMatchObject({ kind: 'database' });
    expect(m.job('daily-backup')!.writesTo).toEqual(['local-disk:pve:/mnt/backup']);
    expect(m.job('nfs-mirror')!.writesTo).toEqual(['local-disk:pve:/mnt/backup']);
    expect(m.job('offsite-sync-backup')!.writesTo).toEqual(['rsync:synology:/Backup/Viki']);
    expect(m.job('lvm-pvc-snapshot')!.writesTo).toEqual(['lvm-thin:pve:pve/data']);
  });

  it("derives the seed's alert names and thresholds, plus the thin pool alert with its promtool series", () => {
    const rules = deriveAlerts(h.model, h.model.alerting!);
    const byName = new Map(rules.map((r) => [r.name, r]));
    for (const n of ['LVMSnapshotStale', 'LVMSnapshotFailing', 'WeeklyBackupStale', 'WeeklyBackupFailing', 'PfsenseBackupStale', 'PfsenseBackupFailing', 'PfsenseBackupNeverRan', 'NfsMirrorStale', 'NfsMirrorFailing', 'OffsiteBackupSyncStale', 'OffsiteBackupSyncFailing', 'NfsChangeTrackerStale', 'LVMThinPoolLow', 'LVMThinPoolMetadataLow']) {
      expect({ n, defined: byName.has(n) }).toEqual({ n, defined: true });
    }
    expect(byName.get('LVMSnapshotStale')!.expr).toMatch(/> 108000$/); // 30 h
    expect(byName.get('WeeklyBackupStale')!.expr).toMatch(/> 691200$/); // 8 d
    // seed 002: PfsenseBackupStale > 8d, on the series pushed under job pfsense-backup
    expect(byName.get('PfsenseBackupStale')!.expr).toBe('time() - max by (backup_job, site, host) (backup_last_success_timestamp_seconds{backup_job="pfsense-backup",site="homelab",host="pve",guest=""}) > 691200');
    expect(byName.get('NfsMirrorStale')!.expr).toMatch(/> 1382400$/); // 16 d
    expect(byName.get('OffsiteBackupSyncStale')!.expr).toMatch(/> 691200$/); // 8 d
    const low = byName.get('LVMThinPoolLow')!;
    expect(low.expr).toBe('min by (backup_job, site, host) (backup_lvm_thinpool_free_ratio{backup_job="lvm-pvc-snapshot",site="homelab",host="pve"}) < 0.15');
    // a plain value is held until the case's evaluation time
    expect(low.cases[0].series[0]).toEqual({ series: 'backup_lvm_thinpool_free_ratio{backup_job="lvm-pvc-snapshot",site="homelab",host="pve"}', values: expect.stringMatching(/^0\.05x\d+$/) });
    expect(h.model.signalsOf('lvm-pvc-snapshot')[0].metrics).toContain('backup_lvm_thinpool_free_ratio');
  });

  it('records each resolved contradiction as a decision', () => {
    const subjects = h.model.decisions.map((d) => d.subject);
    expect(subjects).toEqual(expect.arrayContaining(['offsite-sync-backup schedule', 'nfs-mirror schedule', 'bypass list: llamacpp']));
    const review = h.review.get('REVIEW.md')!.content;
    expect(review).toMatch(/offsite-sync-backup schedule\*\*: daily 06:00/);
    expect(review).toMatch(/only the Sunday timeline diagram says 08:00/);
  });

  it('names the Synology, its paths and the key file, and never a key', () => {
    const offsite = file('/usr/local/lib/backup-constructs/offsite-sync-backup.sh');
    expect(offsite).toContain("STEP1_DEST=${STEP1_DEST:-root@192.168.1.13:/Backup/Viki/pve-backup/}");
    expect(offsite).toContain("STEP2_DEST_0=${STEP2_DEST_0:-root@192.168.1.13:/Backup/Viki/nfs/}");
    expect(offsite).toContain("STEP2_DEST_1=${STEP2_DEST_1:-root@192.168.1.13:/Backup/Viki/nfs-ssd/}");
    expect(offsite).toContain('SSH_KEY=${SSH_KEY:-/root/.ssh/synology_backup}');
    expect(offsite).toContain('MANIFEST_MAX_LINES=${MANIFEST_MAX_LINES:-500000}');
    expect(offsite).toMatch(/llamacpp/);
    for (const [f, v] of h.review) expect({ f, key: /PRIVATE KEY/.test(v.content) }).toEqual({ f, key: false });
  });

  it('opens proxmox-lvm-encrypted snapshots with a key file on the host (the path, never a key), and says how to restore one', () => {
    const daily = file('/usr/local/lib/backup-constructs/daily-backup.sh');
    expect(daily).toContain('ENCRYPTED_VOLUME_KEY_FILE=${ENCRYPTED_VOLUME_KEY_FILE:-/etc/backup-constructs/keys/proxmox-lvm-encrypted.key}');
    expect(daily).toContain('cryptsetup open --readonly --key-file "$ENCRYPTED_VOLUME_KEY_FILE" "$dev" "$mapper"');
    expect(h.review.has('hosts/pve/etc/backup-constructs/keys/proxmox-lvm-encrypted.key')).toBe(false);
    const decision = h.model.decisions.find((d) => d.subject === 'proxmox-lvm-encrypted PVCs');
    expect(decision?.decision).toMatch(/\/etc\/backup-constructs\/keys\/proxmox-lvm-encrypted\.key, a file the operator creates by hand on pve \(owner root, mode 0600\)/);
    expect(h.model.job('daily-backup')!.restore!.flatMap((r) => r.commands)).toContainEqual(expect.stringContaining('cryptsetup open --key-file /etc/backup-constructs/keys/proxmox-lvm-encrypted.key /dev/pve/<pvc-lv>'));
  });

  it('restores a PVC only once its pods are gone and its LV is closed: a second mount of an open ext4 corrupts it', () => {
    const commands = h.model.job('daily-backup')!.restore!.flatMap((r) => r.commands).join('\n');
    const order = ['scale <kind>/<app> --replicas=0', 'wait --for=delete pod', 'lvs --noheadings -o lv_attr pve/<pvc-lv>', 'mount /dev/pve/<pvc-lv> /mnt/restore'];
    const positions = order.map((o) => commands.indexOf(o));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('restores from off-site with its timer stopped first and started last: a full sync would delete off-site what is not back yet', () => {
    const commands = h.model.job('offsite-sync-backup')!.restore!.flatMap((r) => r.commands);
    expect(commands[0]).toBe('systemctl stop bc-offsite-sync-backup.timer');
    expect(commands[commands.length - 1]).toMatch(/^systemctl start bc-offsite-sync-backup\.timer/);
    expect(commands.slice(1, -1).every((c) => c.includes('rsync -a'))).toBe(true);
  });

  it('has the writers and the consumer of the manifest take one lock', () => {
    for (const s of ['daily-backup', 'nfs-mirror', 'offsite-sync-backup']) {
      expect({ s, lock: file(`/usr/local/lib/backup-constructs/${s}.sh`).includes('MANIFEST_LOCK=${MANIFEST_LOCK:-/run/lock/backup-constructs/offsite-manifest.lock}') }).toEqual({ s, lock: true });
    }
    expect(file('/usr/local/lib/backup-constructs/offsite-sync-backup.sh')).toContain('CHANGE_LOG_LOCK=${CHANGE_LOG_LOCK:-/run/lock/backup-constructs/nfs-changes.lock}');
    expect(file('/usr/local/lib/backup-constructs/nfs-change-tracker.sh')).toContain('CHANGE_LOG_LOCK=${CHANGE_LOG_LOCK:-/run/lock/backup-constructs/nfs-changes.lock}');
    // only the consumer removes lines
    for (const s of ['daily-backup', 'nfs-mirror']) expect(file(`/usr/local/lib/backup-constructs/${s}.sh`)).not.toMatch(/bc_log_drop|>\s*"\$MANIFEST"/);
  });

  it('lists every pipeline unit and script in REVIEW.md', () => {
    const review = h.review.get('REVIEW.md')!.content;
    const installed = [...h.review.keys()].filter((f) => f.startsWith('hosts/pve/') && /(lvm-pvc-snapshot|daily-backup|nfs-mirror|nfs-change-tracker|offsite-sync-backup)/.test(f));
    expect(installed.length).toBe(15); // 9 units, 5 job scripts, the snapshot restore tool
    for (const f of installed) expect({ f, listed: review.includes(`\`${f.slice('hosts/pve'.length)}\``) }).toEqual({ f, listed: true });
  });

  it('synthesizes with every cross-construct check passing', () => {
    expect(() => synthJson(h.site)).not.toThrow();
  });
});

describe('two pipeline hosts in one site', () => {
  function pipeline(site: ReturnType<typeof testSite>['site'], host: Host, suffix: string, bypass: BypassList) {
    const manifest = OffsiteManifest.of('/mnt/backup');
    const mirror = new NfsMirror(site, `Mirror${suffix}`, { host, jobId: `nfs-mirror${suffix}`, bypass, manifest });
    const tracker = new NfsChangeTracker(site, `Tracker${suffix}`, { host, jobId: `nfs-change-tracker${suffix}`, paths: bypass.roots.map((r) => r.path) });
    const target = { name: 'nas', address: '192.0.2.13', sshKeyFile: '/root/.ssh/offsite_key', basePath: `/Backup/${host.name}` };
    new OffsiteSync(site, `Offsite${suffix}`, { host, jobId: `offsite-sync${suffix}`, target, manifest, ships: [mirror], step2: { bypass, changeTracker: tracker } });
  }
  it('checks each host\'s two legs against its own mirror: different bypass lists on two hosts pass', () => {
    const { site, host } = testSite();
    const pve2 = new Host(site, 'Pve2', { name: 'pve2', address: '192.0.2.11' });
    pipeline(site, host, '', BypassList.of({ '/srv/nfs': ['immich'] }));
    pipeline(site, pve2, '-pve2', BypassList.of({ '/srv/nfs': ['frigate'] }));
    expect(() => synthJson(site)).not.toThrow();
  });
  it('does not count another host\'s mirror as the mirror leg of a Step 2', () => {
    const { site, host } = testSite();
    const pve2 = new Host(site, 'Pve2', { name: 'pve2', address: '192.0.2.11' });
    const bypass = BypassList.of({ '/srv/nfs': ['immich'] });
    new NfsMirror(site, 'Mirror2', { host: pve2, jobId: 'nfs-mirror-pve2', bypass, manifest: OffsiteManifest.of('/mnt/backup') });
    const manifest = OffsiteManifest.of('/mnt/backup');
    const tracker = new NfsChangeTracker(site, 'Tracker', { host, paths: ['/srv/nfs'] });
    const fb = new FileBackup(site, 'Fb', { host, manifest, pveConfig: true });
    new OffsiteSync(site, 'Offsite', { host, target: { name: 'nas', address: '192.0.2.13', sshKeyFile: '/k', basePath: '/Backup/pve' }, manifest, ships: [fb], step2: { bypass, changeTracker: tracker } });
    expect(() => synthJson(site)).toThrow(/\[test\/Offsite\] step2\.bypass: expected an NfsMirror of \/srv\/nfs, got none/);
  });
});

describe('a hand-written job and the off-site manifest', () => {
  const job = (body: string, settings?: Record<string, string>) => {
    const { site, host } = pipelineSite({ pfsense: false });
    new ScheduledHostJob(site, 'Custom', { host, jobId: 'custom-job', schedule: Schedule.daily('07:00'), description: 'custom', body, settings });
    return () => synthJson(site);
  };
  it('fails at synth when its body or settings name the manifest (seed 002, S1: a second script truncating it)', () => {
    expect(job(': > /mnt/backup/.changed-files')).toThrow(
      /\[test\/Custom\] body: expected a job that leaves the off-site manifest \/mnt\/backup\/\.changed-files alone \(test\/DailyBackup uses it\), got one that names it.*incident S1/,
    );
    expect(job(': >"$LIST"', { LIST: '/mnt/backup/.changed-files' })).toThrow(/\[test\/Custom\] body: expected a job that leaves the off-site manifest/);
  });
  it('passes when it writes elsewhere, even on the backup disk', () => {
    expect(job('date >/mnt/backup/custom/last-run')).not.toThrow();
  });
});

describeWithTools([['shellcheck', 'shellcheck'], ['systemd-analyze', 'systemd']], 'host pipeline files on real checkers', () => {
  const h = homelab();
  it('every generated script passes shellcheck', () => {
    const scripts = [...h.review.keys()].filter((f) => f.startsWith('hosts/pve/usr/local/') && /(lvm-pvc-snapshot|daily-backup|nfs-mirror|nfs-change-tracker|offsite-sync-backup)/.test(f));
    expect(scripts).toHaveLength(6);
    for (const s of scripts) expect({ s, out: shellcheck(path.join(h.dir, s)).output }).toEqual({ s, out: '' });
  });

  it('every unit passes systemd-analyze verify', () => {
    const units = pipelineUnits(h.review.keys()).map((f) => path.basename(f));
    expect(units).toHaveLength(9);
    const v = systemdVerify(h.hostTree, units);
    expect(v.output).toBe('');
    expect(v.status).toBe(0);
  });

  it('no local-to-local rsync compresses; the off-site sync adds -z only for a host:path destination', () => {
    for (const s of ['daily-backup', 'nfs-mirror', 'lvm-pvc-snapshot']) {
      const text = fs.readFileSync(path.join(h.hostTree, `usr/local/lib/backup-constructs/${s}.sh`), 'utf8');
      expect({ s, z: /rsync\b[^\n]*(\s-[a-yA-Z]*z\b|--compress)/.test(text) }).toEqual({ s, z: false });
    }
    const offsite = fs.readFileSync(path.join(h.hostTree, 'usr/local/lib/backup-constructs/offsite-sync-backup.sh'), 'utf8');
    expect(offsite.match(/rsync -z/g)).toHaveLength(1);
    expect(offsite).toMatch(/\*:\*\) rsync -z -e /);
  });
});

describeWithTool('promtool', 'prometheus', 'host pipeline alerts', () => {
  // promtool test rules runs over every site in test/stacks/all-sites.test.ts
  it('pass promtool check rules, with promtool cases for the thin pool alert', () => {
    const h = homelab();
    const dir = path.join(h.dir, 'prometheus');
    const rules = fs.readdirSync(dir).find((f) => f.endsWith('.rules.yml'))!;
    expect(run('promtool', ['check', 'rules', rules], { cwd: dir })).toMatch(/SUCCESS/);
    const tests = parse(fs.readFileSync(path.join(dir, rules.replace('.rules.yml', '.test.yml')), 'utf8')).tests.map((t: { name: string }) => t.name);
    expect(tests).toEqual(expect.arrayContaining(['LVMThinPoolLow fires (lvm-pvc-snapshot)', 'LVMThinPoolLow stays silent (lvm-pvc-snapshot)']));
  });
});

describe('host pipeline checks', () => {
  function base() {
    const { site, host } = testSite();
    const bypass = BypassList.of({ '/srv/nfs': ['immich', '*-backup'], '/srv/nfs-ssd': 'all' });
    const manifest = OffsiteManifest.of('/mnt/backup');
    const snapshots = new LvmSnapshotTimer(site, 'Snap', { host });
    return { site, host, bypass, manifest, snapshots };
  }
  const target = { name: 'nas', address: '192.0.2.13', sshKeyFile: '/root/.ssh/key', basePath: '/Backup' };

  it('fails when sqlite or snapshot pruning are asked for without pvcs', () => {
    const { site, host } = base();
    expect(() => new FileBackup(site, 'Fb', { host, sqlite: true, pveConfig: true })).toThrow(/\[test\/Fb\] sqlite: expected pvcs to be set/);
    expect(() => new FileBackup(site, 'Fb2', { host, pruneSnapshots: true, pveConfig: true })).toThrow(/\[test\/Fb2\] pruneSnapshots: expected pvcs to be set/);
  });

  it("fails when the snapshot safety net would prune sooner than the snapshot job's own retention", () => {
    const { site, host, snapshots } = base();
    expect(() => new FileBackup(site, 'Fb', { host, pvcs: { snapshots }, pruneSnapshots: { olderThan: Duration.days(2) } })).toThrow(
      /\[test\/Fb\] pruneSnapshots\.olderThan: expected at least the retention of test\/Snap \(7d\), got 2d \(hint: the file backup would delete snapshots that job still keeps/,
    );
    expect(() => new FileBackup(site, 'Fb2', { host, jobId: 'daily-two', pvcs: { snapshots }, pruneSnapshots: { olderThan: Duration.days(9) } })).not.toThrow();
  });

  it('fails when the encrypted volume key file is not an absolute path (a passphrase given instead of a file)', () => {
    const { site, host, snapshots } = base();
    expect(() => new FileBackup(site, 'Fb', { host, pvcs: { snapshots, encryptedVolumeKeyFile: 'correct horse battery staple' } })).toThrow(/\[test\/Fb\] pvcs\.encryptedVolumeKeyFile: expected an absolute path/);
  });

  it("fails when the pfSense step is given the file backup's own job id", () => {
    const { site, host } = base();
    expect(() => new FileBackup(site, 'Fb', { host, pfsense: { host: 'fw.example', sshKeyFile: '/root/.ssh/fw', jobId: 'daily-backup' } })).toThrow(/\[test\/Fb\] pfsense\.jobId: expected an id other than the file backup's own, got daily-backup/);
  });

  it('fails when a file backup has nothing to copy', () => {
    const { site, host } = base();
    expect(() => new FileBackup(site, 'Fb', { host })).toThrow(/\[test\/Fb\] pvcs: expected at least one part/);
  });

  it('fails when the manifest does not hold the folder written to', () => {
    const { site, host, snapshots } = base();
    expect(() => new FileBackup(site, 'Fb', { host, root: '/srv/other', manifest: OffsiteManifest.of('/mnt/backup'), pvcs: { snapshots } })).toThrow(/\[test\/Fb\] manifest: expected a manifest whose root holds \/srv\/other/);
  });

  it('fails when a mirror would copy a root the list sends entirely to Step 2', () => {
    const { site, host, bypass } = base();
    expect(() => new NfsMirror(site, 'M', { host, bypass, source: '/srv/nfs-ssd' })).toThrow(/\[test\/M\] source: expected a root that is not bypassed as a whole, got \/srv\/nfs-ssd/);
    expect(() => new NfsMirror(site, 'M2', { host, bypass, source: '/srv/elsewhere' })).toThrow(/\[test\/M2\] source: expected a root of the bypass list/);
  });

  it('fails when a mirror of a list with two roots names no source, saying it is required', () => {
    const { site, host } = base();
    const bypass = BypassList.of({ '/srv/nfs': ['immich'], '/srv/nfs-hdd': ['media'] });
    expect(() => new NfsMirror(site, 'M', { host, bypass })).toThrow(
      /\[test\/M\] source: required: expected source to name one of \/srv\/nfs, \/srv\/nfs-hdd, got nothing \(hint: set source to the root this mirror copies\)/,
    );
  });

  it('fails when the mirror and Step 2 are given two different lists (two legs, one list)', () => {
    const { site, host, bypass, manifest, snapshots } = base();
    const fb = new FileBackup(site, 'Fb', { host, manifest, pvcs: { snapshots } });
    const other = BypassList.of({ '/srv/nfs': ['immich'], '/srv/nfs-ssd': 'all' });
    const mirror = new NfsMirror(site, 'M', { host, bypass: other, manifest });
    const tracker = new NfsChangeTracker(site, 'T', { host, paths: ['/srv/nfs', '/srv/nfs-ssd'] });
    new OffsiteSync(site, 'O', { host, target, manifest, ships: [fb, mirror], step2: { bypass, changeTracker: tracker } });
    expect(() => synthJson(site)).toThrow(/\[test\/M\] bypass: expected the BypassList of test\/O step2, got another one/);
  });

  it('fails when a root\'s entries outside the list take no leg (no mirror) or the tracker does not watch a root', () => {
    const { site, host, bypass, manifest, snapshots } = base();
    const fb = new FileBackup(site, 'Fb', { host, manifest, pvcs: { snapshots } });
    const tracker = new NfsChangeTracker(site, 'T', { host, paths: ['/srv/nfs'] });
    new OffsiteSync(site, 'O', { host, target, manifest, ships: [fb], step2: { bypass, changeTracker: tracker } });
    expect(() => synthJson(site)).toThrow(/\[test\/O\] step2\.bypass: expected an NfsMirror of \/srv\/nfs, got none \(hint: its entries outside the bypass list take no leg\)[\s\S]*\[test\/T\] paths: expected the tracker to watch \/srv\/nfs-ssd/);
  });

  it('lets a second mirror copy the same root to another disk (one asset, a copy per mirror), with the same list and classification, in a site whose Step 2 ships the list', () => {
    const { site, host, bypass, manifest } = base();
    const m = new NfsMirror(site, 'M', { host, bypass, manifest });
    new NfsMirror(site, 'Usb', { host, bypass, jobId: 'nfs-mirror-usb', destination: '/mnt/usb' });
    expect(siteModelOf(site).copiesOf('path:pve:/srv/nfs:mirror-leg').map((c) => `${c.job} ${c.target}`).sort()).toEqual(['nfs-mirror local-disk:pve:/mnt/backup', 'nfs-mirror-usb local-disk:pve:/mnt/usb']);
    const tracker = new NfsChangeTracker(site, 'T', { host, paths: ['/srv/nfs', '/srv/nfs-ssd'] });
    new OffsiteSync(site, 'O', { host, target, manifest, ships: [m], step2: { bypass, changeTracker: tracker } });
    synthJson(site);
    const other = BypassList.of({ '/srv/nfs': ['immich'], '/srv/nfs-ssd': 'all' });
    expect(() => new NfsMirror(site, 'Usb2', { host, bypass: other, jobId: 'nfs-mirror-usb2', destination: '/mnt/usb2', classification: 'critical' })).toThrow(
      /^\[test\/Usb2\] bypass: expected the BypassList of test\/M, which mirrors \/srv\/nfs on pve too, got another one \(hint: .*\)\n\[test\/Usb2\] classification: expected important, as test\/M classifies \/srv\/nfs \(it mirrors it too\), got critical/,
    );
  });

  it('fails when a mirror leaves paths out (its bypass list) and no Step 2 on its host ships them, and keeps those paths in the model, unprotected', () => {
    const expected = /\[test\/M\] bypass: expected an OffsiteSync on pve whose step2 ships the paths this mirror leaves out \(\/srv\/nfs: \*-backup, immich; \/srv\/nfs-ssd: all\), got none: they take no leg, neither mirrored nor shipped off-site \(hint: give the host's OffsiteSync step2: \{ bypass, changeTracker \} with this same BypassList and an NfsChangeTracker watching \/srv\/nfs, \/srv\/nfs-ssd; a mirror alone cannot leave paths out\)/;
    // an off-site sync without Step 2
    const { site, host, bypass, manifest } = base();
    const m = new NfsMirror(site, 'M', { host, bypass, manifest });
    new OffsiteSync(site, 'O', { host, target, manifest, ships: [m] });
    expect(() => synthJson(site)).toThrow(expected);
    const model = siteModelOf(site);
    expect(model.asset('path:pve:/srv/nfs:bypass-leg')).toMatchObject({ kind: 'path', constructPath: 'test/M', selector: { include: ['/srv/nfs/*-backup', '/srv/nfs/immich'] } });
    expect(model.asset('path:pve:/srv/nfs-ssd:bypass-leg')).toMatchObject({ constructPath: 'test/M', selector: { include: ['/srv/nfs-ssd/*'] } });
    expect(model.copiesOf('path:pve:/srv/nfs:bypass-leg')).toEqual([]);
    expect(model.policyOutcome().findings.filter((f) => f.rule === '3-2-1' && f.subject.endsWith(':bypass-leg')).map((f) => f.subject).sort()).toEqual(['path:pve:/srv/nfs-ssd:bypass-leg', 'path:pve:/srv/nfs:bypass-leg']);
    // no off-site sync at all
    const b = base();
    new NfsMirror(b.site, 'M', { host: b.host, bypass: b.bypass });
    expect(() => synthJson(b.site)).toThrow(expected);
    expect(siteModelOf(b.site).asset('path:pve:/srv/nfs:bypass-leg')).toBeDefined();
    // a Step 2 on another host ships that host's paths, not these
    const c = base();
    new NfsMirror(c.site, 'M', { host: c.host, bypass: c.bypass });
    const nas = new Host(c.site, 'Nas', { name: 'nas', address: '10.0.0.9' });
    const nasManifest = OffsiteManifest.of('/mnt/backup');
    const nasMirror = new NfsMirror(c.site, 'NasMirror', { host: nas, jobId: 'nfs-mirror-nas', bypass: c.bypass, manifest: nasManifest });
    const tracker = new NfsChangeTracker(c.site, 'T', { host: nas, paths: ['/srv/nfs', '/srv/nfs-ssd'] });
    new OffsiteSync(c.site, 'O', { host: nas, jobId: 'offsite-nas', target, manifest: nasManifest, ships: [nasMirror], step2: { bypass: c.bypass, changeTracker: tracker } });
    expect(() => synthJson(c.site)).toThrow(expected);
  });

  it('fails when two mirrors on one host would write into the same destination (same-named entries of two roots would overwrite each other)', () => {
    const { site, host } = base();
    const bypass = BypassList.of({ '/srv/nfs': ['immich'], '/srv/nfs-ssd': ['ollama'] });
    new NfsMirror(site, 'M', { host, bypass, source: '/srv/nfs' });
    expect(() => new NfsMirror(site, 'Ssd', { host, bypass, source: '/srv/nfs-ssd', jobId: 'nfs-mirror-ssd' })).toThrow(
      /^\[test\/Ssd\] destination: expected a folder no other mirror on pve writes to, got \/mnt\/backup, which overlaps \/mnt\/backup of test\/M \(it mirrors \/srv\/nfs\).* \(hint: give each mirror a folder of its own beside the other, e\.g\. destination: '\/mnt\/backup-nfs-ssd'\)$/,
    );
    expect(() => new NfsMirror(site, 'Nested', { host, bypass, source: '/srv/nfs-ssd', jobId: 'nfs-mirror-nested', destination: '/mnt/backup/ssd' })).toThrow(/\[test\/Nested\] destination: .* got \/mnt\/backup\/ssd, which overlaps \/mnt\/backup of test\/M/);
    expect(() => new NfsMirror(site, 'Own', { host, bypass, source: '/srv/nfs-ssd', jobId: 'nfs-mirror-own', destination: '/mnt/backup-ssd' })).not.toThrow();
  });

  it('lets a second off-site sync ship the bypass paths to another target with its own manifest and change tracker (one asset, a copy per sync), and fails naming step2.changeTracker when two would consume one log', () => {
    const { site, host, bypass, manifest } = base();
    const fb = new FileBackup(site, 'Fb', { host, manifest, pveConfig: true });
    const mirror = new NfsMirror(site, 'M', { host, bypass, manifest });
    const tracker = new NfsChangeTracker(site, 'T', { host, paths: ['/srv/nfs', '/srv/nfs-ssd'] });
    new OffsiteSync(site, 'O', { host, target, manifest, ships: [fb, mirror], step2: { bypass, changeTracker: tracker } });
    // a manifest has one consumer: the second sync's Step 1 ships a disk of its own
    const usbManifest = OffsiteManifest.of('/mnt/usb');
    const usb = new FileBackup(site, 'Usb', { host, jobId: 'usb-backup', root: '/mnt/usb', manifest: usbManifest, pveConfig: true });
    const cloud = { ...target, name: 'cloud', address: '192.0.2.99' };
    expect(() => new OffsiteSync(site, 'Cloud', { host, jobId: 'offsite-cloud', target: cloud, manifest: usbManifest, ships: [usb], step2: { bypass, changeTracker: tracker } })).toThrow(
      /^\[test\/Cloud\] step2\.changeTracker: expected a change tracker no other off-site sync consumes, got test\/T, whose log test\/O consumes: each removes the lines it shipped, so the other would miss those changes until the monthly full sync \(hint: give this sync's Step 2 its own NfsChangeTracker watching the same paths, with its own jobId and changeLog\)$/,
    );
    const own = new NfsChangeTracker(site, 'T2', { host, jobId: 'nfs-change-tracker-cloud', changeLog: '/mnt/backup/.nfs-changes-cloud.log', lockFile: '/run/lock/backup-constructs/nfs-changes-cloud.lock', paths: ['/srv/nfs', '/srv/nfs-ssd'] });
    new OffsiteSync(site, 'Cloud2', { host, jobId: 'offsite-cloud', target: cloud, manifest: usbManifest, ships: [usb], step2: { bypass, changeTracker: own } });
    expect(siteModelOf(site).copiesOf('path:pve:/srv/nfs-ssd:bypass-leg').map((c) => c.job).sort()).toEqual(['offsite-cloud', 'offsite-sync-backup']);
    synthJson(site);
  });

  it('fails when two off-site syncs on one host consume one manifest file (each removes the lines it shipped, so the other ships nothing), naming both', () => {
    const { site, host, bypass, manifest } = base();
    const fb = new FileBackup(site, 'Fb', { host, manifest, pveConfig: true });
    const mirror = new NfsMirror(site, 'M', { host, bypass, manifest });
    new OffsiteSync(site, 'A', { host, target, manifest, ships: [fb, mirror] });
    const cloud = { ...target, name: 'cloud', address: '192.0.2.99' };
    expect(() => new OffsiteSync(site, 'B', { host, jobId: 'offsite-cloud', target: cloud, manifest, ships: [fb, mirror] })).toThrow(
      /^\[test\/B\] manifest: expected a manifest no other off-site sync consumes, got \/mnt\/backup\/\.changed-files on pve, which test\/A consumes: each sync removes the lines it shipped, so the other ships nothing of them .* \(hint: a manifest file has one consumer: ship these writers from test\/A alone, or give test\/B its own OffsiteManifest \(another file\) and writers of its own appending to it .*\)$/,
    );
    // the same file named by another value (another cap) is still the same file
    expect(() => new OffsiteSync(site, 'C', { host, jobId: 'offsite-c', target: cloud, manifest: OffsiteManifest.of('/mnt/backup', { maxLines: 10 }), ships: [fb] })).toThrow(/\[test\/C\] manifest: expected a manifest no other off-site sync consumes, .* which test\/A consumes/);
  });

  it('fails when a writer or the consumer of one manifest file on a host uses other settings (another lock), whatever the sync ships, naming both', () => {
    const { site, host, bypass, manifest } = base();
    const fb = new FileBackup(site, 'Fb', { host, manifest, pveConfig: true });
    new OffsiteSync(site, 'O', { host, target, manifest, ships: [fb] });
    const otherLock = OffsiteManifest.of('/mnt/backup', { lockFile: '/run/lock/other.lock' });
    // the mirror is not in the sync's ships, and still appends to the file the sync drops lines from
    expect(() => new NfsMirror(site, 'M', { host, bypass, manifest: otherLock })).toThrow(
      /^\[test\/M\] manifest: expected \/mnt\/backup\/\.changed-files on pve with the settings test\/Fb \(a writer\) uses, got lockFile \/run\/lock\/other\.lock instead of \/run\/lock\/backup-constructs\/offsite-manifest\.lock \(under two locks a line appended while the sync removes what it shipped is lost\) \(hint: build one OffsiteManifest per file and pass that value to every writer and the off-site sync, as test\/Fb gets it\)$/,
    );
    // another root for the same file: the listed paths would be read against another folder
    const otherRoot = OffsiteManifest.of('/mnt', { file: '/mnt/backup/.changed-files' });
    expect(() => new FileBackup(site, 'Fb2', { host, jobId: 'daily-backup-2', manifest: otherRoot, root: '/mnt/backup2' })).toThrow(/^\[test\/Fb2\] .*manifest: expected \/mnt\/backup\/\.changed-files on pve with the settings test\/Fb \(a writer\) uses, got root \/mnt instead of \/mnt\/backup/m);
    // the consumer's side: a sync taking another lock than the writers already there
    const { site: s2, host: h2, bypass: b2, manifest: m2 } = base();
    new NfsMirror(s2, 'M', { host: h2, bypass: b2, manifest: otherLock });
    const fb2 = new FileBackup(s2, 'Fb', { host: h2, manifest: otherLock, pveConfig: true });
    expect(() => new OffsiteSync(s2, 'O', { host: h2, target, manifest: m2, ships: [fb2] })).toThrow(/\[test\/O\] manifest: expected \/mnt\/backup\/\.changed-files on pve with the settings test\/M \(a writer\) uses, got lockFile \/run\/lock\/backup-constructs\/offsite-manifest\.lock instead of \/run\/lock\/other\.lock/);
    // the same file on another host is another file
    const pve2 = new Host(site, 'Pve2', { name: 'pve2', address: '192.0.2.11' });
    expect(() => new NfsMirror(site, 'M2', { host: pve2, bypass, manifest: otherLock })).not.toThrow();
  });

  it('fails when a second change tracker keeps the job id of another, naming jobId (not its script path), and lets it watch under its own', () => {
    const { site, host } = base();
    new NfsChangeTracker(site, 'T', { host, paths: ['/srv/nfs'] });
    expect(() => new NfsChangeTracker(site, 'T2', { host, paths: ['/srv/nfs-ssd'] })).toThrow(
      /^\[test\/T2\] jobId: job "nfs-change-tracker" is already registered in site test by test\/T \(hint: job ids name metrics, alerts and Proxmox jobs; give each job its own\)$/,
    );
    const other = new Host(site, 'Nas', { name: 'nas', address: '10.0.0.9' });
    expect(() => new NfsChangeTracker(site, 'T3', { host: other, paths: ['/srv/nfs'] })).toThrow(/^\[test\/T3\] jobId: .*e\.g\. jobId: 'nfs-change-tracker-nas' for the one on nas\)$/);
    expect(new NfsChangeTracker(site, 'T4', { host, jobId: 'nfs-ssd-change-tracker', paths: ['/srv/nfs-ssd'] }).scriptPath).toMatch(/nfs-ssd-change-tracker\.sh$/);
  });

  it('fails when a shipped writer does not append to the manifest the sync consumes', () => {
    const { site, host, manifest, snapshots } = base();
    const fb = new FileBackup(site, 'Fb', { host, pvcs: { snapshots } });
    expect(() => new OffsiteSync(site, 'O', { host, target, manifest, ships: [fb] })).toThrow(/\[test\/O\] ships\.0: expected test\/Fb to append to the manifest \/mnt\/backup\/\.changed-files, got no manifest/);
  });

  it('fails when two off-site syncs write into the same folders of one target, or a step folder lies inside another', () => {
    const { site, host, bypass, manifest, snapshots } = base();
    const fb = new FileBackup(site, 'Fb', { host, manifest, pvcs: { snapshots } });
    new OffsiteSync(site, 'O', { host, target, manifest, ships: [fb] });
    // a second Proxmox host shipping its disk to the same NAS with the defaults
    const pve2 = new Host(site, 'Pve2', { name: 'pve2', address: '192.0.2.11' });
    const fb2 = new FileBackup(site, 'Fb2', { host: pve2, jobId: 'daily-backup-pve2', manifest, pveConfig: true });
    expect(() => new OffsiteSync(site, 'O2', { host: pve2, jobId: 'offsite-pve2', target, manifest, ships: [fb2] })).toThrow(
      /\[test\/O2\] step1Path: expected a folder no other off-site sync writes to, got \/Backup\/pve-backup on 192\.0\.2\.13, which test\/O also writes to: each full sync \(--delete\) would delete what the other shipped \(hint: give each sync its own folder, e\.g\. step1Path: 'pve2\/pve-backup'/,
    );
    expect(() => new OffsiteSync(site, 'O3', { host: pve2, jobId: 'offsite-pve2', target, manifest, ships: [fb2], step1Path: 'pve-backup/pve2' })).toThrow(/step1Path: .* got \/Backup\/pve-backup\/pve2 on 192\.0\.2\.13, which overlaps \/Backup\/pve-backup that test\/O also writes to/);
    expect(() => new OffsiteSync(site, 'O4', { host: pve2, jobId: 'offsite-pve2', target, manifest, ships: [fb2], step1Path: 'pve2/pve-backup' })).not.toThrow();
    const pve3 = new Host(site, 'Pve3', { name: 'pve3', address: '192.0.2.12' });
    const fbPve3 = new FileBackup(site, 'FbPve3', { host: pve3, jobId: 'daily-backup-pve3', manifest, pveConfig: true });
    expect(() => new OffsiteSync(site, 'O5', { host: pve3, target: { ...target, address: '192.0.2.14' }, manifest, ships: [fbPve3], jobId: 'offsite-other-nas' })).not.toThrow();
    // Step 2's folder inside Step 1's: Step 1's monthly --delete removes it
    const { site: s2, host: h2, bypass: b2, manifest: m2, snapshots: sn2 } = base();
    void bypass;
    const tracker = new NfsChangeTracker(s2, 'T', { host: h2, paths: ['/srv/nfs', '/srv/nfs-ssd'] });
    new NfsMirror(s2, 'M', { host: h2, bypass: b2, manifest: m2 });
    const fb3 = new FileBackup(s2, 'Fb', { host: h2, manifest: m2, pvcs: { snapshots: sn2 } });
    expect(() => new OffsiteSync(s2, 'O', { host: h2, target, manifest: m2, ships: [fb3], step2: { bypass: b2, changeTracker: tracker, paths: { '/srv/nfs': 'pve-backup/nfs' } } })).toThrow(
      /\[test\/O\] step2\.paths: expected folders side by side, got pve-backup\/nfs inside pve-backup/,
    );
  });

  it('holds as many snapshots as the schedule makes within keep, and refuses a floor under one', () => {
    const { site, host } = base();
    const sixHourly = new LvmSnapshotTimer(site, 'Db', { host, jobId: 'lvm-db-snapshot', lvPattern: 'db-*', thinPool: 'fast', thinPoolAlertName: 'FastLow', thinPoolMetadataAlertName: 'FastMetaLow', schedule: Schedule.everyHours(6), keep: Duration.days(2) });
    expect(sixHourly.keepAtLeast).toBe(8);
    expect(reviewOf(site).get(`hosts/pve${sixHourly.job.scriptPath}`)!.content).toMatch(/^KEEP_AT_LEAST=\$\{KEEP_AT_LEAST:-8\}$/m);
    expect(() => new LvmSnapshotTimer(site, 'Zero', { host, jobId: 'lvm-zero', volumeGroup: 'other', keepAtLeast: 0 })).toThrow(/\[test\/Zero\] keepAtLeast: expected at least 1 snapshot/);
  });

  it('fails when two snapshot timers in one volume group may take the same LVs (each prunes the other\'s snapshots)', () => {
    const { site, host } = base(); // base() makes one timer for vm-*-pvc-* in pve
    expect(() => new LvmSnapshotTimer(site, 'Db', { host, jobId: 'lvm-db-snapshot', lvPattern: 'vm-1*' })).toThrow(
      /\[test\/Db\] lvPattern: expected LVs no other snapshot timer in pve on pve takes, got vm-1\*, which may match the LVs of vm-\*-pvc-\* \(test\/Snap\)/,
    );
    // another thin pool of the same group: pruning goes by name across the group, so only the patterns tell them apart
    expect(() => new LvmSnapshotTimer(site, 'Db1', { host, jobId: 'lvm-db-snapshot', thinPool: 'fastdata', lvPattern: 'vm-*' })).toThrow(/\[test\/Db1\] lvPattern: .* got vm-\*, which may match/);
    expect(() => new LvmSnapshotTimer(site, 'Db2', { host, jobId: 'lvm-db-snapshot', thinPool: 'fastdata', lvPattern: 'db-*', thinPoolAlertName: 'FastPoolLow', thinPoolMetadataAlertName: 'FastPoolMetadataLow' })).not.toThrow();
    expect(() => new LvmSnapshotTimer(site, 'Other', { host, jobId: 'lvm-other-snapshot', volumeGroup: 'fast', lvPattern: 'vm-*', thinPoolAlertName: 'OtherPoolLow', thinPoolMetadataAlertName: 'OtherPoolMetadataLow' })).not.toThrow();
  });

  it('lets two timers share a thin pool (one target, the pool alerts once) and names the alert field when a second pool would reuse a name', () => {
    const { site, host } = base(); // Snap: vm-*-pvc-* in pve/data
    const db = new LvmSnapshotTimer(site, 'Db', { host, jobId: 'lvm-db-snapshot', lvPattern: 'db-*' });
    const m = siteModelOf(site);
    expect(db.targetId).toBe('lvm-thin:pve:pve/data');
    expect(m.targets.filter((t) => t.id === db.targetId)).toHaveLength(1);
    expect(m.alertSpecs.filter((a) => /^LVMThinPool/.test(a.name)).map((a) => a.constructPath)).toEqual(['test/Snap', 'test/Snap']);
    expect(m.copy('lvm-db-snapshot:pvc-set:pve:db-*')).toMatchObject({ target: 'lvm-thin:pve:pve/data' });
    // the pool's alert settings belong to the timer that owns its alerts
    expect(() => new LvmSnapshotTimer(site, 'Ct', { host, jobId: 'lvm-ct-snapshot', lvPattern: 'ct-*', thinPoolLowRatio: 0.2 })).toThrow(
      /\[test\/Ct\] thinPoolLowRatio: expected it unset: the alerts on thin pool pve\/data on pve come from test\/Snap, which snapshots the same pool \(hint: set thinPoolLowRatio on test\/Snap instead\)/,
    );
    // the same pattern in another volume group is another set of volumes, with its own asset
    const fast = { host, jobId: 'lvm-fast-snapshot', volumeGroup: 'fast', lvPattern: 'vm-*-pvc-*' };
    expect(() => new LvmSnapshotTimer(site, 'Fast', fast)).toThrow(
      /\[test\/Fast\] thinPoolAlertName: expected an alert name no other construct in site test uses, got LVMThinPoolLow \(the default\), which test\/Snap already defines \(hint: name this pool's alert, e.g. thinPoolAlertName: 'LVMThinPoolLowPveFastData'\)/,
    );
    const named = new LvmSnapshotTimer(site, 'Fast2', { ...fast, thinPoolAlertName: 'FastPoolLow', thinPoolMetadataAlertName: 'FastPoolMetadataLow' });
    expect(named.assetId).toBe('pvc-set:pve:fast/vm-*-pvc-*');
    expect(m.asset(named.assetId)?.name).toBe('PVC volumes fast/vm-*-pvc-* on pve');
    expect(m.asset(named.assetId)).toMatchObject({ selector: { include: ['vm-*-pvc-*'] } });
    expect(m.alertSpecs.map((a) => a.name)).toEqual(expect.arrayContaining(['FastPoolLow', 'FastPoolMetadataLow', 'LVMThinPoolLow', 'LVMThinPoolMetadataLow']));
  });

  it('gives the SQLite databases of one pattern in two volume groups two assets (before: one, shared silently)', () => {
    const { site, host, snapshots } = base();
    const fast = new LvmSnapshotTimer(site, 'Fast', { host, jobId: 'lvm-fast-snapshot', volumeGroup: 'fast', thinPoolAlertName: 'FastPoolLow', thinPoolMetadataAlertName: 'FastPoolMetadataLow' });
    new FileBackup(site, 'Fb', { host, pvcs: { snapshots }, sqlite: true, pveConfig: true });
    new FileBackup(site, 'FastFb', { host, jobId: 'fast-backup', root: '/mnt/backup-fast', pvcs: { snapshots: fast }, sqlite: true });
    const m = siteModelOf(site);
    expect(m.asset('database:pve:sqlite-in:vm-*-pvc-*')).toMatchObject({ name: 'SQLite databases in PVC volumes vm-*-pvc-* on pve' });
    expect(m.asset('database:pve:sqlite-in:fast/vm-*-pvc-*')).toMatchObject({ name: 'SQLite databases in PVC volumes fast/vm-*-pvc-* on pve' });
    expect(m.copiesOf('database:pve:sqlite-in:fast/vm-*-pvc-*').map((c) => c.job)).toEqual(['fast-backup']);
  });

  it('synthesizes a site whose two snapshot timers share a thin pool, with its checks passing', () => {
    const { site, host } = base();
    new LvmSnapshotTimer(site, 'Db', { host, jobId: 'lvm-db-snapshot', lvPattern: 'db-*' });
    new BackupAlertRules(site, 'Alerts', { group: 'test' });
    const json = synthJson(site);
    expect(Object.keys(resourcesOf(json, 'null_resource')).length).toBeGreaterThan(0);
    const rules = reviewOf(site).get('prometheus/test.rules.yml')?.content ?? '';
    expect(rules.match(/alert: LVMThinPoolLow$/gm)).toHaveLength(1);
  });

  it('lets a second file backup copy the same data to another disk or from another host (a second copy of one asset), and names pfsense.jobId when its step keeps a taken id', () => {
    const { site, host, snapshots } = base();
    const pfsense = { host: '192.168.1.1', sshKeyFile: '/root/.ssh/pfsense' };
    new FileBackup(site, 'Fb', { host, pvcs: { snapshots }, sqlite: true, pveConfig: true, pfsense });
    // the same host's configuration and databases to a second disk
    const usb = new FileBackup(site, 'Usb', { host, jobId: 'usb-backup', root: '/mnt/usb', pvcs: { snapshots }, sqlite: true, pveConfig: true });
    const m = siteModelOf(site);
    expect(m.copiesOf('path:pve:host-config').map((c) => `${c.job} ${c.target}`)).toEqual(['daily-backup local-disk:pve:/mnt/backup', 'usb-backup local-disk:pve:/mnt/usb']);
    expect(m.copiesOf(`database:pve:sqlite-in:${snapshots.lvPattern}`).map((c) => c.job)).toEqual(['daily-backup', 'usb-backup']);
    expect(usb.copies).toHaveLength(3);
    // the same firewall from a second host: its step needs an id of its own, named as such
    const other = new Host(site, 'Backup2', { name: 'backup2', address: '10.0.0.9' });
    expect(() => new FileBackup(site, 'Fb2', { host: other, jobId: 'daily-backup-backup2', pfsense })).toThrow(
      /^\[test\/Fb2\] pfsense\.jobId: job "pfsense-backup" is already registered in site test by test\/Fb\/Job \(hint: job ids name metrics, alerts and Proxmox jobs; give each job its own, e\.g\. pfsense\.jobId: 'pfsense-backup-backup2' for the one on backup2\)$/,
    );
    new FileBackup(site, 'Fb3', { host: other, jobId: 'daily-backup-backup2', pfsense: { ...pfsense, jobId: 'pfsense-backup-backup2' } });
    expect(m.copiesOf('app-data:192.168.1.1:pfsense-config').map((c) => c.job).sort()).toEqual(['pfsense-backup', 'pfsense-backup-backup2']);
    // the same data described otherwise is an error on what differs
    expect(() => new FileBackup(site, 'Cfg', { host, jobId: 'cfg-backup', root: '/mnt/cfg', pveConfig: { paths: ['/etc/pve'] } })).toThrow(
      /^\[test\/Cfg\] pveConfig: expected path:pve:host-config described as test\/Fb describes it \(both copy it\), got another selector: .* \(hint: copy the same data with the same settings as test\/Fb, or leave this part to it\)$/,
    );
    synthJson(site);
  });

  it('fails when two file backups on one host would share a part folder (each prunes or mirrors its own with --delete)', () => {
    const { site, host, manifest, snapshots } = base();
    new FileBackup(site, 'Fb', { host, manifest, pvcs: { snapshots }, pveConfig: true });
    expect(() => new FileBackup(site, 'Cfg', { host, jobId: 'config-backup', pveConfig: { paths: ['/etc/network'] }, manifest })).toThrow(
      /\[test\/Cfg\] root: expected folders no other file backup on pve writes to, got \/mnt\/backup\/pve-config, which overlaps \/mnt\/backup\/pve-config of test\/Fb/,
    );
    // a root inside another's part folder
    expect(() => new FileBackup(site, 'Nested', { host, jobId: 'nested-backup', pveConfig: true, root: '/mnt/backup/pvc-data/x' })).toThrow(/\[test\/Nested\] root: .* got \/mnt\/backup\/pvc-data\/x\/pve-config, which overlaps \/mnt\/backup\/pvc-data of test\/Fb/);
    // other parts in the same root, or a folder of its own inside the root: nothing shared
    const pf = { host: 'pfsense.example', sshKeyFile: '/root/.ssh/pfsense' };
    expect(() => new FileBackup(site, 'Pf', { host, jobId: 'pf-only', pfsense: { ...pf, jobId: 'pf-only-step' }, manifest })).not.toThrow();
    expect(() => new FileBackup(site, 'Own', { host, jobId: 'own-backup', pfsense: { ...pf, host: 'pfsense2.example', jobId: 'own-pf' }, root: '/mnt/backup/other-host' })).not.toThrow();
  });

  it('fails when a work directory (emptied on every run) is a shared folder, another job\'s, or holds the job\'s data', () => {
    const { site, host, bypass, manifest, snapshots } = base();
    expect(() => new FileBackup(site, 'Tmp', { host, jobId: 'tmp-backup', manifest, pvcs: { snapshots }, workDirectory: '/var/tmp/' })).toThrow(
      /\[test\/Tmp\] workDirectory: expected a folder of this job's own, got \/var\/tmp, which holds other things: the job empties its work directory on every run \(hint: leave workDirectory unset \(\/run\/backup-constructs\/tmp-backup\)/,
    );
    expect(() => new FileBackup(site, 'InRoot', { host, jobId: 'in-root', manifest, pvcs: { snapshots }, workDirectory: '/mnt/backup/.work' })).toThrow(
      /\[test\/InRoot\] workDirectory: .* got \/mnt\/backup\/\.work, which lies inside this job's backup root \(\/mnt\/backup\)/,
    );
    const fb = new FileBackup(site, 'Fb', { host, manifest, pvcs: { snapshots }, workDirectory: '/var/lib/backup-work/shared' });
    expect(fb.workDirectory).toBe('/var/lib/backup-work/shared');
    expect(() => new NfsMirror(site, 'M', { host, bypass, manifest, workDirectory: '/var/lib/backup-work' })).toThrow(
      /\[test\/M\] workDirectory: .* got \/var\/lib\/backup-work, which holds the work directory of test\/Fb \(\/var\/lib\/backup-work\/shared\)/,
    );
    expect(() => new NfsMirror(site, 'M2', { host, bypass, manifest, workDirectory: '/srv/nfs/.work' })).toThrow(/\[test\/M2\] workDirectory: .* lies inside the folder it mirrors \(\/srv\/nfs\)/);
    // /var/lib/.. is /var; //tmp/ is /tmp; /etc/pve is what the host configuration copy reads
    expect(() => new NfsMirror(site, 'M3', { host, bypass, manifest, workDirectory: '/var/lib/..' })).toThrow(/\[test\/M3\] workDirectory: expected a path written one way: without \. or \.\. segments or \/\/ \(write the folder it means\), got "\/var\/lib\/\.\."/);
    expect(() => new NfsMirror(site, 'M3b', { host, bypass, manifest, workDirectory: '/var/lib/.' })).toThrow(/\[test\/M3b\] workDirectory: expected a path written one way: without \. or \.\. segments or \/\/ \(write the folder it means\), got "\/var\/lib\/\." \(hint: '\/var\/lib'\)/);
    expect(() => new NfsMirror(site, 'M4', { host, bypass, manifest, workDirectory: '//tmp/' })).toThrow(/\[test\/M4\] workDirectory: expected a path written one way: .* got "\/\/tmp\/" \(hint: '\/tmp\/'\)/);
    expect(() => new NfsMirror(site, 'M4b', { host, bypass, manifest, workDirectory: '/tmp/' })).toThrow(/\[test\/M4b\] workDirectory: .* got \/tmp, which holds other things/);
    expect(() => new FileBackup(site, 'Cfg', { host, jobId: 'config-backup', pveConfig: true, root: '/mnt/backup2', workDirectory: '/etc/pve' })).toThrow(
      /\[test\/Cfg\] workDirectory: .* got \/etc\/pve, which is a folder whose configuration it copies/,
    );
    // the same folder on another host is that host's own
    const pve2 = new Host(site, 'Pve2', { name: 'pve2', address: '192.0.2.11' });
    expect(() => new FileBackup(site, 'Fb2', { host: pve2, jobId: 'daily-backup-pve2', manifest, pveConfig: true, workDirectory: '/var/lib/backup-work/shared' })).not.toThrow();
  });

  it('fails when a step folder is . or .. or holds .. (a full sync runs rsync --delete there, beside or over basePath)', () => {
    const { site, host, bypass, manifest, snapshots } = base();
    const fb = new FileBackup(site, 'Fb', { host, manifest, pvcs: { snapshots } });
    expect(() => new OffsiteSync(site, 'O', { host, target, manifest, ships: [fb], step1Path: 'a/../..' })).toThrow(
      /\[test\/O\] step1Path: expected a folder under the target's basePath, without \. or \.\. \(a full sync deletes everything else in it\), got "a\/\.\.\/\.\." \(hint: a folder of its own under basePath/,
    );
    expect(() => new OffsiteSync(site, 'O1', { host, target, manifest, ships: [fb], step1Path: '.' })).toThrow(/\[test\/O1\] step1Path: expected a folder under the target's basePath, without \. or \.\./);
    const tracker = new NfsChangeTracker(site, 'T', { host, paths: ['/srv/nfs', '/srv/nfs-ssd'] });
    expect(() => new OffsiteSync(site, 'O2', { host, target, manifest, ships: [fb], step2: { bypass, changeTracker: tracker, paths: { '/srv/nfs': '..' } } })).toThrow(
      /\[test\/O2\] step2\.paths\.\/srv\/nfs: expected a folder under the target's basePath, without \. or \.\./,
    );
  });

  it('fails when the off-site key is not a file path', () => {
    const { site, host, manifest, snapshots } = base();
    const fb = new FileBackup(site, 'Fb', { host, manifest, pvcs: { snapshots } });
    expect(() => new OffsiteSync(site, 'O', { host, target: { ...target, sshKeyFile: '-----BEGIN OPENSSH PRIVATE KEY-----' }, manifest, ships: [fb] })).toThrow(/\[test\/O\] target\.sshKeyFile: expected an absolute path/);
  });

  it('fails when the mirror would write over the manifest', () => {
    const { site, host, bypass } = base();
    expect(() => new NfsMirror(site, 'M', { host, bypass, manifest: OffsiteManifest.of('/mnt/backup', { file: '/mnt/backup/changed-files' }), reservedNames: ['pvc-data'] })).toThrow(
      /\[test\/M\] reservedNames: expected changed-files \(the manifest in \/mnt\/backup\) among the reserved names/,
    );
  });

  it('the file backup and a mirror on the same disk share one target', () => {
    const { site, host, bypass, manifest, snapshots } = base();
    const fb = new FileBackup(site, 'Fb', { host, manifest, pvcs: { snapshots } });
    const m = new NfsMirror(site, 'M', { host, bypass, manifest, destination: '/mnt/backup/nfs', mountPoint: '/mnt/backup' });
    expect(m.targetId).toBe(fb.targetId);
    expect(modelOf(site).targets.filter((t) => t.medium === 'local-disk')).toHaveLength(1);
  });

  it('fails when a BypassList has names that are not top-level names, nested roots, or no roots', () => {
    expect(() => BypassList.of({ '/srv/nfs': ['immich/library'] })).toThrow(/\[BypassList\] roots\.\/srv\/nfs: expected a top-level name .*got "immich\/library"/);
    expect(() => BypassList.of({ '/srv/nfs': ['a'], '/srv/nfs/inner': 'all' })).toThrow(/expected roots that do not nest, got \/srv\/nfs\/inner inside \/srv\/nfs/);
    expect(() => BypassList.of({ '/srv/nfs': ['*'] })).toThrow(/use 'all' for a whole root/);
    expect(() => BypassList.of({ 'srv/nfs': ['a'] })).toThrow(/\[BypassList\] roots\.srv\/nfs: expected an absolute path/);
    // one spelling per folder, as every path prop: '/srv/./nfs' would pass the nesting check beside '/srv/nfs'
    expect(() => BypassList.of({ '/srv/./nfs': ['a'] })).toThrow(/\[BypassList\] roots\.\/srv\/\.\/nfs: expected a path written one way/);
    // the manifest's paths as every path prop, its options checked like a construct's
    expect(() => OffsiteManifest.of('/mnt/backup/..')).toThrow(/^\[OffsiteManifest\] root: expected a path written one way/);
    expect(() => OffsiteManifest.of('/mnt/$(reboot)')).toThrow(/^\[OffsiteManifest\] root: expected an absolute path of letters/);
    expect(() => OffsiteManifest.of('/')).toThrow(/^\[OffsiteManifest\] root: expected a folder other than \//);
    expect(() => OffsiteManifest.of('/mnt/backup', { lockfile: '/run/lock/x.lock' } as never)).toThrow(/^\[OffsiteManifest\] lockfile: .*did you mean lockFile/);
    expect(() => OffsiteManifest.of('/mnt/backup', { maxLines: 0 })).toThrow('[OffsiteManifest] maxLines: expected a positive whole number, got 0 (hint: seed 002 uses 500000)');
    expect(() => BypassList.of({})).toThrow(/expected at least one root/);
  });

  it('fails when a manifest has no positive cap', () => {
    expect(() => OffsiteManifest.of('/mnt/backup', { maxLines: 0 })).toThrow(/\[OffsiteManifest\] maxLines: expected a positive whole number, got 0/);
  });

  it('passes nice and IO class through when told otherwise', () => {
    const { site, host } = base();
    const fb = new FileBackup(site, 'Fb', { host, pveConfig: true, nice: 0, ioSchedulingClass: 'best-effort', requireMount: false });
    const unit = reviewOf(site).get(`hosts/pve/etc/systemd/system/${fb.job.serviceName}`)!.content;
    expect(unit).toMatch(/^Nice=0$/m);
    expect(unit).toMatch(/^IOSchedulingClass=best-effort$/m);
  });

  it('the fixture site used by the run tests synthesizes with its checks passing', () => {
    const fx = pipelineSite();
    new BackupAlertRules(fx.site, 'Alerts');
    expect(() => synthJson(fx.site)).not.toThrow();
    expect(siteModelOf(fx.site).validate()).toEqual([]);
  });
});

describe('a job id taken twice in the pipeline', () => {
  it('is named as such by the mirror and the off-site sync, not as a clash of their work folders', () => {
    for (const which of ['mirror', 'offsite'] as const) {
      const { site, host } = testSite();
      const manifest = OffsiteManifest.of('/mnt/backup');
      const bypass = BypassList.of({ '/srv/nfs': ['immich'] });
      const daily = new FileBackup(site, 'Daily', { host, manifest, pveConfig: true });
      const build = () => {
        const mirror = new NfsMirror(site, 'Mirror', { host, bypass, manifest, ...(which === 'mirror' ? { jobId: 'daily-backup' } : {}) });
        new OffsiteSync(site, 'Offsite', { host, manifest, ships: [daily, mirror], target: { name: 'nas', address: '192.0.2.13', sshKeyFile: '/root/.ssh/offsite', basePath: '/Backup' }, jobId: 'daily-backup' });
      };
      const first = (() => {
        try {
          build();
          return '';
        } catch (e) {
          return (e as Error).message.split('\n')[0];
        }
      })();
      expect({ which, first }).toEqual({ which, first: `[test/${which === 'mirror' ? 'Mirror' : 'Offsite'}] jobId: job "daily-backup" is already registered in site test by test/Daily/Job (hint: job ids name metrics, alerts and Proxmox jobs; give each job its own)` });
    }
  });
});

describe('the backup disk guard of the pipeline jobs', () => {
  const base = () => {
    const { site, host } = testSite();
    return { site, host, manifest: OffsiteManifest.of('/mnt/backup'), bypass: BypassList.of({ '/srv/nfs': ['immich'] }) };
  };
  const target = { name: 'nas', address: '192.0.2.13', sshKeyFile: '/root/.ssh/offsite', basePath: '/Backup' };

  it('refuses / as the mount point (always mounted, it guards nothing) and one beside the folder the job writes', () => {
    const a = base();
    expect(() => new FileBackup(a.site, 'Daily', { host: a.host, manifest: a.manifest, pveConfig: true, mountPoint: '/' })).toThrow(
      "[test/Daily] mountPoint: expected the mount point of the backup disk, not / (always mounted, so it guards nothing) (hint: the folder the disk is mounted on, e.g. mountPoint: '/mnt/backup', or omit it when root is the mount point)",
    );
    const b = base();
    expect(() => new NfsMirror(b.site, 'Mirror', { host: b.host, bypass: b.bypass, manifest: b.manifest, mountPoint: '/mnt/other' })).toThrow(
      '[test/Mirror] mountPoint: expected /mnt/backup (destination) or a folder above it, got /mnt/other: a mount point elsewhere guards another filesystem',
    );
    const c = base();
    const daily = new FileBackup(c.site, 'Daily', { host: c.host, manifest: c.manifest, pveConfig: true });
    expect(() => new OffsiteSync(c.site, 'Offsite', { host: c.host, manifest: c.manifest, ships: [daily], target, mountPoint: '/' })).toThrow(/^\[test\/Offsite\] mountPoint: expected the mount point of the backup disk, not \//);
    // a folder above is what a disk mounted at /mnt with the backups in /mnt/backup needs; without the guard, any mount point goes
    const d = base();
    expect(() => new FileBackup(d.site, 'Daily', { host: d.host, manifest: d.manifest, pveConfig: true, mountPoint: '/mnt' })).not.toThrow();
    const e = base();
    expect(() => new FileBackup(e.site, 'Daily', { host: e.host, pveConfig: true, requireMount: false, mountPoint: '/' })).not.toThrow();
  });

  it("refuses a mirror destination above its source: each entry's --delete would work beside the source", () => {
    const a = base();
    expect(() => new NfsMirror(a.site, 'Mirror', { host: a.host, bypass: a.bypass, destination: '/srv', requireMount: false })).toThrow(
      "[test/Mirror] destination: expected a folder neither inside nor above /srv/nfs, got /srv (hint: the backup disk's folder, e.g. destination: '/mnt/backup')",
    );
  });
});

describe('files the pipeline jobs rewrite', () => {
  it('are never system files (the mirror moves its state over the file, writers append to the manifest)', () => {
    const { site, host } = testSite();
    expect(() => new NfsMirror(site, 'Mirror', { host, bypass: BypassList.of({ '/srv/nfs': ['immich'] }), stateFile: '/etc/passwd' })).toThrow(
      /^\[test\/Mirror\] stateFile: expected a file of the backup system's own, not a system file, got "\/etc\/passwd" \(hint: \/etc\/passwd is the system's own file/,
    );
    expect(() => OffsiteManifest.of('/mnt/backup', { file: '/etc/shadow' })).toThrow(/^\[OffsiteManifest\] file: expected a file of the backup system's own, not a system file/);
  });
});

describe('the configuration FileBackup copies', () => {
  it('may not hold the backup root, which each run would copy into itself', () => {
    const { site, host } = testSite();
    expect(() => new FileBackup(site, 'Daily', { host, pveConfig: { paths: ['/etc/pve', '/mnt'] } })).toThrow(
      '[test/Daily] pveConfig.paths: expected configuration folders apart from the backup root /mnt/backup, got /mnt: each run would copy the backups into themselves (hint: list the configuration folders themselves, e.g. /etc/pve)',
    );
  });
});
