/**
 * The words the site model uses. They are small on purpose: policy checks (3-2-1, ordering)
 * and reports count and compare them.
 */

/**
 * The form a copy takes:
 * - `snapshot`: a point-in-time copy on the same storage as the live data (LVM thin, ZFS);
 * - `image`: a whole guest image (vzdump archive, PBS snapshot);
 * - `file`: a file-level copy (rsync tree, borg archive, tarball);
 * - `app`: an application-consistent export (pg_dump, SQLite `.backup`, an app's own backup).
 * A copy of a copy (an offsite sync of a file backup) keeps the layer of its source.
 */
export type Layer = 'snapshot' | 'image' | 'file' | 'app';
export const LAYERS: readonly Layer[] = ['snapshot', 'image', 'file', 'app'];

/**
 * Where the bytes physically live. Two copies on the same medium share a failure mode; a
 * snapshot (`source-disk`) never counts as a second medium.
 * - `source-disk`: the disks that hold the live data;
 * - `local-disk`: another disk in the same machine;
 * - `nas`: a network file server;
 * - `backup-server`: a dedicated backup appliance (Proxmox Backup Server);
 * - `remote-storage`: storage rented elsewhere (Storage Box, object storage);
 * - `removable`: disks or tapes carried away.
 */
export type Medium = 'source-disk' | 'local-disk' | 'nas' | 'backup-server' | 'remote-storage' | 'removable';
export const MEDIA: readonly Medium[] = ['source-disk', 'local-disk', 'nas', 'backup-server', 'remote-storage', 'removable'];

/** Whether a copy survives the loss of the site (fire, theft, flood). */
export type Location = 'on-site' | 'off-site';
export const LOCATIONS: readonly Location[] = ['on-site', 'off-site'];

/** How bad losing an asset would be; drives inventory classification and policy. */
export type Classification = 'critical' | 'important' | 'rebuildable';
export const CLASSIFICATIONS: readonly Classification[] = ['critical', 'important', 'rebuildable'];

/** What kind of thing an asset is. */
export type AssetKind = 'guest' | 'pvc-set' | 'path' | 'database' | 'app-data';
