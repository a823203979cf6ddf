import {
  BackupSite,
  BypassList,
  Duration,
  FileBackup,
  LvmSnapshotTimer,
  NfsChangeTracker,
  NfsMirror,
  OffsiteManifest,
  OffsiteSync,
  PveHost,
  Schedule,
  siteModelOf,
} from '../../constructs';

/**
 * Layers 1, 2, 3 and 3a of seed 002 on the Proxmox host: daily LVM thin snapshots of the PVC
 * volumes, the daily file backup to the sda backup disk (/mnt/backup), the weekly NFS mirror
 * to that disk, the inotify change tracker, and the two-step off-site sync to the Synology.
 *
 * Where the seed contradicts itself the most specific statement wins (a table row or the
 * layer's own text over a diagram or a commit note); each choice is recorded as a decision
 * (REVIEW.md) and explained beside the value below.
 */
export function homelabHostPipeline(site: BackupSite, pve: PveHost): void {
  const model = siteModelOf(site);

  // The two-leg invariant as one value: NfsMirror skips exactly these, Step 2 ships exactly
  // these. The seed's mirror skip-list has llamacpp; its Step 2 regex does not, so today a
  // /srv/nfs/llamacpp takes no leg at all: it is on the list here, so Step 2 carries it.
  // /srv/nfs-ssd bypasses the mirror entirely (seed: "residual is ~0").
  const bypass = BypassList.of({
    '/srv/nfs': ['immich', 'frigate', 'prometheus', 'loki', 'temp', 'alertmanager', 'ollama', 'llamacpp', 'audiblez', 'ebook2audiobook', '*-backup'],
    '/srv/nfs-ssd': 'all',
  });
  model.addDecision({
    subject: 'bypass list: llamacpp',
    decision: 'llamacpp is on the one BypassList, so Step 2 ships /srv/nfs/llamacpp to the Synology',
    reason: "seed 002's nfs-mirror skips llamacpp but its Step 2 regex (immich|frigate|prometheus|loki|temp|alertmanager|ollama|audiblez|ebook2audiobook|*-backup) lacks it, so the path took no leg; the mirror's skip reasons (re-downloadable) match the bypass leg",
  });

  // The manifest the file backup and the mirror append to and only Step 1 truncates, after
  // a successful sync (the S1 race fix); over 500,000 lines Step 1 ships everything instead.
  const manifest = OffsiteManifest.of('/mnt/backup', { file: '/mnt/backup/.changed-files', maxLines: 500_000 });

  const snapshots = new LvmSnapshotTimer(site, 'LvmPvcSnapshot', {
    host: pve,
    jobId: 'lvm-pvc-snapshot',
    schedule: Schedule.daily('03:00'),
    volumeGroup: 'pve',
    thinPool: 'data',
    lvPattern: 'vm-*-pvc-*',
    // high-churn databases and Prometheus: ~36% write amplification, and they have dumps
    excludeNamespaces: ['dbaas', 'monitoring'],
    keep: Duration.days(7),
    alertName: 'LVMSnapshot',
    // seed: LVMSnapshotStale ">30h since last run"
    staleAfter: Duration.hours(30),
    thinPoolLowRatio: 0.15,
  });

  const fileBackup = new FileBackup(site, 'DailyBackup', {
    host: pve,
    jobId: 'daily-backup',
    schedule: Schedule.daily('05:00'),
    root: '/mnt/backup',
    manifest,
    // proxmox-lvm-encrypted PVCs hold LUKS inside the LV: opened read-only with this file
    pvcs: { snapshots, weeklyVersions: 4, encryptedVolumeKeyFile: '/etc/backup-constructs/keys/proxmox-lvm-encrypted.key' },
    sqlite: true,
    // config.xml over SSH as well as the tar: one credential (a key file) instead of an API
    // key; the seed's table says "SSH + API", its text "config.xml via API". The seed's
    // troubleshooting runs a plain `ssh root@pfsense.viktorbarzin.me`, i.e. root's default key.
    // Its own job, pfsense-backup (seed 002's metrics sources), pushed on success and failure;
    // the seed's alert table: PfsenseBackupStale > 8d since last success.
    pfsense: {
      host: 'pfsense.viktorbarzin.me',
      user: 'root',
      sshKeyFile: '/root/.ssh/id_ed25519',
      fullTarOn: 'sun',
      tarPaths: ['/cf', '/var/db', '/boot/loader.conf'],
      weeklyVersions: 4,
      jobId: 'pfsense-backup',
      alertName: 'PfsenseBackup',
      staleAfter: Duration.days(8),
    },
    pveConfig: { paths: ['/etc/pve', '/usr/local/bin', '/etc/systemd/system'] },
    pruneSnapshots: { olderThan: Duration.days(7) },
    alertName: 'WeeklyBackup',
    // the seed's alert table says >8d, its Layer 2 text >9d: the table is the more specific
    staleAfter: Duration.days(8),
  });
  model.addDecision({
    subject: 'daily-backup stale threshold',
    decision: 'WeeklyBackupStale after 8 days',
    reason: "seed 002's alert table says > 8d, the Layer 2 text > 9d; the table row is the more specific statement",
  });
  model.addDecision({
    subject: 'proxmox-lvm-encrypted PVCs',
    decision: `copied like plain ones: each LUKS snapshot is opened read-only with ${fileBackup.encryptedVolumeKeyFile}, a file the operator creates by hand on ${pve.name} (owner root, mode 0600) holding the storage class's passphrase`,
    reason:
      "seed 002 gives proxmox-lvm-encrypted PVCs the same file backup as proxmox-lvm ones (protection matrix note and footnote 1), but Proxmox CSI's encrypted class puts LUKS inside the LV, so its snapshots cannot be mounted directly. The passphrase is the encryption-passphrase key of the Secret the class's node-stage secret names; copy it without a trailing newline (kubectl -n <ns> get secret <name> -o jsonpath='{.data.encryption-passphrase}' | base64 -d > <file>). It never enters the synthesized output; until the file exists every encrypted PVC fails daily-backup with a message naming it",
  });
  model.addDecision({
    subject: 'pfSense config.xml',
    decision: 'fetched over SSH (cat /cf/conf/config.xml), like the weekly full tar',
    reason: 'seed 002 names both "SSH + API" and "config.xml via API (base64 decode)"; SSH needs one key file on the host and no API key in Vault',
  });

  // Layer 3a: seed's Layer 3a text and key-files table say Mon 04:00; 04:11 appears only in
  // the commit's follow-up note. Either way the manifest lock orders it with daily-backup.
  const mirror = new NfsMirror(site, 'NfsMirror', {
    host: pve,
    jobId: 'nfs-mirror',
    schedule: Schedule.weekly('mon', '04:00'),
    bypass,
    source: '/srv/nfs',
    destination: '/mnt/backup',
    manifest,
    classification: 'critical',
    alertName: 'NfsMirror',
    staleAfter: Duration.days(16),
  });
  model.addDecision({
    subject: 'nfs-mirror schedule',
    decision: 'weekly, Monday 04:00',
    reason: "seed 002's Layer 3a text and key-files table say Mon 04:00; Mon 04:11 appears only in the commit message's follow-up list. Writers and the off-site sync share one manifest flock, so the exact minute cannot lose entries",
  });
  model.addDecision({
    subject: 'nfs-mirror layout',
    decision: 'one rsync --delete per top-level entry into /mnt/backup/<entry>/, refusing names the file backup uses',
    reason: 'seed 002 describes "single rsync invocation" into /mnt/backup/<svc>/; a single --delete at /mnt/backup would reach pvc-data, sqlite-backup, pfsense, pve-config and the manifest. Per-entry keeps the seed\'s layout (and Synology pve-backup/<svc>/) while --delete stays inside each entry\'s copy',
  });

  const tracker = new NfsChangeTracker(site, 'NfsChangeTracker', {
    host: pve,
    paths: ['/srv/nfs', '/srv/nfs-ssd'],
    changeLog: '/mnt/backup/.nfs-changes.log',
  });

  // Layer 3: daily 06:00 after daily-backup. The seed's components table, key-files table and
  // Layer 3 text say 06:00; only the Sunday timeline diagram says 08:00.
  new OffsiteSync(site, 'OffsiteSync', {
    host: pve,
    jobId: 'offsite-sync-backup',
    schedule: Schedule.daily('06:00'),
    target: { name: 'synology', address: '192.168.1.13', user: 'root', sshKeyFile: '/root/.ssh/synology_backup', basePath: '/Backup/Viki', medium: 'nas', location: 'off-site' },
    manifest,
    ships: [fileBackup, mirror],
    step1Path: 'pve-backup',
    step2: { bypass, changeTracker: tracker, paths: { '/srv/nfs': 'nfs', '/srv/nfs-ssd': 'nfs-ssd' } },
    fullSync: 'first-sunday',
    alertName: 'OffsiteBackupSync',
    staleAfter: Duration.days(8),
  });
  model.addDecision({
    subject: 'offsite-sync-backup schedule',
    decision: 'daily 06:00, after daily-backup (systemd After=)',
    reason: "seed 002's components table, key-files table and Layer 3 text say 06:00; only the Sunday timeline diagram says 08:00",
  });

  // Bypass paths have one copy besides the live data by design: too big for sda (immich
  // 1.2T), rebuildable or transient, or backups already (*-backup).
  for (const root of bypass.roots) {
    model.waive({
      rule: '3-2-1',
      subject: `path:${pve.name}:${root.path}:bypass-leg`,
      reason: 'seed 002: bypass-list paths (too big for the backup disk, rebuildable, transient, or already backups) have the Synology as their only second copy by design',
    });
  }
}
