/** Whether folder `a` is `b` or lies inside it. */
export function isWithin(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b.replace(/\/+$/, '')}/`);
}

/** Whether two folders are one, or one lies inside the other (what one job deletes, the other loses). */
export function overlapping(a: string, b: string): boolean {
  return isWithin(a, b) || isWithin(b, a);
}

/**
 * Problems with a job's `mountPoint` (the backup disk's mount the job refuses to run without):
 * `/` is always mounted and a folder beside the one the job writes guards another filesystem,
 * so with either an unmounted disk turns into writes, and `rsync --delete`, on the root disk.
 *
 * @param folder what the job writes or reads on the disk, named by `folderField`
 */
export function mountPointProblems(mountPoint: string, folder: string, folderField: string): { field: string; message: string; hint: string }[] {
  const mount = mountPoint.replace(/\/+$/, '') || '/';
  if (mount === '/') {
    return [{ field: 'mountPoint', message: 'expected the mount point of the backup disk, not / (always mounted, so it guards nothing)', hint: `the folder the disk is mounted on, e.g. mountPoint: '${folder.split('/').slice(0, 3).join('/')}', or omit it when ${folderField} is the mount point` }];
  }
  if (!isWithin(folder, mount)) {
    return [{ field: 'mountPoint', message: `expected ${folder} (${folderField}) or a folder above it, got ${mountPoint}: a mount point elsewhere guards another filesystem`, hint: `the mount point ${folder} lies under, or omit mountPoint when ${folderField} is the mount point` }];
  }
  return [];
}
