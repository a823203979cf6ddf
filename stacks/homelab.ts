import { Construct } from 'constructs';
import { BackupAlertRules, BackupSite, MetricsSink, PveHost } from '../constructs';
import { homelabAppDumps } from './homelab/app-dumps';
import { homelabHostPipeline } from './homelab/host-pipeline';

/**
 * The homelab (seed 002, backup-dr.md): a Proxmox host with LVM thin snapshots, a daily file
 * backup to the sda backup disk, a weekly NFS mirror, a two-leg offsite sync to the Synology,
 * and application-level dumps as Kubernetes CronJobs.
 */
export function homelabSite(scope: Construct): BackupSite {
  const site = new BackupSite(scope, 'homelab', {
    // Scripts on the host push to the in-cluster Pushgateway through its NodePort (30091);
    // the seed names no node, so the cluster's DNS name is used. It runs with
    // --persistence.file on a 2Gi PVC (seed 002, "Pushgateway persistence").
    metrics: MetricsSink.pushgateway('http://k8s.viktorbarzin.lan:30091', { persistence: true }),
  });
  const pve = new PveHost(site, 'Pve', { name: 'pve', address: '192.168.1.127' });
  homelabHostPipeline(site, pve);
  homelabAppDumps(site);
  // Seed 002's routing: every backup alert to #infra-alerts, integrity failures to
  // #infra-critical; its BackupDiskFull fires above 85 % on /mnt/backup.
  new BackupAlertRules(site, 'Alerts', { diskFullRatio: 0.85, receiver: 'slack-infra-alerts', criticalReceiver: 'slack-infra-critical' });
  return site;
}
