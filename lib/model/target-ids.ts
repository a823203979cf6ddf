/**
 * The target id schemes readers need to take apart again (a Proxmox storage's id for
 * `pvesm status`, a thin pool's name for `lvs`): built and parsed in one place.
 */

/** `pve-storage:<host>:<storage id>`. */
export function pveStorageTargetId(host: string, storageId: string): string {
  return `pve-storage:${host}:${storageId}`;
}

/** The Proxmox storage id of a target made by {@link pveStorageTargetId}, else undefined. */
export function pveStorageIdOf(targetId: string): string | undefined {
  return targetId.startsWith('pve-storage:') ? targetId.split(':').slice(2).join(':') : undefined;
}

/** `lvm-thin:<host>:<vg>/<pool>`. */
export function lvmThinTargetId(host: string, pool: string): string {
  return `lvm-thin:${host}:${pool}`;
}

/** The `<vg>/<pool>` of a target made by {@link lvmThinTargetId}, else undefined. */
export function lvmThinPoolOf(targetId: string): string | undefined {
  return targetId.startsWith('lvm-thin:') ? targetId.split(':').slice(2).join(':') : undefined;
}
