import { BackupSite, PveHost } from '../../constructs';

/** Layers 1, 2, 3 and 3a of seed 002 on the Proxmox host (host pipeline issue). */
export function homelabHostPipeline(site: BackupSite, pve: PveHost): void {
  void site;
  void pve;
}
