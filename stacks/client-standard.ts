import { Construct } from 'constructs';
import { AlertDelivery, BackupAlertRules, BackupSite, ClientStandardSite, PveHost } from '../constructs';

/** What a deployment runs on its DNS and monitoring VMs, which their restore drills check. */
export interface ClientStandardOptions {
  /**
   * The resolver unit on the DNS VM (210); seed 003 names no DNS software.
   * @default 'unbound.service'
   */
  readonly dnsUnit?: string;
  /**
   * The monitoring unit on the monitoring VM (220); seed 003 names no monitoring software.
   * @default 'prometheus.service'
   */
  readonly monitoringUnit?: string;
}

/**
 * The client standard (seed 003, Backup Policy Standard, client track) with the seed's
 * example VMIDs: a client deployment is this file with its own host and guests.
 */
export function clientStandardSite(scope: Construct, opts: ClientStandardOptions = {}): BackupSite {
  const dnsUnit = opts.dnsUnit ?? 'unbound.service';
  const monitoringUnit = opts.monitoringUnit ?? 'prometheus.service';
  // No Pushgateway: jobs report through node-exporter's textfile collector.
  const site = new BackupSite(scope, 'client-standard');
  // The seed names no node or address; `pve` is the Proxmox default node name.
  const pve = new PveHost(site, 'Pve', { name: 'pve', address: 'pve' });

  new ClientStandardSite(site, 'Standard', {
    host: pve,
    guests: [
      // seed 003: restore tests are mandatory after "major baseline changes to VM100" and
      // "major stack deployments on VM200"; every drill adds OS/kernel and backup storage changes
      { vmid: 100, name: 'golden-template', drillVmid: 101, drillAfter: ['major baseline changes to VM100'], notes: 'golden template' },
      // the Docker host is only proven when Docker comes up in the restored copy
      { vmid: 200, name: 'docker-host', drillVmid: 201, drillServices: ['docker.service'], drillAfter: ['major stack deployments on VM200'], notes: 'Docker host' },
      { vmid: 210, name: 'dns', drillVmid: 211, drillServices: [dnsUnit], notes: 'DNS VM' },
      { vmid: 220, name: 'monitoring', drillVmid: 221, drillServices: [monitoringUnit], notes: 'monitoring VM' },
    ],
  });
  site.model.addDecision({
    subject: 'restore drills',
    decision: 'VM100 into VM101, VM200 into VM201 (seed), VM210 into VM211 and VM220 into VM221, quarterly at 05:00 on the 1st to 4th of Jan/Apr/Jul/Oct, each copy disconnected from the network and destroyed after the check',
    reason: "seed 003 gives the first two and recommends quarterly drills; 211 and 221 follow its +1 pattern and are not in the standard's VMID table; VM100 is drilled as a bootable VM, as the seed's procedure boots it",
  });
  site.model.addDecision({
    subject: 'drill checks',
    decision: "through the guest agent, no network needed: systemd's boot state, an IPv4 address on the copy's NIC, and each guest's services (see drill services); any failing check fails the drill",
    reason: "seed 003's procedure confirms login, networking and services; the copy's links are down (no address clash with production), so networking is checked as configuration, not reachability, which assumes the guests apply their static addresses without a carrier (ifupdown does; systemd-networkd/netplan needs ConfigureWithoutCarrier=yes or ignore-carrier, NetworkManager keeps a static profile down without one); a guest on DHCP, or one that cannot, sets drillNetworkCheck: 'none'. The first drill after deploying shows which",
  });
  site.model.addDecision({
    subject: 'degraded boot',
    decision: 'a copy whose boot ends degraded passes the boot check; the drill writes the failed units to the journal',
    reason: 'with its links down, units that need the network (wait-online, DHCP clients, network mounts) can fail in any copy, so failing on degraded would fail drills for a reason that says nothing about the backup; the service checks decide whether the services that matter came up',
  });
  site.model.addDecision({
    subject: 'drill services',
    decision: `docker.service on the Docker host (VM200), ${dnsUnit} on the DNS VM (VM210) and ${monitoringUnit} on the monitoring VM (VM220), active in each copy (clientStandardSite options dnsUnit and monitoringUnit); VM100, the template, has none`,
    reason: "seed 003 names no DNS or monitoring software; unbound is Debian's recursive resolver and Prometheus what this library's metrics and alert rules are written for; a deployment running bind9 (named.service), Pi-hole (pihole-FTL.service) or Grafana sets its own",
  });
  site.model.addDecision({
    subject: 'drills by hand',
    decision: "each drill's runbook lists the changes after which it is run by hand, with the commands: snapshot before the change, vzdump after it, then the drill",
    reason: 'seed 003 makes restore tests mandatory after major VM100 baseline changes, VM200 stack deployments, OS upgrades or kernel changes and backup storage changes, and its workflow snapshots before a change and backs up after; no timer sees those changes, and a drill run without the backup would prove the archive from before the change',
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
    delivery: AlertDelivery.reviewOnly('backups are monitored manually until the VM220 monitoring standard is deployed (seed 003)', { manualChecks: true }),
  });
  site.model.addDecision({
    subject: 'manual monitoring',
    decision: "every day, the checks in runbooks/manual-checks.md on pve: each job's last status and success within its alert's threshold, each guest's newest archive on disk, no failed vzdump task, backup-hdd mounted with room",
    reason: 'seed 003 monitors backups manually until the VM220 monitoring standard is deployed, and verifies that the job runs, the files exist on disk and Proxmox reports no errors; the checklist is derived from the same model as the undeployed alert rules, so it watches what they would',
  });
  return site;
}
