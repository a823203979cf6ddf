import { Construct } from 'constructs';
import {
  AlertDelivery,
  BackupAlertRules,
  BackupStatus,
  BackupSite,
  ComposeAppBackup,
  Guest,
  Host,
  PveHost,
  PveStorage,
  Retention,
  Schedule,
  VzdumpJob,
  VzdumpPrune,
} from '../constructs';

/**
 * The shop (seed 000, BACKUP_GOVERNANCE.md): pve (R730XD) backs up its guests with vzdump
 * to the ZFS-backed `tank-backups` storage with storage-level retention, a receipt-backed
 * prune for when pruning falls behind, and the app-level procedures the governance doc
 * requires (Authentik and Gitea) on the Docker host that runs them.
 */
export function shopSite(scope: Construct): BackupSite {
  // No Pushgateway at the shop: jobs report through node-exporter's textfile collector.
  const site = new BackupSite(scope, 'shop');

  const pve = new PveHost(site, 'Pve', { name: 'pve', address: 'pve' });
  const infraCore = new Host(site, 'InfraCore', { name: 'infra-core', address: 'infra-core' });
  site.model.addDecision({
    subject: 'host addresses',
    decision: 'pve and infra-core are reached by their names',
    reason: 'seeds 000 and 001 give no shop addresses; set the LAN addresses when known (addresses are plain props)',
  });

  // `dir: tank-backups` on a dataset of the ZFS pool; archives in /tank/backups/vzdump/dump.
  // Retention lives on the storage (seed 000: "enforced at the storage layer").
  const tank = new PveStorage(site, 'TankBackups', {
    host: pve,
    storageId: 'tank-backups',
    type: 'dir',
    path: '/tank/backups/vzdump',
    content: ['backup'],
    retention: Retention.keepLast(2),
    medium: 'local-disk',
    diskPool: 'tank',
  });

  // The Docker host running the shop's Compose stacks (seed 001: "Shop Vaultwarden (infra-core VM 204)").
  const infraCoreVm = new Guest(site, 'InfraCoreVm', { host: pve, vmid: 204, type: 'qemu', name: 'infra-core', classification: 'critical', notes: 'Docker host: Authentik, Gitea, Vaultwarden' });
  site.model.addDecision({
    subject: 'Docker host',
    decision: 'Authentik and Gitea run on infra-core (VM 204 on pve); their app-level backups run there',
    reason: "seed 000 requires the procedures without naming the host; seed 001 names infra-core VM 204 as the shop's Compose host (Vaultwarden)",
  });

  // Seed 000 lists no guests: the job covers every guest of the node, as `vzdump --all` does,
  // so a guest added in the GUI is backed up without a change here.
  new VzdumpJob(site, 'Daily', {
    host: pve,
    jobId: 'backup-shop-daily',
    schedule: Schedule.daily('02:00'),
    storage: tank,
    all: true,
    mode: 'snapshot',
    compress: 'zstd',
  });
  site.model.addDecision({
    subject: 'job backup-shop-daily',
    decision: 'all guests of pve (all: true), daily 02:00, snapshot, zstd, retention from the storage (keep-last=2)',
    reason: "seed 000 lists no guests and keeps retention on the storage; seed 001 puts the shop's vzdump at 02:00; only VM 204 is declared, so the other guests are one asset, every guest on pve not declared in this program",
  });

  // App-level procedures (seed 000, "App-Level Procedures (Required)"), before the 02:00 vzdump
  // so the night's image of VM 204 carries the fresh dumps as a second copy on tank-backups.
  ComposeAppBackup.authentik(site, 'AuthentikBackup', { host: infraCore, guest: infraCoreVm, mediaPath: '/opt/stacks/authentik/media' });
  ComposeAppBackup.gitea(site, 'GiteaBackup', { host: infraCore, guest: infraCoreVm, schedule: Schedule.daily('01:40') });
  site.model.addDecision({
    subject: 'Authentik and Gitea backups',
    decision:
      'Compose stacks under /opt/stacks/<app> with the Compose default container names (authentik-postgresql-1, gitea), dumps kept 7 nights in /var/backups/backup-constructs/<app> on infra-core',
    reason: "AUTHENTIK_BACKUP_RESTORE.md and GITEA_BACKUP_RESTORE.md are not in the seed; these are the projects' documented defaults, each a prop to override",
  });

  // "If pruning ever falls behind, run a receipt-backed prune" (seed 000): dry run weekly, --execute by hand.
  new VzdumpPrune(site, 'TankBackupsPrune', { storage: tank });

  site.model.addDecision({
    subject: 'not modelled',
    decision: 'the Git config tier (agentic-spine repo), backup_verify / backup_audit / the calendar capability, and Vaultwarden\'s existing NAS backup',
    reason: 'Git and the spine\'s capabilities are runtime tools of their own (the status tool is BackupStatus, the calendar review/calendar.ics); seed 001 gives no path for the Vaultwarden backup',
  });

  // No Prometheus at the shop (seed 000 checks freshness with backup.status): rules derived and
  // tested, not deployed.
  new BackupAlertRules(site, 'Alerts', {
    delivery: AlertDelivery.reviewOnly('the shop runs no Prometheus (seed 000 checks freshness with backup.status)'),
  });
  // seed 000's backup.status: freshness of every artifact, checked hourly where the archives are
  new BackupStatus(site, 'Status');
  site.model.addDecision({
    subject: 'freshness thresholds',
    decision: 'the daily artifacts (the vzdump archives, the Authentik and Gitea dumps) are stale after 26 h; the status tool says WARNING past the threshold and CRITICAL past twice it (26/52 h)',
    reason: "seed 000's <24 h OK / 24-48 h WARNING / >48 h CRITICAL leaves no room for a night whose run ends later than the one before. The thresholds are derived (period plus the longer of the expected duration and 2 h) and the same in the inventory, the status tool and the alerts",
  });

  return site;
}
