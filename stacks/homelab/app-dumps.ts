import { AppDumpCronJob, BackupSite, DumpEngine, Duration, NfsVolume, Pushgateway, Schedule, SecretRef, siteModelOf, Size } from '../../constructs';

/** The Proxmox host exports /srv/nfs to the cluster (TrueNAS, and its /mnt/main, is gone). */
const NFS_SERVER = '192.168.1.127';

/**
 * The etcd project's images are distroless (no shell), so the etcd job runs in a small image
 * this site builds: `FROM alpine:3.20` with `COPY --from=registry.k8s.io/etcd:3.5.21-0
 * /usr/local/bin/etcdctl /usr/local/bin/etcdutl /usr/local/bin/`. The seed names no image.
 */
const ETCD_TOOLS_IMAGE = 'registry.viktorbarzin.me/etcd-tools:3.5.21';

/**
 * Layer 2b of seed 002 and its Vaultwarden protection: application-level dumps as
 * Kubernetes CronJobs writing to /srv/nfs/<service>-backup on the Proxmox host (from there
 * the off-site sync's Step 2 ships every `*-backup` folder to the Synology), plus the
 * Pushgateway they and the host scripts push to.
 *
 * Alert stems and stale thresholds are the seed's alert table; every job keeps the seed's
 * severity (warning, to #infra-alerts) except VaultwardenIntegrityFail (critical).
 */
export function homelabAppDumps(site: BackupSite): void {
  const model = siteModelOf(site);

  // Seed 002, "Pushgateway persistence": --persistence.file=/data/pushgateway.bin every minute
  // on a 2Gi proxmox-lvm-encrypted claim, reached by the host scripts on NodePort 30091.
  const pushgateway = new Pushgateway(site, 'Pushgateway', {
    namespace: 'monitoring',
    nodePort: 30091,
    persistence: { size: Size.gibibytes(2), storageClassName: 'proxmox-lvm-encrypted', interval: Duration.minutes(1) },
  });
  model.addDecision({
    subject: 'Pushgateway',
    decision: 'deployed by this stack in monitoring (Deployment, NodePort 30091 Service, 2Gi claim) with the seed\'s persistence flags',
    reason: "seed 002 runs it from the Prometheus Helm chart's prometheus-pushgateway values; when adopting this stack, disable the chart's Pushgateway so one process owns NodePort 30091 and the persistence file",
  });

  // /srv/nfs is on sdc, the disks that also hold the proxmox-lvm PVCs these dumps are made from
  const volume = (id: string, namespace: string, name: string) =>
    new NfsVolume(site, id, { name, namespace, server: NFS_SERVER, path: `/srv/nfs/${name}`, host: 'pve', medium: 'source-disk', capacity: Size.gibibytes(100) });
  model.addDecision({
    subject: 'app dump paths',
    decision: 'every dump job writes to /srv/nfs/<service>-backup on the Proxmox host (192.168.1.127), counted as the source disk (sdc)',
    reason: "seed 002's Layer 2b gives /mnt/main/<service>-backup paths, the TrueNAS names it calls legacy; it also says each service writes to /srv/nfs/<service>-backup/, and TrueNAS was decommissioned. /srv/nfs and the proxmox-lvm PVCs share sdc, so the second medium is the off-site copy (Step 2 ships *-backup)",
  });

  // --- dbaas: PostgreSQL and MySQL, daily 00:00-00:45, 14 days, stale after 36 h (seed) ---
  const pgBackup = volume('PostgresqlBackupVolume', 'dbaas', 'postgresql-backup');
  const pg = { host: 'postgresql.dbaas.svc.cluster.local', user: 'postgres', password: SecretRef.fromSecret('postgresql-credentials', 'postgres-password') };
  new AppDumpCronJob(site, 'PostgresqlBackup', {
    namespace: 'dbaas',
    jobId: 'postgresql-backup',
    engine: DumpEngine.postgresql(pg),
    schedule: Schedule.daily('00:00'),
    retentionDays: 14,
    backupVolume: pgBackup,
    pushgateway,
    resources: { limits: { memory: '2Gi' } },
    // the seed spaces the four dumps 15 minutes apart: each is expected to finish within that
    expectedDuration: Duration.minutes(10),
    alertName: 'PostgreSQLBackup',
    staleAfter: Duration.hours(36),
  });
  new AppDumpCronJob(site, 'PostgresqlPerDbBackup', {
    namespace: 'dbaas',
    jobId: 'postgresql-backup-per-db',
    engine: DumpEngine.postgresqlPerDatabase(pg),
    schedule: Schedule.daily('00:15'),
    retentionDays: 14,
    backupVolume: pgBackup,
    pushgateway,
    resources: { limits: { memory: '2Gi' } },
    // the seed spaces the four dumps 15 minutes apart: each is expected to finish within that
    expectedDuration: Duration.minutes(10),
    alertName: 'PostgreSQLPerDbBackup',
    staleAfter: Duration.hours(36),
  });
  const mysqlBackup = volume('MysqlBackupVolume', 'dbaas', 'mysql-backup');
  const mysql = { host: 'mysql.dbaas.svc.cluster.local', user: 'root', password: SecretRef.fromSecret('mysql-credentials', 'root-password') };
  new AppDumpCronJob(site, 'MysqlBackup', {
    namespace: 'dbaas',
    jobId: 'mysql-backup',
    engine: DumpEngine.mysql(mysql),
    schedule: Schedule.daily('00:30'),
    retentionDays: 14,
    backupVolume: mysqlBackup,
    pushgateway,
    resources: { limits: { memory: '2Gi' } },
    // the seed spaces the four dumps 15 minutes apart: each is expected to finish within that
    expectedDuration: Duration.minutes(10),
    alertName: 'MySQLBackup',
    staleAfter: Duration.hours(36),
  });
  new AppDumpCronJob(site, 'MysqlPerDbBackup', {
    namespace: 'dbaas',
    jobId: 'mysql-backup-per-db',
    engine: DumpEngine.mysqlPerDatabase(mysql),
    schedule: Schedule.daily('00:45'),
    retentionDays: 14,
    backupVolume: mysqlBackup,
    pushgateway,
    resources: { limits: { memory: '2Gi' } },
    // the seed spaces the four dumps 15 minutes apart: each is expected to finish within that
    expectedDuration: Duration.minutes(10),
    alertName: 'MySQLPerDbBackup',
    staleAfter: Duration.hours(36),
  });
  model.addDecision({
    subject: 'per-database dump alerts',
    decision: 'PostgreSQLPerDbBackup* and MySQLPerDbBackup* alerts, stale after 36 h like the full dumps',
    reason: "seed 002's alert table names only PostgreSQLBackupStale and MySQLBackupStale; the per-database jobs are separate jobs with their own schedules, so they get their own stems and the same threshold",
  });

  // --- Sunday 01:00-03:00: etcd, Vault, Redis, 30 days, stale after 8 days (seed) ---
  new AppDumpCronJob(site, 'EtcdBackup', {
    namespace: 'kube-system',
    jobId: 'etcd-backup',
    engine: DumpEngine.etcd({ endpoints: ['https://127.0.0.1:2379'], certificates: { hostPath: '/etc/kubernetes/pki/etcd' } }),
    image: ETCD_TOOLS_IMAGE,
    schedule: Schedule.weekly('sun', '01:00'),
    retentionDays: 30,
    backupVolume: volume('EtcdBackupVolume', 'kube-system', 'etcd-backup'),
    pushgateway,
    // kubeadm's etcd listens on the control-plane node's loopback, with its client certs there
    placement: {
      nodeSelector: { 'node-role.kubernetes.io/control-plane': '' },
      tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
      hostNetwork: true,
    },
    alertName: 'EtcdBackup',
    staleAfter: Duration.days(8),
  });
  model.addDecision({
    subject: 'etcd backup image',
    decision: `${ETCD_TOOLS_IMAGE}: alpine with etcdctl and etcdutl copied from registry.k8s.io/etcd:3.5.21-0`,
    reason: "seed 002 names no image; the etcd project's own images are distroless and have no shell for the job's script, so the site builds this one (two-line Dockerfile in the comment of stacks/homelab/app-dumps.ts)",
  });
  new AppDumpCronJob(site, 'VaultBackup', {
    namespace: 'vault',
    jobId: 'vault-backup',
    engine: DumpEngine.vaultRaft({ address: 'http://vault.vault.svc.cluster.local:8200', token: SecretRef.fromSecret('vault-backup-token', 'token') }),
    schedule: Schedule.weekly('sun', '02:00'),
    retentionDays: 30,
    backupVolume: volume('VaultBackupVolume', 'vault', 'vault-backup'),
    pushgateway,
    alertName: 'VaultBackup',
    staleAfter: Duration.days(8),
  });
  new AppDumpCronJob(site, 'RedisBackup', {
    namespace: 'redis',
    jobId: 'redis-backup',
    engine: DumpEngine.redis({ host: 'redis.redis.svc.cluster.local', dataClaim: 'redis-data' }),
    schedule: Schedule.weekly('sun', '03:00'),
    retentionDays: 30,
    backupVolume: volume('RedisBackupVolume', 'redis', 'redis-backup'),
    pushgateway,
    // the RDB file is on Redis's ReadWriteOnce proxmox-lvm volume: run on its node
    placement: { colocateWith: { 'app.kubernetes.io/name': 'redis' } },
    alertName: 'RedisBackup',
    staleAfter: Duration.days(8),
  });

  // --- Vaultwarden: every 6 hours, 30 days; hourly integrity check (seed) ---
  new AppDumpCronJob(site, 'VaultwardenBackup', {
    namespace: 'vaultwarden',
    jobId: 'vaultwarden-backup',
    engine: DumpEngine.sqlite({
      dataClaim: 'vaultwarden-data',
      database: 'db.sqlite3',
      extraFiles: [{ path: 'rsa_key.pem' }, { path: 'rsa_key.pub.pem', optional: true }, { path: 'attachments', optional: true }, { path: 'sends', optional: true }, { path: 'config.json', optional: true }],
      // a vault without a single user is not a backup of this one
      minRows: { users: 1 },
      integrityCheck: { schedule: Schedule.everyHours(1), jobId: 'vaultwarden-integrity-check', alertName: 'VaultwardenIntegrityCheck', failAlertName: 'VaultwardenIntegrityFail' },
    }),
    schedule: Schedule.everyHours(6),
    retentionDays: 30,
    backupVolume: volume('VaultwardenBackupVolume', 'vaultwarden', 'vaultwarden-backup'),
    pushgateway,
    placement: { colocateWith: { 'app.kubernetes.io/name': 'vaultwarden' } },
    // Vaultwarden runs as root and its files are root's; the copy must read the keys
    runAsUser: 0,
    alertName: 'VaultwardenBackup',
    staleAfter: Duration.days(8),
  });
  model.addDecision({
    subject: 'vaultwarden-backup stale threshold',
    decision: 'VaultwardenBackupStale after 8 days, as the seed\'s alert table says, although the job runs every 6 hours',
    reason: 'the table groups Vaultwarden with the weekly jobs; the hourly integrity check (VaultwardenIntegrityCheck*, VaultwardenIntegrityFail) watches the live database, and REVIEW.md shows the 8 h a 6-hourly schedule would give',
  });

  // --- monitoring: the monthly Prometheus TSDB snapshot ---
  new AppDumpCronJob(site, 'PrometheusBackup', {
    namespace: 'monitoring',
    jobId: 'prometheus-backup',
    engine: DumpEngine.command({
      description: 'Prometheus TSDB snapshot (admin API), tar.gz',
      protects: 'Prometheus TSDB',
      command: [
        'reply=$(curl -fsS -X POST "$PROMETHEUS_URL/api/v1/admin/tsdb/snapshot")',
        'name=$(printf \'%s\' "$reply" | sed -n \'s/.*"name":"\\([^"]*\\)".*/\\1/p\')',
        '[ -n "$name" ] || bc_fail "no snapshot name in the answer: $reply"',
        'snapshot="$PROMETHEUS_DATA/snapshots/$name"',
        'tar -czf "$BC_OUT" -C "$PROMETHEUS_DATA/snapshots" "$name"',
      ].join('\n'),
      extension: '.tar.gz',
      // a TSDB snapshot holds at least one block (the head is written as one)
      verify: ['tar -tzf "$BC_OUT" >"$BC_WORK/contents"', 'grep -q \'/index$\' "$BC_WORK/contents" || bc_fail "the snapshot holds no TSDB block"'].join('\n'),
      // the snapshot is hard links inside Prometheus's volume: remove it on every exit path
      cleanup: 'if [ -n "${snapshot:-}" ]; then rm -rf -- "$snapshot"; fi',
      settings: { PROMETHEUS_URL: 'http://prometheus-server.monitoring.svc.cluster.local', PROMETHEUS_DATA: '/prometheus-data' },
      volumes: [{ claimName: 'prometheus-server', mountPath: '/prometheus-data', readOnly: false }],
      minSize: Size.mebibytes(1),
      // the seed accepts losing this data: the steps, without commands guessed for the chart
      restore: [
        {
          title: 'put the snapshot back into Prometheus (only if the history matters: the seed accepts losing it)',
          notes: [
            'A snapshot is a folder of TSDB blocks. Scale prometheus-server to 0 and wait until its pod is gone; from a pod that mounts both the prometheus-backup claim and the prometheus-server claim, unpack the newest snapshot and copy the block folders inside it into the data folder of prometheus-server (the folder that holds wal/); scale prometheus-server back up: it loads the blocks when it starts.',
          ],
          commands: [],
        },
      ],
    }),
    image: 'curlimages/curl:8.11.1',
    // seed 002: "monthly 1st-Sunday 04:00 UTC" (cron runs days 1-7, the job checks for Sunday)
    schedule: Schedule.firstWeekdayOfMonth('sun', '04:00').inTimeZone('UTC'),
    retentionDays: 90,
    backupVolume: volume('PrometheusBackupVolume', 'monitoring', 'prometheus-backup'),
    pushgateway,
    placement: { colocateWith: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'server' } },
    // Prometheus (the chart) runs as nobody; its snapshot folder is nobody's to remove
    runAsUser: 65534,
    // seed: losing Prometheus data is acceptable, metrics are regenerable
    classification: 'rebuildable',
    alertName: 'PrometheusBackup',
  });
  model.addDecision({
    subject: 'prometheus-backup',
    decision: 'a CronJob on the first Sunday of each month at 04:00 UTC (cron 0 4 1-7 * *; the run checks it is Sunday and otherwise reports nothing; a run by hand on another day sets BC_ANY_WEEKDAY=1 in the dump container) taking a TSDB snapshot through the admin API, kept 90 days, stale after five weeks plus 2 hours',
    reason: "seed 002 runs it as a sidecar on the first Sunday at 04:00 UTC and names no retention; Kubernetes cron joins day-of-month and weekday with OR, so the weekday is checked in the job. 90 days keeps three snapshots. A CronJob rather than a sidecar: its outcome is pushed like every dump's. Needs Prometheus's --web.enable-admin-api and its prometheus-server claim on the same node (pod affinity)",
  });

  // --- Postiz: its bundled PostgreSQL on local-path, daily (the seed gives no time) ---
  new AppDumpCronJob(site, 'PostizPostgresBackup', {
    namespace: 'postiz',
    jobId: 'postiz-postgres-backup',
    engine: DumpEngine.postgresqlPerDatabase({
      host: 'postiz-postgresql.postiz.svc.cluster.local',
      user: 'postiz',
      password: SecretRef.fromSecret('postiz-postgresql', 'password'),
      databases: ['postiz'],
      maintenanceDatabase: 'postiz',
      minTables: 1,
    }),
    subdirectory: '',
    schedule: Schedule.daily('01:00'),
    retentionDays: 14,
    backupVolume: volume('PostizBackupVolume', 'postiz', 'postiz-backup'),
    pushgateway,
    alertName: 'PostizPostgresBackup',
    staleAfter: Duration.hours(36),
  });
  model.addDecision({
    subject: 'postiz-postgres-backup',
    decision: 'daily at 01:00, pg_dump -Fc of the postiz database, kept 14 days, stale after 36 hours',
    reason: "seed 002 says only 'daily pg_dump -> /srv/nfs/postiz-backup/'; 01:00 is after the dbaas dumps, and retention and threshold follow the seed's other PostgreSQL dumps",
  });
  model.addDecision({
    subject: 'dump file names',
    decision: "every dump is named <job>-<UTC stamp><ext> (postgresql-backup-20261130T000012Z.sql.gz, per-db/<db>/..., vaultwarden-backup-<stamp>/db.sqlite3) instead of the seed's dump_*.sql.gz, snapshot-YYYYmmdd.db/.snap and db-YYYYmmddHHMM.sqlite; once the new dumps cover each job's retention, delete the seed's old files by hand",
    reason: "a job's rotation deletes only files with its own prefix and stamp, so it can never remove another job's dumps or the seed's existing files in the same folder; a stamp to the second in UTC never collides across a daylight-saving change or two runs a day",
  });
  model.addDecision({
    subject: 'names the seed does not give',
    decision:
      'Secrets postgresql-credentials/postgres-password, mysql-credentials/root-password, vault-backup-token/token, postiz-postgresql/password; data claims redis-data, vaultwarden-data, prometheus-server; Services postgresql, mysql, redis, vault in their namespaces; pod labels app.kubernetes.io/name=redis, =vaultwarden, =prometheus (component server)',
    reason: 'seed 002 names the namespaces and paths but not these; they are the charts\' usual names and are the first thing to check against the cluster before applying',
  });
}
