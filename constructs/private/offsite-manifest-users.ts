import type { IConstruct } from 'constructs';
import type { Problem } from '../../lib/errors';
import type { OffsiteManifest } from '../../lib/offsite-manifest';
import type { Host } from '../host';
import { membersOf, registerMember } from './site-anchor';

/** How a construct uses a manifest: writers only append, the consumer ships and removes lines. */
export type ManifestRole = 'writer' | 'consumer';

/** One construct's use of a manifest file on a host. */
export interface ManifestUse {
  readonly host: Host;
  readonly manifest: OffsiteManifest;
  readonly role: ManifestRole;
}

const KIND = 'offsite-manifest-user';
const USES = new WeakMap<IConstruct, ManifestUse>();

/** The other constructs of the site that use the same manifest file on the same host. */
function sharing(scope: IConstruct, use: ManifestUse): { construct: IConstruct; use: ManifestUse }[] {
  return membersOf(scope, KIND)
    .map((construct) => ({ construct, use: USES.get(construct)! }))
    .filter((o) => o.construct !== scope && o.use.host.name === use.host.name && o.use.manifest.file === use.manifest.file);
}

/** Why each setting of a manifest must be the same for every user of its file. */
const SETTINGS: readonly { field: 'lockFile' | 'root' | 'maxLines'; why: string }[] = [
  { field: 'lockFile', why: 'under two locks a line appended while the sync removes what it shipped is lost' },
  { field: 'root', why: 'the listed paths are relative to the root, so the sync would look for them in another folder' },
  { field: 'maxLines', why: "one file has one cap, the consumer's" },
];

const ROLE_NAMES: Record<ManifestRole, string> = { writer: 'a writer', consumer: 'its consumer' };

/**
 * What is wrong with `scope` using `use.manifest` beside the site's other users of that file on
 * that host: other settings than theirs (every writer and the consumer must take one lock and
 * read paths against one root), or a second consumer (each removes the lines it shipped, so
 * the other never sees them). Call it before registering, so a refused construct leaves no
 * claim behind.
 */
export function manifestUseProblems(scope: IConstruct, use: ManifestUse): Problem[] {
  const problems: Problem[] = [];
  const others = sharing(scope, use);
  for (const other of others) {
    const differs = SETTINGS.filter((s) => other.use.manifest[s.field] !== use.manifest[s.field]);
    if (!differs.length) continue;
    problems.push({
      field: 'manifest',
      message: `expected ${use.manifest.file} on ${use.host.name} with the settings ${other.construct.node.path} (${ROLE_NAMES[other.use.role]}) uses, got ${differs
        .map((d) => `${d.field} ${use.manifest[d.field]} instead of ${other.use.manifest[d.field]} (${d.why})`)
        .join(', ')}`,
      hint: `build one OffsiteManifest per file and pass that value to every writer and the off-site sync, as ${other.construct.node.path} gets it`,
    });
    break;
  }
  const consumer = use.role === 'consumer' ? others.find((o) => o.use.role === 'consumer') : undefined;
  if (consumer) {
    const path = scope.node.path;
    problems.push({
      field: 'manifest',
      message: `expected a manifest no other off-site sync consumes, got ${use.manifest.file} on ${use.host.name}, which ${consumer.construct.node.path} consumes: each sync removes the lines it shipped, so the other ships nothing of them (its full sync aside) while the model counts its copy`,
      hint: `a manifest file has one consumer: ship these writers from ${consumer.construct.node.path} alone, or give ${path} its own OffsiteManifest (another file) and writers of its own appending to it (FileBackup and NfsMirror append to one manifest each, so the same writers cannot fill two)`,
    });
  }
  return problems;
}

/** Records that `c` uses a manifest, once it has been accepted. */
export function registerManifestUse(c: IConstruct, use: ManifestUse): void {
  USES.set(c, use);
  registerMember(KIND, c);
}

/**
 * The manifest files of the site on `host` that `texts` (a job's body and settings) name,
 * when `scope` is not inside one of the manifest's own users: a hand-written job touching the
 * manifest bypasses its lock and its one consumer (seed 002's incident S1: two scripts
 * truncated one manifest, and files never reached the off-site copy).
 */
export function manifestsNamedOutsideUsers(scope: IConstruct, host: string, texts: readonly string[]): { file: string; user: IConstruct }[] {
  const users = membersOf(scope, KIND).map((construct) => ({ construct, use: USES.get(construct)! }));
  if (users.some((u) => scope.node.scopes.includes(u.construct))) return [];
  const named = new Map<string, IConstruct>();
  for (const u of users) {
    if (u.use.host.name !== host || named.has(u.use.manifest.file)) continue;
    if (texts.some((t) => t.includes(u.use.manifest.file))) named.set(u.use.manifest.file, u.construct);
  }
  return [...named].map(([file, user]) => ({ file, user }));
}
