import { BypassList, BypassRoot } from './bypass-list';
import { BackupConfigError } from './errors';
import type { SiteModel } from './model/site-model';
import type { AssetRecord, TargetRecord } from './model/types';
import type { Classification } from './model/vocabulary';

/**
 * Registers a target several constructs share (the backup disk the file backup and the NFS
 * mirror both write to), or returns the one already registered; refuses one that describes
 * the same id differently.
 */
export function sharedTarget(model: SiteModel, t: TargetRecord): TargetRecord {
  const existing = model.target(t.id);
  if (!existing) return model.addTarget(t);
  const fields = ['name', 'medium', 'location', 'host', 'path', 'mountPoint'] as const;
  const differs = fields.filter((f) => existing[f] !== t[f]);
  if (differs.length) {
    throw new BackupConfigError(t.constructPath, [
      {
        field: differs[0],
        message: `target ${t.id} is already registered by ${existing.constructPath} with ${differs.map((f) => `${f} ${JSON.stringify(existing[f])}`).join(', ')}, got ${differs.map((f) => JSON.stringify(t[f])).join(', ')}`,
        hint: 'describe the shared disk the same way in every construct that writes to it',
      },
    ]);
  }
  return existing;
}

/** The backup disk a host's jobs write to, as a target: `local-disk:<host>:<mount point>`. */
export function backupDiskTarget(host: string, mountPoint: string, constructPath: string): TargetRecord {
  return { id: `local-disk:${host}:${mountPoint}`, name: `backup disk ${mountPoint} on ${host}`, medium: 'local-disk', location: 'on-site', host, path: mountPoint, mountPoint, constructPath };
}

/**
 * The bypass leg of one root of a BypassList as an asset, `path:<host>:<root>:bypass-leg`: the
 * paths OffsiteSync's Step 2 ships straight from NFS, which the mirror leaves out.
 */
export function bypassLegAsset(host: string, root: BypassRoot, classification: Classification, constructPath: string): AssetRecord {
  return {
    id: `path:${host}:${root.path}:bypass-leg`,
    kind: 'path',
    name: root.all ? `${root.path} (all of it bypasses the mirror)` : `${root.path} on the bypass list`,
    host,
    classification,
    selector: { include: root.all ? [`${root.path}/*`] : root.names.map((n) => `${root.path}/${n}`), exclude: BypassList.IGNORED_NAMES.map((n) => `${root.path}/${n}`) },
    constructPath,
  };
}
