import type { Problem } from './errors';

/** Whether folder `a` is `b` or lies inside it. */
export function isWithin(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b.replace(/\/+$/, '')}/`);
}

/** Whether two folders are one, or one lies inside the other (what one job deletes, the other loses). */
export function overlapping(a: string, b: string): boolean {
  return isWithin(a, b) || isWithin(b, a);
}

/**
 * Problems with the mount point a job or storage refuses to work without (a job's
 * `mountPoint`, a storage's `isMountpoint`): `/` is always mounted and a folder beside the
 * one written guards another filesystem, so with either an unmounted disk turns into writes,
 * and `rsync --delete` or pruning, on the root disk.
 *
 * @param folder what is written on the disk, named by `o.folderField` in the message
 * @param o.whenSame the fix when `folder` is itself the mount point (`omit it when root is the mount point`)
 */
export function mountPointProblems(mountPoint: string, folder: string, o: { field: string; folderField?: string; whenSame: string }): Problem[] {
  const mount = mountPoint.replace(/\/+$/, '') || '/';
  if (mount === '/') {
    return [{ field: o.field, message: 'expected the mount point of the backup disk, not / (always mounted, so it guards nothing)', hint: `the folder the disk is mounted on, e.g. ${o.field}: '${folder.split('/').slice(0, 3).join('/')}', or ${o.whenSame}` }];
  }
  if (!isWithin(folder, mount)) {
    return [{ field: o.field, message: `expected ${folder}${o.folderField ? ` (${o.folderField})` : ''} or a folder above it, got ${mountPoint}: a mount point elsewhere guards another filesystem`, hint: `the mount point ${folder} lies under, or ${o.whenSame}` }];
  }
  return [];
}

/** Files the system owns: installed whole by a construct, or rewritten by a job, each breaks the host. */
const SYSTEM_FILES = new Set([
  '/etc/passwd', '/etc/shadow', '/etc/group', '/etc/gshadow', '/etc/sudoers', '/etc/hosts', '/etc/hostname', '/etc/fstab',
  '/etc/crontab', '/etc/resolv.conf', '/etc/network/interfaces', '/etc/ssh/sshd_config', '/etc/exports', '/etc/environment',
]);
/** Folders the system's packages own (a construct's tools go under /usr/local or /etc/<tool>). */
const SYSTEM_FOLDERS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/usr/bin', '/usr/sbin', '/usr/lib', '/usr/libexec', '/boot', '/dev', '/proc', '/sys', '/etc/pve', '/etc/ssh', '/etc/sudoers.d', '/etc/pam.d'];

/**
 * Why a file a construct writes whole would break the host (the user database, a system tool,
 * a Proxmox cfg only pvesm/pvesh may write), or undefined. Removing the construct would also
 * delete it. Managed blocks in a shared file (`/etc/fstab`) are not whole files.
 */
export function systemFileReason(path: string): string | undefined {
  if (SYSTEM_FILES.has(path)) return `${path} is the system's own file: writing it whole would replace what the host keeps there, and removing the construct would delete it`;
  const folder = SYSTEM_FOLDERS.find((f) => isWithin(path, f));
  if (folder) return `${path} lies in ${folder}, which the system's packages (or Proxmox's tools) own: a package upgrade would replace it, or it would replace a system tool`;
  return undefined;
}
