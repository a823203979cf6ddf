import { BackupSite } from '../../constructs';

/** Layer 2b of seed 002: application-level dumps as Kubernetes CronJobs (app dumps issue). */
export function homelabAppDumps(site: BackupSite): void {
  void site;
}
