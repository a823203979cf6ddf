import { shellCommand } from './shell';

/** The commands that create, update and remove one Proxmox config section idempotently. */
export interface PveCommands {
  /** The plain create command (`pvesm add ...` / `pvesh create ...`), as shown to reviewers. */
  readonly create: string;
  /** Create-or-update: adopts an entry that already exists (made in the GUI or by hand). */
  readonly apply: readonly string[];
  /** Removal, a no-op when the entry is already gone. */
  readonly remove: readonly string[];
}

function options(props: readonly (readonly [string, string])[], skip: readonly string[] = []): string[] {
  return props.filter(([k]) => !skip.includes(k)).flatMap(([k, v]) => [`--${k}`, v]);
}

function deleteList(props: readonly (readonly [string, string])[], managed: readonly string[]): string[] {
  const present = new Set(props.map(([k]) => k));
  const gone = managed.filter((k) => !present.has(k));
  return gone.length ? ['--delete', gone.join(',')] : [];
}

/**
 * `pvesm add` to create, `pvesm set` to update (without the type's fixed keys, which Proxmox
 * refuses to change, and deleting managed keys that are no longer set), `pvesm remove`.
 * Never writes storage.cfg directly, so entries made in the GUI survive.
 */
export function storageCommands(
  type: string,
  id: string,
  props: readonly (readonly [string, string])[],
  fixedKeys: readonly string[],
  managedKeys: readonly string[],
): PveCommands {
  const create = shellCommand(['pvesm', 'add', type, id, ...options(props)]);
  const update = shellCommand(['pvesm', 'set', id, ...options(props, fixedKeys), ...deleteList(props, managedKeys)]);
  const exists = shellCommand(['pvesh', 'get', `/storage/${id}`]);
  return {
    create,
    apply: [`if ${exists} >/dev/null 2>&1; then`, `  ${update}`, 'else', `  ${create}`, 'fi'],
    remove: [`if ${exists} >/dev/null 2>&1; then`, `  ${shellCommand(['pvesm', 'remove', id])}`, 'fi'],
  };
}

/** `pvesh create/set/delete /cluster/backup` for a vzdump job with a fixed id. */
export function backupJobCommands(id: string, props: readonly (readonly [string, string])[], managedKeys: readonly string[]): PveCommands {
  const create = shellCommand(['pvesh', 'create', '/cluster/backup', '--id', id, ...options(props)]);
  const update = shellCommand(['pvesh', 'set', `/cluster/backup/${id}`, ...options(props), ...deleteList(props, managedKeys)]);
  const exists = shellCommand(['pvesh', 'get', `/cluster/backup/${id}`]);
  return {
    create,
    apply: [`if ${exists} >/dev/null 2>&1; then`, `  ${update}`, 'else', `  ${create}`, 'fi'],
    remove: [`if ${exists} >/dev/null 2>&1; then`, `  ${shellCommand(['pvesh', 'delete', `/cluster/backup/${id}`])}`, 'fi'],
  };
}
