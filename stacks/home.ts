import { Construct } from 'constructs';
import { AlertDelivery, BackupAlertRules, BackupSite, BackupStatus, Duration, ExternalBackup, Guest, PveHost, PveStorage, Retention, VzdumpJob, VzdumpPrune } from '../constructs';

/**
 * The home site (seed 001, HOME_BACKUP_STRATEGY.md, and its lines in seed 000,
 * BACKUP_GOVERNANCE.md): proxmox-home backs up to the Synology DS918+ over NFS in three tiers.
 */
export function homeSite(scope: Construct): BackupSite {
  // No Pushgateway at this site: jobs report through node-exporter's textfile collector.
  const site = new BackupSite(scope, 'home');

  const host = new PveHost(site, 'ProxmoxHome', { name: 'proxmox-home', address: '10.0.0.50' });

  // Seed 000 records the storage as built (`nfs: synology-backups`, mounted by Proxmox under
  // /mnt/pve/); seed 001's plan (a dir storage on an fstab mount) is what led there. The
  // as-built form wins, keeping the plan's soft mount with timeouts: the NAS may be off.
  const nas = new PveStorage(site, 'SynologyBackups', {
    host,
    storageId: 'synology-backups',
    type: 'nfs',
    server: '10.0.0.150', // the LAN address; the Tailscale one (100.102.199.111) is refused
    export: '/volume1/backups/proxmox_backups',
    content: ['backup'],
    mountOptions: ['soft', 'timeo=150', 'retrans=3'],
    retention: Retention.keepLast(3),
    medium: 'nas',
    location: 'on-site',
  });
  site.model.addDecision({
    subject: 'storage synology-backups',
    decision: 'Proxmox nfs storage mounted at /mnt/pve/synology-backups, options soft,timeo=150,retrans=3',
    reason: "seed 000 records this as built; seed 001's dir storage on an fstab mount was the plan, its soft mount options are kept",
  });

  // inventory names as seed 001 registers them (its backup.inventory.yaml proposal)
  const ha = new Guest(site, 'HomeAssistant', { host, vmid: 100, type: 'qemu', name: 'home-assistant', classification: 'critical', inventoryName: 'home-vm-100-ha-primary' });
  const immich = new Guest(site, 'Immich', { host, vmid: 101, type: 'qemu', name: 'immich', state: 'stopped', notes: 'weekly backup when restarted', classification: 'important', inventoryName: 'home-vm-101-immich-primary' });
  const vaultwarden = new Guest(site, 'Vaultwarden', { host, vmid: 102, type: 'qemu', name: 'vaultwarden', classification: 'critical', inventoryName: 'home-vm-102-vaultwarden-primary' });
  const download = new Guest(site, 'DownloadHome', { host, vmid: 103, type: 'lxc', name: 'download-home', unprivileged: true, classification: 'important', inventoryName: 'home-lxc-103-download-primary' });
  const pihole = new Guest(site, 'PiholeHome', { host, vmid: 105, type: 'lxc', name: 'pihole-home', unprivileged: true, classification: 'rebuildable', inventoryName: 'home-lxc-105-pihole-primary' });

  // P0 (critical): irreplaceable state, daily 03:00, after the shop's 02:00 and before the 09:00 offsite sync.
  const p0 = new VzdumpJob(site, 'P0Daily', {
    host,
    jobId: 'backup-home-p0-daily',
    storage: nas,
    guests: [ha, vaultwarden],
    ...VzdumpJob.tier('p0'),
    expectedDuration: Duration.minutes(15),
  });
  // P1 (important): config-heavy, slow to rebuild; starts after P0 so critical guests finish first.
  new VzdumpJob(site, 'P1Daily', {
    host,
    jobId: 'backup-home-p1-daily',
    storage: nas,
    guests: [download],
    after: [p0],
    ...VzdumpJob.tier('p1'),
    expectedDuration: Duration.minutes(45),
  });
  // P2 (deferrable): Immich is stopped and pihole is rebuildable; weekly is enough.
  new VzdumpJob(site, 'P2Weekly', {
    host,
    jobId: 'backup-home-p2-weekly',
    storage: nas,
    guests: [immich, pihole],
    ...VzdumpJob.tier('p2'),
  });

  // Seed 000, under Home: "If pruning ever falls behind (e.g. backlog from before retention was
  // enabled), run a receipt-backed prune". Dry run weekly, --execute by hand; declared after the
  // jobs, so P2's guests keep its keep-last=2 and the others the storage's keep-last=3.
  new VzdumpPrune(site, 'SynologyBackupsPrune', { storage: nas });

  site.model.addDecision({
    subject: 'freshness thresholds',
    decision: 'daily archives are stale after 26 h, weekly ones after 170 h; the status tool says WARNING past the threshold and CRITICAL past twice it (26/52 h for daily jobs)',
    reason: "seed 000's <24 h OK / 24-48 h WARNING / >48 h CRITICAL and seed 001's 168 h leave no room for a run that ends later than the one before: a weekly archive is 168 h old at the very hour its successor is being written. The thresholds are derived (period plus the longer of the expected duration and 2 h) and the same in the inventory, the status tool and the alerts",
  });
  site.model.addDecision({
    subject: 'expected durations',
    decision: 'P0 15 min, P1 45 min, P2 1 h',
    reason: 'the seed staggers P0 03:00, P1 03:15 and P2 Sun 04:00 so each finishes before the next starts; the hook reports backup_last_duration_seconds to check it',
  });

  // Home Assistant's own backup lands on the NAS; tracked, not scheduled, by this library.
  new ExternalBackup(site, 'HomeAssistantBackup', {
    name: 'app-home-assistant',
    // already tracked under this name (seed 001): a new name would track it twice
    inventoryName: 'app-home-assistant',
    protects: 'Home Assistant configuration and history',
    tool: 'HA built-in backup',
    host: 'synology-nas',
    basePath: '/volume1/backups/homeassistant_backups',
    // HA writes one .tar per backup; '*' would count any file there (Synology's own, a stray note) as fresh
    glob: '*.tar',
    staleAfter: Duration.hours(48),
    classification: 'critical',
    notes: 'verify the HA backup automation produces artifacts (seed 001 action item)',
    restore: [
      {
        title: 'Home Assistant: upload the newest backup into a running Home Assistant and restore it',
        notes: [
          'On the VM restored from its image (or a fresh install during onboarding: "Restore from backup"): Settings › System › Backups › ⋮ › Upload backup, choose the file, then Restore. An encrypted backup asks for its emergency kit key.',
        ],
        commands: ['ls -1t /volume1/backups/homeassistant_backups/*.tar | head -n 1   # on synology-nas: the newest backup'],
      },
    ],
  });

  // Seeds 000 and 001 check freshness with backup.status and run no Prometheus at home: the
  // rules are derived and tested so they are ready, but not deployed anywhere yet.
  new BackupAlertRules(site, 'Alerts', {
    delivery: AlertDelivery.reviewOnly('the home site runs no Prometheus yet (seeds 000/001 check freshness with backup.status)'),
  });

  // seed 000's backup.status: freshness of every artifact, checked hourly on proxmox-home
  new BackupStatus(site, 'Status');

  site.model.addDecision({
    subject: 'open items of seed 001',
    decision: "not decided here, each left to its owner: whether home Vaultwarden (VM 102) needs an app-level backup beside its daily image; Immich's PostgreSQL pg_dump to the NAS once VM 101 runs again; the 3 disabled vzdump jobs already on proxmox-home (this program adds its own jobs by id beside them and never touches them: delete or keep them by hand after the audit the seed asks for)",
    reason: 'seed 001 lists them as actions, not as jobs; an app dump needs the database address and credentials the seed does not give',
  });
  site.model.addDecision({
    subject: 'seed 000 verify and audit scripts',
    decision: "backup_verify.sh and backup_audit.sh stay the ops spine's own tools; this program supplies the inventory they read (review/inventory.yaml, seed 001's backup.inventory.yaml shape)",
    reason: 'they check the inventory against live state and make no backup; the freshness check itself is BackupStatus',
  });

  return site;
}
