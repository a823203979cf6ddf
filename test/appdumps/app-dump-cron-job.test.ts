import { parse } from 'yaml';
import { AppDumpCronJob, BackupSite, BackupVolume, DumpEngine, MetricsSink, NfsVolume, Pushgateway, Schedule, SecretRef } from '../../constructs';
import { freshApp, modelOf, reviewOf, synthJson } from '../helpers/synth';
import { everyEngineSite } from './fixtures';
import { labSite } from './run';
import { manifestsOf } from './tf-to-manifest';

function cronJob(json: Record<string, any>, name: string): Record<string, any> {
  return (Object.values(json.resource.kubernetes_cron_job_v1) as Record<string, any>[]).find((r) => r.metadata.name === name)!;
}

describe('AppDumpCronJob: synthesized CronJobs carry what the stack asked for', () => {
  const { site } = everyEngineSite();
  const json = synthJson(site);
  const review = reviewOf(site);

  it('schedule, time zone, Forbid, history limits, deadlines and no retries', () => {
    const pg = cronJob(json, 'postgresql-backup');
    expect(pg.metadata.namespace).toBe('dbaas');
    expect(pg.spec).toMatchObject({
      schedule: '0 0 * * *',
      timezone: 'Europe/London',
      concurrency_policy: 'Forbid',
      successful_jobs_history_limit: 2,
      failed_jobs_history_limit: 5,
      starting_deadline_seconds: 3600,
    });
    expect(pg.spec.job_template.spec).toMatchObject({ backoff_limit: 0, active_deadline_seconds: 6 * 3600 });
    expect(pg.spec.job_template.spec.template.spec.restart_policy).toBe('Never');
    const perDb = cronJob(json, 'postgresql-backup-per-db');
    expect(perDb.spec.schedule).toBe('15 0 * * *');
    expect(perDb.spec.timezone).toBeUndefined();
    expect(perDb.spec).toMatchObject({ successful_jobs_history_limit: 3, failed_jobs_history_limit: 3 });
    expect(cronJob(json, 'vaultwarden-backup').spec.schedule).toBe('0 0,6,12,18 * * *');
    expect(cronJob(json, 'vaultwarden-integrity-check').spec.schedule).toBe('0 * * * *');
    expect(cronJob(json, 'vaultwarden-integrity-check').spec.job_template.spec.active_deadline_seconds).toBe(3600);
    expect(cronJob(json, 'etcd-backup').spec.schedule).toBe('0 1 * * 0');
    expect(cronJob(json, 'prometheus-backup').spec).toMatchObject({ schedule: '0 4 1 * *', timezone: 'UTC' });
  });

  it('a killed dump is still reported: dump and report run side by side in one process namespace, no init container', () => {
    // an init container that is OOM-killed (or stopped at the deadline) fails the pod, and the
    // report container after it never starts: nothing is pushed until the Stale alert
    for (const r of Object.values(json.resource.kubernetes_cron_job_v1) as Record<string, any>[]) {
      const pod = r.spec.job_template.spec.template.spec;
      expect({ job: r.metadata.name, init: pod.init_container, share: pod.share_process_namespace, containers: pod.container.map((c: any) => c.name) }).toEqual({
        job: r.metadata.name,
        init: undefined,
        share: true,
        containers: ['dump', 'report'],
      });
    }
  });


  it("runbooks send the operator to the CronJob's Jobs and to the logs of both its containers, in its namespace", () => {
    for (const [job, ns] of [['postgresql-backup', 'dbaas'], ['vaultwarden-integrity-check', 'vaultwarden']]) {
      const text = review.get(`runbooks/${job}.md`)!.content;
      expect(text).toContain(`   kubectl -n ${ns} get cronjob ${job}\n   kubectl -n ${ns} get jobs --sort-by=.metadata.creationTimestamp | grep '^${job}-'\n`);
      expect(text).not.toContain('pvenode');
      // the pod's containers, as synthesized: the run's output is in the dump container, the push in the other
      const pod = cronJob(json, job).spec.job_template.spec.template.spec;
      const logs = text.split('\n').filter((l) => l.includes(' logs '));
      expect(logs.map((l) => l.trim().replace(/\s+#.*$/, ''))).toEqual(
        pod.container.map((c: Record<string, any>) => `kubectl -n ${ns} logs job/<job> -c ${c.name}`),
      );
      // the job to read is the operator's pick: a placeholder, never a name that looks real
      expect(text).not.toMatch(/job\/JOB\b/);
    }
  });
  it('volumes: the backup claim at /backup, the status emptyDir shared read-only with the report container, the data claim', () => {
    const pod = cronJob(json, 'vaultwarden-backup').spec.job_template.spec.template.spec;
    expect(pod.volume).toEqual([
      { name: 'backup', persistent_volume_claim: { claim_name: 'vaultwarden-backup' } },
      { name: 'bc-status', empty_dir: { size_limit: '1Mi' } },
      { name: 'data', persistent_volume_claim: { claim_name: 'vaultwarden-data', read_only: false } },
    ]);
    expect(pod.container[0].volume_mount).toEqual([
      { name: 'backup', mount_path: '/backup' },
      { name: 'bc-status', mount_path: '/bc-status' },
      { name: 'data', mount_path: '/data', read_only: false },
    ]);
    expect(pod.container[1].volume_mount).toEqual([{ name: 'bc-status', mount_path: '/bc-status', read_only: true }]);
    expect(pod.security_context).toEqual({ run_as_user: '0' });
    expect(pod.affinity.pod_affinity.required_during_scheduling_ignored_during_execution).toEqual([
      { label_selector: [{ match_labels: { 'app.kubernetes.io/name': 'vaultwarden' } }], topology_key: 'kubernetes.io/hostname' },
    ]);
    const redis = cronJob(json, 'redis-backup').spec.job_template.spec.template.spec;
    expect(redis.volume).toContainEqual({ name: 'data', persistent_volume_claim: { claim_name: 'redis-data', read_only: true } });
    const pg = cronJob(json, 'postgresql-backup').spec.job_template.spec.template.spec;
    expect(pg.volume[0]).toEqual({ name: 'backup', persistent_volume_claim: { claim_name: 'postgresql-backup' } });
    const etcd = cronJob(json, 'etcd-backup').spec.job_template.spec.template.spec;
    expect(etcd).toMatchObject({ host_network: true, dns_policy: 'ClusterFirstWithHostNet', node_selector: { 'node-role.kubernetes.io/control-plane': '' } });
    expect(etcd.toleration).toEqual([{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }]);
    // the three files etcdctl reads, never the folder with the CA's private key
    expect(etcd.volume).toEqual(
      expect.arrayContaining([
        { name: 'etcd-ca', host_path: { path: '/etc/kubernetes/pki/etcd/ca.crt', type: 'File' } },
        { name: 'etcd-cert', host_path: { path: '/etc/kubernetes/pki/etcd/healthcheck-client.crt', type: 'File' } },
        { name: 'etcd-key', host_path: { path: '/etc/kubernetes/pki/etcd/healthcheck-client.key', type: 'File' } },
      ]),
    );
    expect(etcd.volume.filter((v: any) => v.host_path?.type === 'Directory')).toEqual([]);
    expect(etcd.container[0].volume_mount).toContainEqual({ name: 'etcd-key', mount_path: '/etc/etcd-certs/healthcheck-client.key', read_only: true });
  });

  it('credentials only as secretKeyRef; the dump container defers its status to the report container', () => {
    const env = (name: string) => cronJob(json, name).spec.job_template.spec.template.spec.container[0].env;
    expect(env('postgresql-backup')).toEqual([
      { name: 'BC_DEFER_STATUS', value: '1' },
      { name: 'PGPASSWORD', value_from: { secret_key_ref: { name: 'pg-credentials', key: 'password' } } },
    ]);
    expect(env('mysql-backup')).toContainEqual({ name: 'MYSQL_PWD', value_from: { secret_key_ref: { name: 'mysql-credentials', key: 'root-password' } } });
    expect(env('vault-backup')).toContainEqual({ name: 'VAULT_TOKEN', value_from: { secret_key_ref: { name: 'vault-backup-token', key: 'token' } } });
    expect(env('redis-backup')).toContainEqual({ name: 'REDISCLI_AUTH', value_from: { secret_key_ref: { name: 'redis', key: 'password' } } });
    expect(env('prometheus-backup')).toContainEqual({ name: 'API_TOKEN', value_from: { secret_key_ref: { name: 'prometheus-api', key: 'token' } } });
    for (const e of Object.values(json.resource.kubernetes_cron_job_v1) as Record<string, any>[]) {
      for (const v of e.spec.job_template.spec.template.spec.container[0].env) expect(v.value === undefined || v.name === 'BC_DEFER_STATUS').toBe(true);
    }
  });

  it('limits and images: the stack\'s resources on the dump container, small fixed ones on the report container', () => {
    const pod = cronJob(json, 'postgresql-backup').spec.job_template.spec.template.spec;
    expect(pod.container[0]).toMatchObject({ name: 'dump', image: 'postgres:16-bookworm', resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '2Gi', cpu: '1' } } });
    expect(pod.container[1]).toMatchObject({ name: 'report', image: 'curlimages/curl:8.11.1', resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } } });
    expect(cronJob(json, 'mysql-backup').spec.job_template.spec.template.spec.container[0].resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '1Gi' } });
    expect(cronJob(json, 'etcd-backup').spec.job_template.spec.template.spec.container[0].image).toBe('registry.example.org/etcd-tools:3.5.21');
  });

  it('the report container runs as nobody without privileges, even in a pod whose user is root', () => {
    for (const job of ['vaultwarden-backup', 'postgresql-backup', 'vaultwarden-integrity-check']) {
      const pod = cronJob(json, job).spec.job_template.spec.template.spec;
      expect(pod.container[1].security_context).toEqual({
        run_as_user: '65534',
        run_as_group: '65534',
        run_as_non_root: true,
        allow_privilege_escalation: false,
        read_only_root_filesystem: true,
        capabilities: { drop: ['ALL'] },
      });
    }
    // the dump container keeps the pod's user (Vaultwarden's files are root's)
    expect(cronJob(json, 'vaultwarden-backup').spec.job_template.spec.template.spec.security_context).toEqual({ run_as_user: '0' });
  });

  it('the scripts carry the retention, the output folder and the push path of the site\'s metric scheme', () => {
    const pod = cronJob(json, 'postgresql-backup-per-db').spec.job_template.spec.template.spec;
    const dump: string = pod.container[0].args[0];
    expect(dump).toContain('BC_RETENTION_DAYS=${BC_RETENTION_DAYS:-14}');
    expect(dump).toContain('BC_OUT_DIR=${BC_OUT_DIR:-/backup/per-db}');
    expect(dump).toContain("BC_DATABASES=${BC_DATABASES:-'nextcloud immich'}");
    const report: string = pod.container[1].args[0];
    expect(report).toContain('BC_PUSHGATEWAY=${BC_PUSHGATEWAY:-http://pushgateway.monitoring.svc:9091}');
    expect(report).toContain('BC_PUSH_PATH=${BC_PUSH_PATH:-/metrics/job/postgresql-backup-per-db/backup_job/postgresql-backup-per-db/site/lab/host/k8s}');
  });

  it('NFS volumes: a Retain, ReadWriteMany PV reserved for its claim, both of one static class name (the provider drops an empty one from the claim)', () => {
    const pv = (Object.values(json.resource.kubernetes_persistent_volume_v1) as Record<string, any>[]).find((r) => r.metadata.name === 'dbaas-postgresql-backup')!;
    expect(pv.spec[0]).toEqual({
      access_modes: ['ReadWriteMany'],
      capacity: { storage: '10Gi' },
      claim_ref: { name: 'postgresql-backup', namespace: 'dbaas' },
      mount_options: ['soft', 'timeo=150', 'retrans=3'],
      persistent_volume_reclaim_policy: 'Retain',
      persistent_volume_source: { nfs: { path: '/srv/nfs/postgresql-backup', server: '192.168.1.127' } },
      storage_class_name: 'backup-constructs-static',
    });
    const pvc = (Object.values(json.resource.kubernetes_persistent_volume_claim_v1) as Record<string, any>[]).find((r) => r.metadata.name === 'postgresql-backup')!;
    expect(pvc.spec).toEqual({ access_modes: ['ReadWriteMany'], storage_class_name: 'backup-constructs-static', volume_name: 'dbaas-postgresql-backup', resources: { requests: { storage: '10Gi' } } });
    expect(review.has('k8s/_cluster/persistentvolume-dbaas-postgresql-backup.yaml')).toBe(true);
    expect(review.has('k8s/dbaas/persistentvolumeclaim-postgresql-backup.yaml')).toBe(true);
  });

  it('every Kubernetes resource is in review/k8s/ and equal to the Terraform resource field for field', () => {
    const fromTerraform = manifestsOf(json);
    const reviewed = [...review.keys()].filter((p) => p.startsWith('k8s/'));
    expect(reviewed.sort()).toEqual([...fromTerraform.keys()].sort());
    expect(reviewed.length).toBe(17); // the jobs' objects and the alert rules ConfigMap
    for (const [file, manifest] of fromTerraform) {
      const text = review.get(file)!.content;
      expect(text.startsWith('# generated by backup-constructs from lab/')).toBe(true);
      expect({ file, manifest: parse(text) }).toEqual({ file, manifest });
    }
  });

  it('registers each job with its signal, copy, target and asset, and derives its alerts', () => {
    const model = modelOf(site);
    expect(model.job('postgresql-backup')).toMatchObject({ kind: 'app-dump:postgresql', host: 'k8s', alertName: 'PostgreSQLBackup', staleAfterHours: 36, staleAfterExplicit: true, classification: 'critical' });
    expect(model.signalsOf('postgresql-backup')).toEqual([
      {
        job: 'postgresql-backup',
        host: 'k8s',
        sink: 'pushgateway',
        destination: 'http://pushgateway.monitoring.svc:9091/metrics/job/postgresql-backup/backup_job/postgresql-backup/site/lab/host/k8s',
        labels: { backup_job: 'postgresql-backup', site: 'lab', host: 'k8s' },
        metrics: ['backup_last_run_timestamp_seconds', 'backup_last_status', 'backup_last_success_timestamp_seconds', 'backup_last_duration_seconds', 'backup_last_size_bytes'],
      },
    ]);
    expect(model.copiesBy('postgresql-backup-per-db')).toEqual([
      expect.objectContaining({ asset: 'database:dbaas/postgresql', target: 'nfs:192.168.1.127:/srv/nfs/postgresql-backup', layer: 'app', retention: '14 days', artifact: { host: 'pve', basePath: '/srv/nfs/postgresql-backup/per-db', glob: '*/*.dump' } }),
    ]);
    expect(model.target('nfs:192.168.1.127:/srv/nfs/postgresql-backup')).toMatchObject({ medium: 'source-disk', host: 'pve' });
    expect(model.signalsOf('vaultwarden-integrity-check')[0].metrics).toContain('backup_sqlite_integrity_ok');
    const rules = parse(review.get('prometheus/backup-lab.rules.yml')!.content).groups.flatMap((g: any) => g.rules);
    const byName = new Map<string, any>(rules.map((r: any) => [r.alert, r]));
    expect(byName.get('PostgreSQLBackupStale').expr).toContain(`> ${36 * 3600}`);
    expect(byName.get('VaultwardenBackupStale').expr).toContain(`> ${8 * 86400}`);
    for (const n of ['PostgreSQLBackupFailing', 'PostgreSQLBackupNeverRan', 'VaultwardenIntegrityCheckStale', 'EtcdBackupStale', 'PrometheusBackupStale']) expect(byName.has(n)).toBe(true);
    expect(byName.get('VaultwardenIntegrityFail')).toMatchObject({ expr: 'min by (backup_job, site, host) (backup_sqlite_integrity_ok{backup_job="vaultwarden-integrity-check",site="lab",host="k8s"}) == 0', labels: { severity: 'critical' } });
  });
});

describe("AppDumpCronJob: a schedule without a zone runs in the site's", () => {
  it("the CronJob, its weekday check and its integrity check take the site's zone; a schedule's own zone wins", () => {
    const app = freshApp();
    const site = new BackupSite(app, 'lab', { metrics: MetricsSink.pushgateway('http://pushgateway.monitoring.svc:9091', { persistence: true }), timeZone: 'Europe/Prague' });
    const common = { namespace: 'apps', retentionDays: 7 };
    new AppDumpCronJob(site, 'Pg', { ...common, jobId: 'pg-backup', engine: DumpEngine.postgresql({ host: 'pg' }), schedule: Schedule.daily('00:00'), backupVolume: BackupVolume.existingClaim('pg') });
    new AppDumpCronJob(site, 'Utc', { ...common, jobId: 'utc-backup', engine: DumpEngine.postgresql({ host: 'pg' }), schedule: Schedule.daily('00:00').inTimeZone('UTC'), backupVolume: BackupVolume.existingClaim('pg') });
    // cron runs days 1-7 and the job checks the weekday: in the site's zone, no error
    new AppDumpCronJob(site, 'Monthly', {
      ...common,
      jobId: 'monthly-backup',
      engine: DumpEngine.command({ description: 'x', protects: 'x', command: 'true', extension: '.tar' }),
      image: 'alpine:3.20',
      schedule: Schedule.firstWeekdayOfMonth('sun', '04:00'),
      backupVolume: BackupVolume.existingClaim('files'),
    });
    new AppDumpCronJob(site, 'Vw', {
      ...common,
      jobId: 'vw-backup',
      engine: DumpEngine.sqlite({ dataClaim: 'vw-data', database: 'db.sqlite3', integrityCheck: { schedule: Schedule.everyHours(1) } }),
      schedule: Schedule.everyHours(6),
      backupVolume: BackupVolume.existingClaim('vw'),
    });
    const json = synthJson(site);
    expect(cronJob(json, 'pg-backup').spec.timezone).toBe('Europe/Prague');
    expect(cronJob(json, 'utc-backup').spec.timezone).toBe('UTC');
    expect(cronJob(json, 'vw-backup').spec.timezone).toBe('Europe/Prague');
    expect(cronJob(json, 'vw-backup-integrity').spec.timezone).toBe('Europe/Prague');
    const monthly = cronJob(json, 'monthly-backup');
    expect(monthly.spec).toMatchObject({ schedule: '0 4 1-7 * *', timezone: 'Europe/Prague' });
    expect(monthly.spec.job_template.spec.template.spec.container[0].args[0]).toContain('TZ=Europe/Prague date +%w');
    // the model (calendar, timeline, contention) reads the same zone the cluster runs it in
    expect(modelOf(site).job('pg-backup')!.schedule).toMatchObject({ timeZone: 'Europe/Prague' });
    expect(reviewOf(site).get('calendar.ics')!.content).toMatch(/UID:pg-backup@lab[^]*?DTSTART;TZID=Europe\/Prague:/);
  });
});

describe('Pushgateway', () => {
  it('deploys one replica with persistence every minute on a 2Gi claim and a NodePort 30091 Service', () => {
    const { site, gateway } = everyEngineSite();
    const json = synthJson(site);
    const deployment = Object.values(json.resource.kubernetes_deployment_v1)[0] as Record<string, any>;
    expect(deployment.metadata).toMatchObject({ name: 'pushgateway', namespace: 'monitoring' });
    expect(deployment.spec).toMatchObject({ replicas: '1', strategy: { type: 'Recreate' } });
    const container = deployment.spec.template.spec.container[0];
    expect(container.args).toEqual(['--persistence.file=/data/pushgateway.bin', '--persistence.interval=1m']);
    expect(container.volume_mount).toEqual([{ name: 'data', mount_path: '/data' }]);
    expect(deployment.spec.template.spec.volume).toEqual([{ name: 'data', persistent_volume_claim: { claim_name: 'pushgateway-data' } }]);
    const service = Object.values(json.resource.kubernetes_service_v1)[0] as Record<string, any>;
    expect(service.spec).toMatchObject({ type: 'NodePort', port: [{ name: 'http', port: 9091, target_port: '9091', node_port: 30091, protocol: 'TCP' }] });
    // what the prometheus-community chart's pushgateway job selects (honor_labels)
    expect(service.metadata.annotations).toEqual({ 'prometheus.io/probe': 'pushgateway' });
    const pvc = (Object.values(json.resource.kubernetes_persistent_volume_claim_v1) as Record<string, any>[]).find((r) => r.metadata.name === 'pushgateway-data')!;
    expect(pvc).toMatchObject({ wait_until_bound: false, spec: { access_modes: ['ReadWriteOnce'], storage_class_name: 'proxmox-lvm-encrypted', resources: { requests: { storage: '2Gi' } } } });
    expect(gateway.url).toBe('http://pushgateway.monitoring.svc:9091');
    expect(modelOf(site).findings.filter((f) => f.rule === 'pushgateway-persistence')).toEqual([]);
  });

  it('takes resources value by value: a memory limit alone keeps the default requests', () => {
    const site = new BackupSite(freshApp(), 'lab', { metrics: MetricsSink.pushgateway('http://pushgateway.monitoring.svc:9091', { persistence: true }) });
    new Pushgateway(site, 'Pgw', { resources: { limits: { memory: '256Mi' } } });
    const deployment = Object.values(synthJson(site).resource.kubernetes_deployment_v1)[0] as Record<string, any>;
    expect(deployment.spec.template.spec.container[0].resources).toEqual({ requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '256Mi' } });
  });

  it('without persistence: a finding, and a synth error when the site declares its sink persistent', () => {
    const app = freshApp();
    const site = new BackupSite(app, 'lab', { metrics: MetricsSink.pushgateway('http://k8s.example.lan:30091', { persistence: true }) });
    new (require('../../constructs').Pushgateway)(site, 'Pgw', { persistence: false });
    expect(modelOf(site).findings).toContainEqual(expect.objectContaining({ rule: 'pushgateway-persistence', subject: 'lab/Pgw' }));
    expect(() => synthJson(site)).toThrow(/\[lab\/Pgw\] persistence: the site's MetricsSink declares http:\/\/k8s.example.lan:30091 persistent, but this Pushgateway has no persistence/);
  });

  it('with persistence behind a sink that does not say so: a synth error naming the fix', () => {
    const app = freshApp();
    const site = new BackupSite(app, 'lab', { metrics: MetricsSink.pushgateway('http://pushgateway.monitoring.svc:9091') });
    new (require('../../constructs').Pushgateway)(site, 'Pgw');
    expect(() => synthJson(site)).toThrow(/does not say so \(hint: MetricsSink.pushgateway\('http:\/\/pushgateway.monitoring.svc:9091', \{ persistence: true \}\)\)/);
  });

  it('an existing Pushgateway is only declared: no resources, a finding when it has no persistence', () => {
    const { site } = labSite();
    const { Pushgateway } = require('../../constructs');
    const gw = Pushgateway.existing(site, 'Existing', { url: 'http://prometheus-pushgateway.monitoring.svc:9091', persistence: false });
    expect(gw.url).toBe('http://prometheus-pushgateway.monitoring.svc:9091');
    const json = synthJson(site);
    expect(json.resource?.kubernetes_deployment_v1).toBeUndefined();
    expect(modelOf(site).findings).toContainEqual(expect.objectContaining({ rule: 'pushgateway-persistence', subject: 'lab/Existing' }));
  });
});

describe('AppDumpCronJob: bad input is a synth-time error naming the construct and field', () => {
  const pg = () => DumpEngine.postgresql({ host: 'postgresql.dbaas' });
  const base = () => ({ namespace: 'dbaas', jobId: 'postgresql-backup', engine: pg(), schedule: Schedule.daily('00:00'), retentionDays: 14, backupVolume: BackupVolume.existingClaim('pg-backup') });

  it('fails when the schedule is not a Schedule (a cron string)', () => {
    const { site } = labSite();
    expect(() => new AppDumpCronJob(site, 'Job', { ...base(), schedule: '0 0 * * *' as never })).toThrow(/\[lab\/Job\] schedule: expected a Schedule, e\.g\. Schedule\.daily\('00:00'\) or Schedule\.cron\('0 0 \* \* \*'\), got "0 0 \* \* \*"/);
  });

  it('fails when a node selector, toleration or colocation label is not Kubernetes label syntax (the API server would refuse it mid-apply)', () => {
    const { site } = labSite();
    expect(() => new AppDumpCronJob(site, 'A', { ...base(), jobId: 'a-backup', placement: { nodeSelector: { 'kubernetes.io/hostname': 'node 1' } } })).toThrow(
      /\[lab\/A\] placement\.nodeSelector\.kubernetes\.io\/hostname: expected a label value of up to 63 letters, digits, - _ \. .*got "node 1"/,
    );
    expect(() => new AppDumpCronJob(site, 'B', { ...base(), jobId: 'b-backup', placement: { colocateWith: { 'app name': 'redis' } } })).toThrow(/\[lab\/B\] placement\.colocateWith\.app name: expected a label key such as app or kubernetes\.io\/hostname/);
    expect(() => new AppDumpCronJob(site, 'C', { ...base(), jobId: 'c-backup', placement: { tolerations: [{ key: 'dedicated', operator: 'Exists', value: 'db' }] } })).toThrow(
      /\[lab\/C\] placement\.tolerations\.0\.value: expected no value with operator Exists/,
    );
    expect(() => new AppDumpCronJob(site, 'D', { ...base(), jobId: 'd-backup', placement: { tolerations: [{ value: 'db', effect: 'NoSchedule' }] } })).toThrow(/\[lab\/D\] placement\.tolerations\.0\.key: required: expected a key, or operator 'Exists'/);
    expect(() => new AppDumpCronJob(site, 'E', { ...base(), jobId: 'e-backup', placement: { tolerations: [{ operator: 'Exists' }], nodeSelector: { 'node-role.kubernetes.io/db': '' } } })).not.toThrow();
  });

  it('fails when a cron expression is invalid', () => {
    expect(() => Schedule.cron('61 0 * * *')).toThrow(/minute/);
    expect(() => Schedule.cron('0 0 * *')).toThrow(/expected 5 fields, got 4/);
  });

  it('asks for a time zone when the schedule restricts both weekday and day of month (the job checks the weekday in it)', () => {
    const { site } = labSite();
    expect(() => new AppDumpCronJob(site, 'Job', { ...base(), schedule: Schedule.firstWeekdayOfMonth('sun', '04:00') })).toThrow(/\[lab\/Job\] schedule: first Sun of the month at 04:00 needs a time zone: the job checks the weekday itself \(hint: \.inTimeZone\('UTC'\)/);
  });

  it('fails when a secret value is passed inline, without printing it', () => {
    const { site } = labSite();
    const attempt = () => new AppDumpCronJob(site, 'Job', { ...base(), engine: DumpEngine.postgresql({ host: 'pg', password: 'hunter2-hunter2' as never }) });
    expect(attempt).toThrow(/\[lab\/Job\] engine\.password: expected a SecretRef, got a string \(value not shown\): secret values must not be written into the stack \(hint: SecretRef\.fromSecret/);
    expect(attempt).not.toThrow(/hunter2/);
    const cmd = () =>
      new AppDumpCronJob(labSite().site, 'Job', {
        ...base(),
        image: 'alpine:3',
        engine: DumpEngine.command({ description: 'x', protects: 'x', command: 'true', extension: '.tar', settings: { DB_PASSWORD: 'hunter2-hunter2' } }),
      });
    expect(cmd).toThrow(/engine\.settings\.DB_PASSWORD: expected no credential in settings, got a value for DB_PASSWORD \(value not shown\)/);
    expect(cmd).not.toThrow(/hunter2/);
    // where a secret is kept is not a secret
    const reference = () =>
      new AppDumpCronJob(labSite().site, 'Job', {
        ...base(),
        image: 'alpine:3',
        engine: DumpEngine.command({ description: 'x', protects: 'x', command: 'true', extension: '.tar', settings: { PGPASSFILE: '/secrets/pgpass', VAULT_TOKEN_FILE: '/run/secrets/token' } }),
      });
    expect(reference).not.toThrow();
  });

  it("fails when a command engine's setting or secret would replace one of the script's own variables or the container's", () => {
    const cmd = (o: { settings?: Record<string, string>; secrets?: Record<string, SecretRef> }) => () =>
      new AppDumpCronJob(labSite().site, 'Job', { ...base(), image: 'alpine:3', engine: DumpEngine.command({ description: 'x', protects: 'x', command: 'true', extension: '.tar', ...o }) });
    expect(cmd({ settings: { BC_JOB: 'other-backup' } })).toThrow(
      /\[lab\/Job\] engine\.settings\.BC_JOB: expected a name of your own such as SOURCE_DIR: BC_\* are the dump script's own variables .*, got key "BC_JOB"/,
    );
    expect(cmd({ settings: { PATH: '/opt/bin' } })).toThrow(/\[lab\/Job\] engine\.settings\.PATH: expected a name of your own/);
    expect(cmd({ secrets: { BC_OUT_DIR: SecretRef.fromSecret('s', 'k') } })).toThrow(/\[lab\/Job\] engine\.secrets\.BC_OUT_DIR: expected a name of your own/);
  });

  it('fails when the retention is zero (or not whole days)', () => {
    const { site } = labSite();
    expect(() => new AppDumpCronJob(site, 'Job', { ...base(), retentionDays: 0 })).toThrow(/\[lab\/Job\] retentionDays: expected at least 1 day, got 0 \(hint: a retention of zero would delete the dump a run just wrote/);
    expect(() => new AppDumpCronJob(labSite().site, 'Job', { ...base(), retentionDays: 1.5 })).toThrow(/retentionDays: expected a whole number of days, got 1\.5/);
  });

  it('fails on an unknown engine option, and on an unknown prop', () => {
    const { site } = labSite();
    expect(() => new AppDumpCronJob(site, 'Job', { ...base(), engine: DumpEngine.postgresql({ host: 'pg', compresion: 'zstd' } as never) })).toThrow(/\[lab\/Job\] engine\.compresion: expected an option of the postgresql engine, got an unknown one \(hint: its options are host, port, user, password, minSize, minTables\)/);
    expect(() => new AppDumpCronJob(labSite().site, 'Job', { ...base(), retention: 14 } as never)).toThrow(/\[lab\/Job\] retention: .*not a known option/);
  });

  it('fails when an engine option has the wrong type or value', () => {
    expect(() => new AppDumpCronJob(labSite().site, 'Job', { ...base(), engine: DumpEngine.redis({ host: 'redis', dataClaim: 'Redis Data' }) })).toThrow(/\[lab\/Job\] engine\.dataClaim: expected a PersistentVolumeClaim name, got "Redis Data"/);
    expect(() => new AppDumpCronJob(labSite().site, 'Job', { ...base(), engine: DumpEngine.sqlite({ dataClaim: 'vw', database: '../etc/passwd' }) })).toThrow(/engine\.database: expected a path inside the volume/);
    expect(() => new AppDumpCronJob(labSite().site, 'Job', { ...base(), engine: DumpEngine.sqlite({ dataClaim: 'vw', database: 'db.sqlite3', busyTimeout: 30 as never }) })).toThrow(/\[lab\/Job\] engine\.busyTimeout: expected a Duration, e\.g\. Duration\.seconds\(30\)/);
    expect(() => new AppDumpCronJob(labSite().site, 'Job', { ...base(), engine: DumpEngine.etcd({ endpoints: ['https://127.0.0.1:2379'], certificates: { hostPath: '/x', secretName: 'y' } }), image: 'x:1' })).toThrow(
      /engine\.certificates: expected exactly one of hostPath or secretName/,
    );
  });

  it('fails when the etcd engine has no image, saying why the upstream one will not do', () => {
    expect(() => new AppDumpCronJob(labSite().site, 'Job', { ...base(), engine: DumpEngine.etcd({ endpoints: ['https://127.0.0.1:2379'] }) })).toThrow(/\[lab\/Job\] image: expected an image for the etcd engine, got none \(hint: the etcd project's images are distroless/);
  });

  it('fails on a bad quantity, a job id too long for a CronJob, and a claim of another namespace', () => {
    expect(() => new AppDumpCronJob(labSite().site, 'Job', { ...base(), resources: { limits: { memory: '1 GB' } } })).toThrow(/resources\.limits\.memory: expected a Kubernetes quantity such as 100m or 256Mi, got "1 GB"/);
    expect(() => new AppDumpCronJob(labSite().site, 'Job', { ...base(), jobId: 'a'.repeat(53) })).toThrow(/jobId: expected a lower-case name .* at most 52 characters/);
    const { site } = labSite();
    const volume = new NfsVolume(site, 'Vol', { name: 'pg-backup', namespace: 'other', server: '10.0.0.1', path: '/srv/nfs/pg' });
    expect(() => new AppDumpCronJob(site, 'Job', { ...base(), backupVolume: volume })).toThrow(/\[lab\/Job\] backupVolume: expected a claim in namespace dbaas, got other\/pg-backup/);
  });

  it('fails when the site reports to textfiles and no Pushgateway is given', () => {
    const app = freshApp();
    const site = new BackupSite(app, 'plain');
    expect(() => new AppDumpCronJob(site, 'Job', base())).toThrow(/\[plain\/Job\] pushgateway: expected a Pushgateway: the site reports to node-exporter textfiles, which a pod cannot write/);
  });

  it('fails when two jobs would share a CronJob name in a namespace', () => {
    const { site } = labSite();
    new AppDumpCronJob(site, 'A', base());
    expect(() => new AppDumpCronJob(site, 'B', base())).toThrow(/\[lab\/B\] name: Kubernetes CronJob "dbaas\/CronJob\/postgresql-backup" is already registered in site lab by lab\/A \(hint: Kubernetes objects are unique/);
  });

  it('NfsVolume refuses a hard mount and a Tailscale server', () => {
    const { site } = labSite();
    expect(() => new NfsVolume(site, 'V', { name: 'x', namespace: 'ns', server: '192.168.1.127', path: '/srv/nfs/x', mountOptions: ['hard'] })).toThrow(/\[lab\/V\] mountOptions: expected a soft mount/);
    expect(() => new NfsVolume(site, 'W', { name: 'x', namespace: 'ns', server: '100.100.1.2', path: '/srv/nfs/x' })).toThrow(/\[lab\/W\] server: expected a LAN address/);
  });

  it('SecretRef refuses names Kubernetes would refuse', () => {
    expect(() => SecretRef.fromSecret('PG_Creds', 'password')).toThrow(/secretName: expected a Secret name/);
  });
});
