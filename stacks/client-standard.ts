import { Construct } from 'constructs';
import { AlertDelivery, BackupAlertRules, BackupSite, ClientStandardSite, PveHost } from '../constructs';

/**
 * The client standard (seed 003, Backup Policy Standard, client track) with the seed's
 * example VMIDs: a client deployment is this file with its own host and guests.
 */
export function clientStandardSite(scope: Construct): BackupSite {
  // No Pushgateway: jobs report through node-exporter's textfile collector.
  const site = new BackupSite(scope, 'client-standard');
  // The seed names no node or address; `pve` is the Proxmox default node name.
  const pve = new PveHost(site, 'Pve', { name: 'pve', address: 'pve' });

  new ClientStandardSite(site, 'Standard', {
    host: pve,
    guests: [
      { vmid: 100, name: 'golden-template', drillVmid: 101, notes: 'golden template' },
      // the Docker host is only proven when Docker comes up in the restored copy
      { vmid: 200, name: 'docker-host', drillVmid: 201, drillCommand: ['systemctl', 'is-active', 'docker'], notes: 'Docker host' },
      { vmid: 210, name: 'dns', drillVmid: 211, notes: 'DNS VM' },
      { vmid: 220, name: 'monitoring', drillVmid: 221, notes: 'monitoring VM' },
    ],
  });
  site.model.addDecision({
    subject: 'restore drills',
    decision: 'VM100 into VM101, VM200 into VM201 (seed), VM210 into VM211 and VM220 into VM221, quarterly at 05:00 on the 1st to 4th of Jan/Apr/Jul/Oct, each copy disconnected from the network and destroyed after the check',
    reason: "seed 003 gives the first two and recommends quarterly drills; 211 and 221 follow its +1 pattern and are not in the standard's VMID table; VM100 is drilled as a bootable VM, as the seed's procedure boots it",
  });
  site.model.addDecision({
    subject: 'nightly jobs',
    decision: 'nightly-vm100, -vm200, -vm210 and -vm220 all start at 02:00, as the seed writes them; the contention findings between them are expected',
    reason: "vzdump takes a node-wide lock, so jobs due together run one after the other; each waits at most vzdump's lockwait (180 min by default), so a deployment whose guests together take longer staggers the start times",
  });
  site.model.addDecision({
    subject: 'retention',
    decision: 'keep-last=7 on the backup-hdd storage and on each nightly job',
    reason: "seed 003's minimum (maxfiles 7, which PVE 9 removed, written as prune-backups); production deployments pass retention: Retention.keepLast(14) or more",
  });

  // ClientStandardSite turns on the client-standard policy pack (seed 003's golden rules).

  // "Backups should be monitored manually until VM220 monitoring standard is deployed" (seed 003).
  new BackupAlertRules(site, 'Alerts', {
    delivery: AlertDelivery.reviewOnly('backups are monitored manually until the VM220 monitoring standard is deployed (seed 003)'),
  });
  return site;
}
