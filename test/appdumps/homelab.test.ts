import { parse } from 'yaml';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PersistentVolume } from 'kubernetes-models/v1/PersistentVolume';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import * as fs from 'fs';
import * as path from 'path';
import { homelabSite } from '../../stacks/homelab';
import { hasTool, shellcheck, tempDir } from '../helpers/tools';
import { freshApp, modelOf, reviewOf, synthJson } from '../helpers/synth';
import { everyEngineSite } from './fixtures';
import { manifestsOf } from './tf-to-manifest';

const app = freshApp();
const site = homelabSite(app);
const json = synthJson(site);
const review = reviewOf(site);
const model = modelOf(site);

function cronJob(name: string): Record<string, any> {
  return (Object.values(json.resource.kubernetes_cron_job_v1) as Record<string, any>[]).find((r) => r.metadata.name === name)!;
}

function script(name: string): string {
  return cronJob(name).spec.job_template.spec.template.spec.container[0].args[0];
}

describe('homelab app-level dumps (seed 002, layer 2b)', () => {
  // seed 002: job, namespace, schedule, retention; alert stem and stale threshold from its alert table
  const SEED: [string, string, string, number, string, number][] = [
    ['postgresql-backup', 'dbaas', '0 0 * * *', 14, 'PostgreSQLBackup', 36],
    ['postgresql-backup-per-db', 'dbaas', '15 0 * * *', 14, 'PostgreSQLPerDbBackup', 36],
    ['mysql-backup', 'dbaas', '30 0 * * *', 14, 'MySQLBackup', 36],
    ['mysql-backup-per-db', 'dbaas', '45 0 * * *', 14, 'MySQLPerDbBackup', 36],
    ['etcd-backup', 'kube-system', '0 1 * * 0', 30, 'EtcdBackup', 8 * 24],
    ['vault-backup', 'vault', '0 2 * * 0', 30, 'VaultBackup', 8 * 24],
    ['redis-backup', 'redis', '0 3 * * 0', 30, 'RedisBackup', 8 * 24],
    ['vaultwarden-backup', 'vaultwarden', '0 0,6,12,18 * * *', 30, 'VaultwardenBackup', 8 * 24],
  ];

  it.each(SEED)('%s: namespace %s, schedule %s, %d days, alert stem %s, stale after %d h', (job, namespace, cron, days, alert, staleHours) => {
    const c = cronJob(job);
    expect(c.metadata.namespace).toBe(namespace);
    expect(c.spec.schedule).toBe(cron);
    expect(c.spec.concurrency_policy).toBe('Forbid');
    expect(script(job)).toContain(`BC_RETENTION_DAYS=\${BC_RETENTION_DAYS:-${days}}`);
    expect(model.job(job)).toMatchObject({ alertName: alert, staleAfterHours: staleHours, staleAfterExplicit: true, host: 'k8s' });
    expect(model.copiesBy(job)[0].retention).toBe(`${days} days`);
  });

  it('writes to /srv/nfs/<service>-backup on the Proxmox host through PV/PVC pairs', () => {
    const pvs = (Object.values(json.resource.kubernetes_persistent_volume_v1) as Record<string, any>[]).map((r) => r.spec[0].persistent_volume_source.nfs);
    expect(pvs.map((n) => n.path).sort()).toEqual(
      ['etcd', 'mysql', 'postgresql', 'postiz', 'prometheus', 'redis', 'vault', 'vaultwarden'].map((s) => `/srv/nfs/${s}-backup`),
    );
    for (const n of pvs) expect(n.server).toBe('192.168.1.127');
    expect(cronJob('postgresql-backup-per-db').spec.job_template.spec.template.spec.volume[0].persistent_volume_claim.claim_name).toBe('postgresql-backup');
    expect(script('postgresql-backup-per-db')).toContain('BC_OUT_DIR=${BC_OUT_DIR:-/backup/per-db}');
  });

  it('Vaultwarden: the backup keeps the RSA keys, attachments, sends and config.json; an hourly check pushes backup_sqlite_integrity_ok', () => {
    expect(script('vaultwarden-backup')).toContain("BC_EXTRA_FILES=${BC_EXTRA_FILES:-'required:rsa_key.pem optional:rsa_key.pub.pem optional:attachments optional:sends optional:config.json'}");
    const check = cronJob('vaultwarden-integrity-check');
    expect(check.spec.schedule).toBe('0 * * * *');
    expect(check.spec.job_template.spec.template.spec.volume).toContainEqual({ name: 'data', persistent_volume_claim: { claim_name: 'vaultwarden-data', read_only: false } });
    expect(model.signalsOf('vaultwarden-integrity-check')[0].metrics).toContain('backup_sqlite_integrity_ok');
    const spec = model.alertSpecs.find((a) => a.name === 'VaultwardenIntegrityFail')!;
    expect(spec).toMatchObject({ severity: 'critical', watches: ['backup_sqlite_integrity_ok'] });
    const route = parse(review.get('prometheus/alertmanager-route.yml')!.content);
    expect(JSON.stringify(route)).toContain('slack-infra-critical');
  });

  it('the monthly Prometheus TSDB backup and the daily Postiz dump are there, with the choices recorded', () => {
    // seed 002's first Sunday: cron days 1-7, the job checks for Sunday itself
    expect(cronJob('prometheus-backup').spec).toMatchObject({ schedule: '0 4 1-7 * *', timezone: 'UTC' });
    expect(model.job('prometheus-backup')).toMatchObject({ alertName: 'PrometheusBackup', classification: 'rebuildable' });
    expect(script('prometheus-backup')).toContain('BC_RETENTION_DAYS=${BC_RETENTION_DAYS:-90}');
    const postiz = cronJob('postiz-postgres-backup');
    expect(postiz.metadata.namespace).toBe('postiz');
    expect(postiz.spec.schedule).toBe('0 1 * * *');
    expect(script('postiz-postgres-backup')).toContain('BC_DATABASES=${BC_DATABASES:-postiz}');
    expect(script('postiz-postgres-backup')).toContain('BC_OUT_DIR=${BC_OUT_DIR:-/backup}');
    const subjects = model.decisions.map((d) => d.subject);
    for (const s of ['postiz-postgres-backup', 'prometheus-backup', 'Pushgateway', 'app dump paths', 'etcd backup image']) expect(subjects).toContain(s);
  });

  it('deploys the Pushgateway the host scripts reach on NodePort 30091, persisted, and the site says so', () => {
    const deployment = Object.values(json.resource.kubernetes_deployment_v1)[0] as Record<string, any>;
    expect(deployment.metadata.namespace).toBe('monitoring');
    expect(deployment.spec.template.spec.container[0].args).toEqual(['--persistence.file=/data/pushgateway.bin', '--persistence.interval=1m']);
    const service = Object.values(json.resource.kubernetes_service_v1)[0] as Record<string, any>;
    expect(service.spec.port[0].node_port).toBe(30091);
    const pvc = (Object.values(json.resource.kubernetes_persistent_volume_claim_v1) as Record<string, any>[]).find((r) => r.metadata.name === 'pushgateway-data')!;
    expect(pvc.spec).toMatchObject({ storage_class_name: 'proxmox-lvm-encrypted', resources: { requests: { storage: '2Gi' } } });
    expect(model.findings.filter((f) => f.rule === 'pushgateway-persistence')).toEqual([]);
    for (const name of ['postgresql-backup', 'vaultwarden-integrity-check']) {
      expect(cronJob(name).spec.job_template.spec.template.spec.container[1].args[0]).toContain('BC_PUSHGATEWAY=${BC_PUSHGATEWAY:-http://pushgateway.monitoring.svc:9091}');
    }
  });

  (hasTool('shellcheck', 'shellcheck') ? it : it.skip)('every dump, check and report script of the stack passes shellcheck', () => {
    const dir = tempDir();
    const jobs = Object.values(json.resource.kubernetes_cron_job_v1) as Record<string, any>[];
    expect(jobs.map((j) => j.metadata.name).sort()).toEqual(
      [...SEED.map(([job]) => job), 'vaultwarden-integrity-check', 'prometheus-backup', 'postiz-postgres-backup'].sort(),
    );
    for (const job of jobs) {
      const pod = job.spec.job_template.spec.template.spec;
      for (const c of pod.container) {
        const file = path.join(dir, `${job.metadata.name}-${c.name}.sh`);
        fs.writeFileSync(file, c.args[0]);
        expect({ file: path.basename(file), ...shellcheck(file) }).toEqual({ file: path.basename(file), status: 0, output: '' });
      }
    }
  });

  it('every Kubernetes object of the stack is reviewed, equal to its Terraform resource', () => {
    const fromTerraform = manifestsOf(json);
    const reviewed = [...review.keys()].filter((p) => p.startsWith('k8s/'));
    expect(reviewed.sort()).toEqual([...fromTerraform.keys()].sort());
    for (const [file, manifest] of fromTerraform) expect({ file, manifest: parse(review.get(file)!.content) }).toEqual({ file, manifest });
  });
});

describe('the reviewed manifests pass the Kubernetes schemas (kubernetes-models)', () => {
  const MODELS: Record<string, { new (data: any): { validate(): void } }> = { CronJob, Deployment, PersistentVolume, PersistentVolumeClaim, Service, ConfigMap };
  const sites = { homelab: review, 'every engine': reviewOf(everyEngineSite().site) };

  it.each(Object.keys(sites))('%s', (name) => {
    const files = [...sites[name as keyof typeof sites].entries()].filter(([p]) => p.startsWith('k8s/'));
    expect(files.length).toBeGreaterThan(10);
    for (const [file, f] of files) {
      const m = parse(f.content);
      const Model = MODELS[m.kind];
      expect({ file, known: Model !== undefined }).toEqual({ file, known: true });
      expect(() => new Model(m).validate()).not.toThrow();
    }
  });

  it('and the check can fail: a CronJob with a bad concurrency policy and a bad quantity is refused', () => {
    const file = [...review.entries()].find(([p]) => p === 'k8s/dbaas/cronjob-postgresql-backup.yaml')![1];
    const m = parse(file.content);
    m.spec.concurrencyPolicy = 'Sometimes';
    m.spec.jobTemplate.spec.template.spec.containers[0].resources.limits.memory = 'lots';
    expect(() => new CronJob(m).validate()).toThrow(/concurrencyPolicy must be equal to one of the allowed values[\s\S]*memory/);
  });
});
