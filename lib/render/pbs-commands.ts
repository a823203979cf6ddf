import type { Removal } from './install-script';
import { shellCommand } from './shell';

/** Create-or-update and removal lines for one Proxmox Backup Server setting. */
export interface PbsCommands {
  /** The plain create (or set) command, as shown to reviewers. */
  readonly create: string;
  /** Create-or-update: adopts an entry that exists already (made in the GUI or by hand). */
  readonly apply: readonly string[];
  /** Removal, a no-op when the entry is already gone; none for a setting removal leaves. */
  readonly removal?: Removal;
}

const PBM = 'proxmox-backup-manager';

function options(props: readonly (readonly [string, string])[]): string[] {
  return props.flatMap(([k, v]) => [`--${k}`, v]);
}

/** PBS takes a list of properties to delete as one `--delete` per property. */
function deletions(props: readonly (readonly [string, string])[], deletable: readonly string[]): string[] {
  const present = new Set(props.map(([k]) => k));
  return deletable.filter((k) => !present.has(k)).flatMap((k) => ['--delete', k]);
}

/**
 * A verify or prune job (`proxmox-backup-manager verify-job|prune-job create|update|remove`),
 * applied entry by entry so jobs made in the GUI survive. `props` must hold `store` first.
 *
 * @param kind `verify-job` or `prune-job`
 * @param deletable properties `update --delete` accepts for this kind, cleared when not set
 * @see https://pbs.proxmox.com/docs/maintenance.html
 */
export function pbsJobCommands(kind: 'verify-job' | 'prune-job', id: string, props: readonly (readonly [string, string])[], deletable: readonly string[]): PbsCommands {
  const create = shellCommand([PBM, kind, 'create', id, ...options(props)]);
  const update = shellCommand([PBM, kind, 'update', id, ...options(props), ...deletions(props, deletable)]);
  const exists = shellCommand([PBM, kind, 'show', id]);
  return {
    create,
    apply: [`if ${exists} >/dev/null 2>&1; then`, `  ${update}`, 'else', `  ${create}`, 'fi'],
    removal: { entry: `pbs-${kind}:${id}`, lines: [`if ${exists} >/dev/null 2>&1; then`, `  ${shellCommand([PBM, kind, 'remove', id])}`, 'fi'] },
  };
}

/**
 * The garbage-collection schedule of a datastore (`datastore update <store> --gc-schedule`).
 * Removal leaves the schedule in place on purpose: a datastore without garbage collection
 * never frees the chunks its prune jobs release, and fills up.
 */
export function pbsGcCommands(store: string, schedule: string): PbsCommands {
  const set = shellCommand([PBM, 'datastore', 'update', store, '--gc-schedule', schedule]);
  return { create: set, apply: [set] };
}

/** Fails the apply with a clear message when the datastore does not exist yet. */
export function pbsDatastoreGuard(store: string, host: string): string[] {
  return [
    `if ! ${shellCommand([PBM, 'datastore', 'show', store])} >/dev/null 2>&1; then`,
    `  echo ${shellCommand([`datastore ${store} does not exist on ${host}: create it first (${PBM} datastore create ${store} <path>)`])} >&2`,
    '  exit 1',
    'fi',
  ];
}
