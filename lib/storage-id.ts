import { idString } from './private/zod-helpers';

/**
 * A Proxmox storage id (`pvesm` refuses anything else). Also the shape of the disk pools
 * guests and backup storages name, which are compared with storage ids: `'local-lvm '`
 * would silently never equal `local-lvm`.
 */
export const STORAGE_ID = /^[a-z]([a-z0-9\-_.]*[a-z0-9])?$/i;
export const STORAGE_ID_MESSAGE = 'expected a storage id of letters, digits, - _ . (starting with a letter)';

/** A storage id or disk pool prop: a refused one gets the id it most likely meant (`backup-hdd` for `Backup HDD`). */
export const STORAGE_ID_SCHEMA = idString(STORAGE_ID, STORAGE_ID_MESSAGE, { lowerCase: true });
