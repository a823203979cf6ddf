import { Problem } from './errors';
import { isWithin, overlapping } from './paths';

/**
 * Folders a job's work directory may not be: the job empties its work directory at the start
 * of every run (`find "$WORK_DIR" -mindepth 1 -delete`), and these hold other things.
 */
const SHARED_FOLDERS = new Set([
  '/', '/bin', '/boot', '/dev', '/etc', '/home', '/lib', '/media', '/mnt', '/opt', '/proc', '/root', '/run', '/sbin', '/srv', '/sys', '/tmp', '/usr', '/usr/local', '/var', '/var/backups', '/var/cache', '/var/lib', '/var/log', '/var/tmp',
  // Proxmox's own storage folders
  '/var/lib/vz', '/mnt/pve',
  // the parents of every job's own default work and state folders
  '/run/backup-constructs', '/var/lib/backup-constructs',
]);

/** A folder a job writes to or reads from on the host, which its work directory must stay out of. */
export interface KeptFolder {
  readonly path: string;
  /** Who keeps it there, for the message: `this job's root`, `home/Mirror's work directory`. */
  readonly what: string;
}

/** Without a trailing slash. */
function normalize(p: string): string {
  return p.replace(/\/+$/, '') || '/';
}

/**
 * Problems with a work directory (a path as ABSOLUTE_PATH takes it: spelt one way, so it can be
 * compared with the folders below as written): one of the host's shared folders, or the same as, inside or
 * around a folder another job works in or a folder holding data (its own backup root, another
 * job's work directory). Each would have that folder's contents deleted on every run.
 */
export function workDirectoryProblems(workDirectory: string, jobId: string, kept: readonly KeptFolder[]): Problem[] {
  const hint = `leave workDirectory unset (/run/backup-constructs/${jobId}) or give the job a folder of its own, e.g. /var/lib/backup-work/${jobId}`;
  const dir = normalize(workDirectory);
  if (SHARED_FOLDERS.has(dir)) {
    return [{ field: 'workDirectory', message: `expected a folder of this job's own, got ${dir}, which holds other things: the job empties its work directory on every run`, hint }];
  }
  const clash = kept.map((k) => ({ ...k, path: normalize(k.path) })).find((k) => overlapping(dir, k.path));
  if (clash) {
    return [{ field: 'workDirectory', message: `expected a folder of this job's own, got ${dir}, which ${dir === clash.path ? 'is' : isWithin(dir, clash.path) ? 'lies inside' : 'holds'} ${clash.what} (${clash.path}): the job empties its work directory on every run`, hint }];
  }
  return [];
}
