import type { Removal } from './install-script';
import { shellCommand } from './shell';

/** The commands that create, update and remove one Proxmox config section idempotently. */
export interface PveCommands {
  /** The plain create command (`pvesm add ...` / `pvesh create ...`), as shown to reviewers. */
  readonly create: string;
  /** Create-or-update: adopts an entry that already exists (made in the GUI or by hand). */
  readonly apply: readonly string[];
  /** Removal, a no-op when the entry is already gone. */
  readonly removal: Removal;
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
 * Fails when an existing storage section differs in a key Proxmox will not change in place
 * (an NFS server, an export, a path), or is of another type: `pvesm set` would leave it, and
 * the program would silently adopt a storage on another server (seed 001: the NAS must be
 * reached by its LAN address, never the Tailscale one). Reads storage.cfg as Proxmox writes it.
 */
const FIXED_KEY_CHECK = [
  '$0 == hdr { s = 1; seen = 1; next }',
  '/^[A-Za-z0-9]+: / { s = 0 }',
  's && $1 == key { v = $0; sub(/^[ \\t]+[^ \\t]+[ \\t]*/, "", v); got = v; found = 1 }',
  'END {',
  '  if (!seen) { print "storage.cfg has no section \\"" hdr "\\": a storage of that id but another type exists; remove it (pvesm remove) or choose another storageId" > "/dev/stderr"; exit 1 }',
  '  if (got != want) { print "storage \\"" hdr "\\" has " key " " (found ? got : "(unset)") ", the program says " want ": Proxmox cannot change it in place; remove the storage (pvesm remove) or correct the program" > "/dev/stderr"; exit 1 }',
  '}',
].join('\n');

function fixedKeyChecks(type: string, id: string, props: readonly (readonly [string, string])[], fixedKeys: readonly string[]): string[] {
  const fixed = props.filter(([k]) => fixedKeys.includes(k));
  if (!fixed.length) return [];
  return [
    `bc_fixed_key=${shellCommand([FIXED_KEY_CHECK])}`,
    ...fixed.map(([k, v]) => `${shellCommand(['awk', '-v', `hdr=${type}: ${id}`, '-v', `key=${k}`, '-v', `want=${v}`])} "$bc_fixed_key" "$R/etc/pve/storage.cfg"`),
  ];
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
    apply: [`if ${exists} >/dev/null 2>&1; then`, ...fixedKeyChecks(type, id, props, fixedKeys).map((l) => `  ${l}`), `  ${update}`, 'else', `  ${create}`, 'fi'],
    removal: { entry: `pve-storage:${id}`, lines: [`if ${exists} >/dev/null 2>&1; then`, `  ${shellCommand(['pvesm', 'remove', id])}`, 'fi'] },
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
    removal: { entry: `pve-backup-job:${id}`, lines: [`if ${exists} >/dev/null 2>&1; then`, `  ${shellCommand(['pvesh', 'delete', `/cluster/backup/${id}`])}`, 'fi'] },
  };
}
