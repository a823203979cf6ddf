import { Construct } from 'constructs';
import { BackupSite, Guest, NfsMount, PveHost, PveStorage, Retention, Schedule, VzdumpJob } from '../constructs';

/**
 * The shape of the generated large site. 10 hosts x 100 guests = 1,000 guests; 10 jobs per
 * host = 100 jobs of 10 guests; every job installs one hook script and every host has 10 NFS
 * mounts (one host file each), so 100 + 100 = 200 host files. Each mount, storage and job is
 * delivered by one null_resource, and each host has its sweep: 310 resources.
 */
export const LARGE_SITE = {
  siteId: 'bench-large',
  hosts: 10,
  guestsPerHost: 100,
  jobsPerHost: 10,
  /** One NfsMount and one dir PveStorage on top of it per job, so every job has its own target. */
  mountsPerHost: 10,
} as const;

/** Totals the benchmark prints and checks the generated site against. */
export const LARGE_SITE_TOTALS = {
  hosts: LARGE_SITE.hosts,
  guests: LARGE_SITE.hosts * LARGE_SITE.guestsPerHost,
  jobs: LARGE_SITE.hosts * LARGE_SITE.jobsPerHost,
  hostFiles: LARGE_SITE.hosts * (LARGE_SITE.jobsPerHost + LARGE_SITE.mountsPerHost),
  // and each host's sweep (runs the removals of what the program no longer installs)
  resources: LARGE_SITE.hosts * (LARGE_SITE.mountsPerHost * 2 + LARGE_SITE.jobsPerHost + 1),
} as const;

const CLASSES = ['critical', 'important', 'rebuildable'] as const;

/** Two-digit, zero-padded: keeps construct ids and job ids the same length and sortable. */
function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * Builds the large site with the library's public constructs only, deterministically: the
 * same ids, vmids and values on every run, so runs (and the bare program's copy of the
 * resources) are comparable.
 *
 * Rules kept so the site is valid (the constructs would refuse it otherwise): construct ids
 * are PascalCase and unique in the stack, job ids are lower-case `[a-z][a-z0-9-]+`, vmids are
 * unique and >= 100, each guest is in exactly one job, and a job only uses a storage and
 * guests of its own host.
 */
export function largeSite(scope: Construct): BackupSite {
  const site = new BackupSite(scope, LARGE_SITE.siteId);
  let vmid = 100;
  for (let h = 1; h <= LARGE_SITE.hosts; h++) {
    const hostName = `pve${pad(h)}`;
    const hostId = `Pve${pad(h)}`;
    const host = new PveHost(site, hostId, { name: hostName, address: `10.0.${h}.10` });

    // NFS mounts in both styles (they render different host files), each under a dir storage.
    const storages: PveStorage[] = [];
    for (let m = 1; m <= LARGE_SITE.mountsPerHost; m++) {
      const mount = new NfsMount(site, `${hostId}Nas${pad(m)}`, {
        host,
        server: `10.0.100.${m}`,
        export: `/volume1/backups/${hostName}-${pad(m)}`,
        mountPoint: `/mnt/nas-${pad(m)}`,
        style: m % 2 === 0 ? 'mount-unit' : 'fstab',
      });
      storages.push(
        new PveStorage(site, `${hostId}Storage${pad(m)}`, {
          host,
          storageId: `nas-${pad(m)}`,
          type: 'dir',
          path: mount.mountPoint,
          content: ['backup'],
          retention: Retention.keepLast(3 + (m % 5)),
          medium: 'nas',
          location: m % 3 === 0 ? 'off-site' : 'on-site',
        }),
      );
    }

    // Guests in blocks of guestsPerHost/jobsPerHost, one block per job: each guest in one job.
    const perJob = LARGE_SITE.guestsPerHost / LARGE_SITE.jobsPerHost;
    let previous: VzdumpJob | undefined;
    for (let j = 1; j <= LARGE_SITE.jobsPerHost; j++) {
      const classification = CLASSES[(j - 1) % CLASSES.length];
      const guests: Guest[] = [];
      for (let g = 0; g < perJob; g++, vmid++) {
        // Every third guest a container: unprivileged CTs on NFS exercise the tmpdir rule.
        const lxc = vmid % 3 === 0;
        guests.push(
          new Guest(site, `${hostId}Guest${vmid}`, {
            host,
            vmid,
            type: lxc ? 'lxc' : 'qemu',
            name: `${lxc ? 'ct' : 'vm'}-${vmid}`,
            classification,
            state: vmid % 10 === 7 ? 'stopped' : 'running',
          }),
        );
      }
      const job: VzdumpJob = new VzdumpJob(site, `${hostId}Job${pad(j)}`, {
        host,
        jobId: `backup-${hostName}-job${pad(j)}`,
        // pairs of jobs: the odd one on the hour, the even one 90 minutes later and after it
        schedule: Schedule.daily(j % 2 === 1 ? `${pad(1 + (Math.floor((j - 1) / 2) % 5))}:00` : `${pad(2 + (Math.floor((j - 1) / 2) % 5))}:30`),
        storage: storages[j - 1],
        guests,
        // Some jobs override the storage's retention, some run after the previous job.
        retention: j % 4 === 0 ? Retention.gfs(7, 4, 6) : undefined,
        after: j % 2 === 0 && previous ? [previous] : undefined,
        classification,
      });
      previous = job;
    }
  }
  return site;
}
