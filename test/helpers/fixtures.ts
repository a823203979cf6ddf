import { App } from 'cdktf';
import { BackupSite, BackupSiteProps, Guest, PveHost, PveHostProps, PveStorage, Retention } from '../../constructs';
import { freshApp } from './synth';

/** A site with one Proxmox host, for construct tests. */
export function testSite(props: BackupSiteProps = {}, hostProps: Partial<PveHostProps> = {}): { app: App; site: BackupSite; host: PveHost } {
  const app = freshApp();
  const site = new BackupSite(app, 'test', props);
  const host = new PveHost(site, 'Pve', { name: 'pve', address: '10.0.0.5', ...hostProps });
  return { app, site, host };
}

/** An NFS backup storage on the host. */
export function nfsStorage(site: BackupSite, host: PveHost, id = 'Nas'): PveStorage {
  return new PveStorage(site, id, { host, storageId: id.toLowerCase() + '-backups', type: 'nfs', server: '10.0.0.150', export: '/volume1/backups', retention: Retention.keepLast(3) });
}

export function vm(site: BackupSite, host: PveHost, vmid: number, extra: Partial<ConstructorParameters<typeof Guest>[2]> = {}): Guest {
  return new Guest(site, `Vm${vmid}`, { host, vmid, type: 'qemu', name: `vm${vmid}`, ...extra });
}

export function ct(site: BackupSite, host: PveHost, vmid: number, extra: Partial<ConstructorParameters<typeof Guest>[2]> = {}): Guest {
  return new Guest(site, `Ct${vmid}`, { host, vmid, type: 'lxc', name: `ct${vmid}`, ...extra });
}
