import { AppDumpCronJob, BackupAlertRules, BackupSite, BackupVolume, DumpEngine, Duration, MetricsSink, NfsVolume, Pushgateway, Schedule, SecretRef, Size } from '../../constructs';
import { freshApp } from '../helpers/synth';
import type { RestoreStep } from '../../lib/model/types';
import { labSite } from './run';

/** One job of every engine, with every placement option, a Pushgateway and NFS volumes. */
export function everyEngineSite(): { site: BackupSite; gateway: Pushgateway; jobs: Record<string, AppDumpCronJob> } {
  const app = freshApp();
  const site = new BackupSite(app, 'lab', { metrics: MetricsSink.pushgateway('http://k8s.example.lan:30091', { persistence: true }) });
  const gateway = new Pushgateway(site, 'Pushgateway', { persistence: { storageClassName: 'proxmox-lvm-encrypted' } });
  const pgVolume = new NfsVolume(site, 'PgBackupVolume', { name: 'postgresql-backup', namespace: 'dbaas', server: '192.168.1.127', path: '/srv/nfs/postgresql-backup', host: 'pve', medium: 'source-disk' });
  const pgPassword = SecretRef.fromSecret('pg-credentials', 'password');
  const jobs: Record<string, AppDumpCronJob> = {};
  jobs.pg = new AppDumpCronJob(site, 'Pg', {
    namespace: 'dbaas',
    jobId: 'postgresql-backup',
    engine: DumpEngine.postgresql({ host: 'postgresql.dbaas.svc.cluster.local', password: pgPassword }),
    schedule: Schedule.daily('00:00').inTimeZone('Europe/London'),
    retentionDays: 14,
    backupVolume: pgVolume,
    pushgateway: gateway,
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '2Gi', cpu: '1' } },
    successfulJobsHistoryLimit: 2,
    failedJobsHistoryLimit: 5,
    alertName: 'PostgreSQLBackup',
    staleAfter: Duration.hours(36),
    classification: 'critical',
  });
  jobs.pgPerDb = new AppDumpCronJob(site, 'PgPerDb', {
    namespace: 'dbaas',
    jobId: 'postgresql-backup-per-db',
    engine: DumpEngine.postgresqlPerDatabase({ host: 'postgresql.dbaas.svc.cluster.local', password: pgPassword, databases: ['nextcloud', 'immich'] }),
    schedule: Schedule.cron('15 0 * * *'),
    retentionDays: 14,
    backupVolume: pgVolume,
    pushgateway: gateway,
  });
  jobs.mysql = new AppDumpCronJob(site, 'Mysql', {
    namespace: 'dbaas',
    jobId: 'mysql-backup',
    engine: DumpEngine.mysql({ host: 'mysql.dbaas', password: SecretRef.fromSecret('mysql-credentials', 'root-password') }),
    schedule: Schedule.daily('00:30'),
    retentionDays: 14,
    backupVolume: BackupVolume.existingClaim('mysql-backup'),
    pushgateway: gateway,
  });
  jobs.etcd = new AppDumpCronJob(site, 'Etcd', {
    namespace: 'kube-system',
    jobId: 'etcd-backup',
    engine: DumpEngine.etcd({ endpoints: ['https://127.0.0.1:2379'], certificates: { hostPath: '/etc/kubernetes/pki/etcd' } }),
    image: 'registry.example.org/etcd-tools:3.5.21',
    schedule: Schedule.weekly('sun', '01:00'),
    retentionDays: 30,
    backupVolume: new NfsVolume(site, 'EtcdBackupVolume', { name: 'etcd-backup', namespace: 'kube-system', server: '192.168.1.127', path: '/srv/nfs/etcd-backup' }),
    pushgateway: gateway,
    placement: {
      nodeSelector: { 'node-role.kubernetes.io/control-plane': '' },
      tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
      hostNetwork: true,
    },
  });
  jobs.vault = new AppDumpCronJob(site, 'Vault', {
    namespace: 'vault',
    jobId: 'vault-backup',
    engine: DumpEngine.vaultRaft({ address: 'http://vault.vault.svc:8200', token: SecretRef.fromSecret('vault-backup-token', 'token') }),
    schedule: Schedule.weekly('sun', '02:00'),
    retentionDays: 30,
    backupVolume: BackupVolume.existingClaim('vault-backup', { medium: 'nas' }),
    pushgateway: gateway,
  });
  jobs.redis = new AppDumpCronJob(site, 'Redis', {
    namespace: 'redis',
    jobId: 'redis-backup',
    engine: DumpEngine.redis({ host: 'redis.redis', dataClaim: 'redis-data', password: SecretRef.fromSecret('redis', 'password') }),
    schedule: Schedule.weekly('sun', '03:00'),
    retentionDays: 30,
    backupVolume: BackupVolume.existingClaim('redis-backup'),
    pushgateway: gateway,
    placement: { colocateWith: { 'app.kubernetes.io/name': 'redis' } },
  });
  jobs.vaultwarden = new AppDumpCronJob(site, 'Vaultwarden', {
    namespace: 'vaultwarden',
    jobId: 'vaultwarden-backup',
    engine: DumpEngine.sqlite({
      dataClaim: 'vaultwarden-data',
      database: 'db.sqlite3',
      extraFiles: [{ path: 'rsa_key.pem' }, { path: 'attachments', optional: true }],
      minRows: { users: 1 },
      integrityCheck: { jobId: 'vaultwarden-integrity-check', alertName: 'VaultwardenIntegrityCheck', failAlertName: 'VaultwardenIntegrityFail' },
    }),
    schedule: Schedule.everyHours(6),
    retentionDays: 30,
    backupVolume: BackupVolume.existingClaim('vaultwarden-backup'),
    pushgateway: gateway,
    placement: { colocateWith: { 'app.kubernetes.io/name': 'vaultwarden' } },
    runAsUser: 0,
    alertName: 'VaultwardenBackup',
    staleAfter: Duration.days(8),
    classification: 'critical',
  });
  jobs.prometheus = new AppDumpCronJob(site, 'Prometheus', {
    namespace: 'monitoring',
    jobId: 'prometheus-backup',
    engine: DumpEngine.command({
      description: 'Prometheus TSDB snapshot, tar.gz',
      protects: 'Prometheus TSDB',
      command: 'tar -czf "$BC_OUT" -C "$DATA" .',
      extension: '.tar.gz',
      verify: 'tar -tzf "$BC_OUT" >/dev/null',
      settings: { DATA: '/prometheus-data' },
      secrets: { API_TOKEN: SecretRef.fromSecret('prometheus-api', 'token') },
      volumes: [{ claimName: 'prometheus-server', mountPath: '/prometheus-data' }],
      minSize: Size.kibibytes(64),
    }),
    image: 'curlimages/curl:8.11.1',
    schedule: Schedule.monthly(1, '04:00').inTimeZone('UTC'),
    retentionDays: 90,
    backupVolume: BackupVolume.existingClaim('prometheus-backup'),
    pushgateway: gateway,
  });
  new BackupAlertRules(site, 'Alerts');
  return { site, gateway, jobs };
}

/**
 * A lab site with a weekly etcd snapshot job backing up to `backupVolume` (given a site, built
 * in it): the restore steps differ by where the snapshots lie. Returns the job's restore steps.
 */
export function etcdJobRestore(backupVolume: (site: BackupSite) => BackupVolume | NfsVolume): readonly RestoreStep[] {
  const { site } = labSite();
  new AppDumpCronJob(site, 'Etcd', {
    namespace: 'kube-system',
    jobId: 'etcd-backup',
    engine: DumpEngine.etcd({ endpoints: ['https://127.0.0.1:2379'] }),
    image: 'example.org/etcd-tools:3.5',
    schedule: Schedule.weekly('sun', '01:00'),
    retentionDays: 30,
    backupVolume: backupVolume(site),
  });
  return site.model.job('etcd-backup')!.restore!;
}
