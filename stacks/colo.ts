import { Construct } from 'constructs';
import {
  AlertDelivery,
  BackupAlertRules,
  BackupDashboard,
  BackupSite,
  Borgmatic,
  BorgPassphrase,
  Duration,
  Host,
  PbsDatastoreJobs,
  PveHost,
  PveStorage,
  Retention,
  Schedule,
  VzdumpJob,
} from '../constructs';

/**
 * Values seed 004 does not give (the PBS tower is still to be bought, and the ADR names no
 * addresses or accounts). They are documentation addresses and obvious placeholders, listed
 * in one finding, so nothing here reaches a real machine until an operator fills them in.
 */
const PLACEHOLDERS = {
  pveAddress: '192.0.2.10',
  pbsAddress: '192.0.2.11',
  // the PBS certificate's SHA-256 fingerprint: `proxmox-backup-manager cert info` on the PBS
  pbsFingerprint: Array(32).fill('00').join(':'),
  storageBoxUser: 'u000000',
} as const;

/**
 * The colocation site (seed 004, ADR-0008 "Backup Strategy"): tier 1 is vzdump of every
 * guest to a Proxmox Backup Server in the same colocation (verified, pruned and
 * garbage-collected on the PBS); tier 2 is borgmatic to an off-site Hetzner Storage Box with
 * the repository passphrase in Vault. The ADR's monitoring to-do (alerts for failed backups,
 * borgmatic metrics) is covered by the one metric scheme and BackupAlertRules.
 */
export function coloSite(scope: Construct): BackupSite {
  // No Pushgateway in the ADR: every job writes node-exporter's textfile collector, which the
  // planned Prometheus scrapes.
  const site = new BackupSite(scope, 'colo');
  const pve = new PveHost(site, 'Pve', { name: 'pve', address: PLACEHOLDERS.pveAddress });
  const pbs = new Host(site, 'Pbs', { name: 'pbs', address: PLACEHOLDERS.pbsAddress });

  // Tier 1: the local PBS. PVE authenticates with an API token whose secret is a root-only
  // file on the node, read when the storage is applied.
  const retention = Retention.of({ keepDaily: 7, keepWeekly: 4, keepMonthly: 3 });
  const pbsStorage = new PveStorage(site, 'PbsColo', {
    host: pve,
    storageId: 'pbs-colo',
    type: 'pbs',
    server: PLACEHOLDERS.pbsAddress,
    datastore: 'colo',
    username: 'backup@pbs!pve',
    passwordFile: '/root/.pbs-colo-token',
    fingerprint: PLACEHOLDERS.pbsFingerprint,
    retention,
    medium: 'backup-server',
    location: 'on-site',
  });
  // Seed 004 names no guest: the job's copies are of one asset, every guest on pve not declared
  // in this program, which 3-2-1 finds short (the PBS is in the same colocation).
  new VzdumpJob(site, 'Nightly', {
    host: pve,
    jobId: 'colo-vzdump-nightly',
    schedule: Schedule.daily('01:00'),
    storage: pbsStorage,
    all: true,
    mode: 'snapshot',
    classification: 'critical',
    expectedDuration: Duration.hours(2),
    comment: 'tier 1 of ADR-0008, every guest to the local PBS',
  });
  new PbsDatastoreJobs(site, 'PbsColoJobs', {
    host: pbs,
    datastore: 'colo',
    storage: pbsStorage,
    prune: { schedule: Schedule.daily('04:00'), retention },
    // every new snapshot verified the night it is made, each one again after 30 days (bit rot)
    verify: { schedule: Schedule.daily('05:00'), outdatedAfter: Duration.days(30) },
    gcSchedule: Schedule.weekly('sun', '07:30'),
  });

  // Tier 2: borgmatic on the node to the Storage Box (borg listens on port 23 there).
  new Borgmatic(site, 'Borgmatic', {
    host: pve,
    jobId: 'colo-borgmatic',
    schedule: Schedule.daily('03:00'),
    repository: `ssh://${PLACEHOLDERS.storageBoxUser}@${PLACEHOLDERS.storageBoxUser}.your-storagebox.de:23/./borg/colo-pve`,
    sshKeyFile: '/root/.ssh/storagebox_ed25519',
    passphrase: BorgPassphrase.vault({ path: 'secret/backup/colo/borgmatic', field: 'passphrase' }),
    // VAULT_ADDR and a token for the passphrase read; root-only, written by the operator or vault agent
    environmentFile: '/etc/backup-constructs/vault.env',
    sourceDirectories: ['/etc', '/etc/pve', '/root', '/usr/local'],
    excludes: ['/root/.cache'],
    retention: Retention.gfs(7, 4, 6),
    version: '1.7',
    classification: 'critical',
    expectedDuration: Duration.hours(2),
    timeout: Duration.hours(12),
  });

  // The PBS is the colocation's second machine: Prometheus runs there, so the watcher does
  // not go down with the hypervisor it watches.
  new BackupAlertRules(site, 'Alerts', { delivery: AlertDelivery.hostFile(pbs) });
  // The ADR's other to-do, a Grafana dashboard for backup status: rendered for import (the
  // colocation runs no Kubernetes for a sidecar).
  new BackupDashboard(site, 'Dashboard', { delivery: 'review-only' });
  // No BackupStatus: every copy here lands in PBS or a remote borg repository, where no file
  // check reaches; Prometheus on the PBS host watches every job's metrics instead.
  site.model.addDecision({
    subject: 'notifications',
    decision: 'backup alerts leave Prometheus through the Alertmanager route in review/prometheus/alertmanager-route.yml, to the receivers backup and backup-critical; the ADR\'s move from ntfy to Apprise is not made by this program: it is left to the PBS host\'s Alertmanager configuration (those receivers pointed at an Apprise API through a webhook adapter)',
    reason: 'Alertmanager has no Apprise receiver and its webhook payload is not Apprise\'s; the receivers and their credentials are the PBS host\'s Alertmanager configuration, which this program does not manage',
  });

  site.model.addDecision({
    subject: 'monitoring',
    decision: 'jobs report through node-exporter\'s textfile collector; rules go to /etc/prometheus/rules on the PBS host (AlertDelivery.hostFile)',
    reason: 'ADR-0008 plans Prometheus for the colocation and names no Kubernetes cluster or Pushgateway; the PBS is separate hardware from the node it watches. borgmatic reports status, duration and archive size in the one metric scheme instead of borgmatic_exporter (not packaged in Debian), so its Stale/Failing/NeverRan alerts are derived like every job\'s',
  });
  site.model.addDecision({
    subject: 'schedules',
    decision: 'vzdump 01:00, borgmatic 03:00, PBS prune 04:00, verify 05:00 (re-verify after 30 days), garbage collection Sunday 07:30',
    reason: 'seed 004 gives no times: backups first, then pruning, verification of the new snapshots (up to 2 h), and weekly garbage collection after it (the PBS documentation\'s starting point)',
  });
  site.model.addDecision({
    subject: 'retention',
    decision: 'PBS: keep-daily=7,keep-weekly=4,keep-monthly=3 on the PVE storage and the same in a PBS prune job; borg: keep daily 7, weekly 4, monthly 6',
    reason: 'seed 004 gives no retention; vzdump prunes each guest it backs up, the PBS prune job also covers guests that no longer exist; the off-site tier keeps longer',
  });
  site.model.addDecision({
    subject: 'borgmatic',
    decision: 'runs on the Proxmox node (pve) and backs up /etc, /etc/pve, /root and /usr/local with the 1.7 configuration layout; no database hooks',
    reason: 'seed 004 names no guests, applications or databases; Proxmox VE 8 (Debian 12) installs borgmatic 1.7.7; add postgresqlDatabases/mysqlDatabases when the databases are known',
  });
  site.model.addFinding({
    severity: 'warning',
    rule: 'placeholder-values',
    subject: 'colo',
    message: `addresses (pve ${PLACEHOLDERS.pveAddress}, pbs ${PLACEHOLDERS.pbsAddress}), the PBS certificate fingerprint and the Storage Box account ${PLACEHOLDERS.storageBoxUser} are placeholders: seed 004 names none and the PBS is not bought yet`,
    fix: 'replace PLACEHOLDERS in stacks/colo.ts with the real values before deploying',
  });
  return site;
}
