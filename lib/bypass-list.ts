import { BackupConfigError, Problem } from './errors';
import { FOLDER_PATH } from './path-schema';

/** Which route an NFS path takes to the off-site copy. */
export type NfsLeg = 'mirror' | 'bypass' | 'none';

/** One NFS root of a {@link BypassList}. */
export interface BypassRoot {
  /** Absolute folder, without a trailing slash (`/srv/nfs`). */
  readonly path: string;
  /** Every top-level entry of the root bypasses the local mirror. */
  readonly all: boolean;
  /** Top-level names (globs with `*`) that bypass the mirror; empty when `all`. */
  readonly names: readonly string[];
}

const NAME = /^[A-Za-z0-9._+*-]+$/;

/**
 * The one list that splits NFS data between the two routes to the off-site copy (seed 002's
 * "two-leg invariant"): a top-level entry of a root whose name matches the list bypasses the
 * local mirror and is shipped straight from NFS (OffsiteSync Step 2); every other entry is
 * mirrored to the backup disk (NfsMirror) and shipped from there (Step 1). Both scripts are
 * rendered from the same value, so no path can take both routes or neither.
 *
 * Names are matched against top-level entries only, as whole names; `*` matches any run of
 * characters (`*-backup`). `lost+found` at the top of a root is filesystem metadata, not
 * data, and takes no route.
 */
export class BypassList {
  /** Top-level names neither route carries: filesystem metadata, not data. */
  static readonly IGNORED_NAMES: readonly string[] = ['lost+found'];

  /**
   * A list from roots to the names that bypass the mirror, or `'all'` for a root that
   * bypasses it entirely, e.g.
   * `BypassList.of({ '/srv/nfs': ['immich', '*-backup'], '/srv/nfs-ssd': 'all' })`.
   */
  static of(roots: Readonly<Record<string, readonly string[] | 'all'>>): BypassList {
    const problems: Problem[] = [];
    const list: BypassRoot[] = [];
    for (const [path, names] of Object.entries(roots)) {
      // as every folder prop: plain characters (the path lands in scripts and rsync rules), one spelling
      const checked = FOLDER_PATH.safeParse(path);
      if (!checked.success) {
        problems.push({ field: `roots.${path}`, message: `${checked.error.issues[0].message}, got ${JSON.stringify(path)}`, hint: "e.g. '/srv/nfs'" });
        continue;
      }
      if (names === 'all') {
        list.push({ path, all: true, names: [] });
        continue;
      }
      if (!Array.isArray(names) || names.length === 0) {
        problems.push({ field: `roots.${path}`, message: `expected a non-empty list of names or 'all', got ${JSON.stringify(names)}`, hint: "list the top-level folders that bypass the mirror, or pass 'all'" });
        continue;
      }
      for (const n of names) {
        if (!NAME.test(n) || n === '.' || n === '..' || /^\*+$/.test(n)) {
          problems.push({ field: `roots.${path}`, message: `expected a top-level name (letters, digits, . _ + - and * as a wildcard), got ${JSON.stringify(n)}`, hint: "use 'all' for a whole root; names match top-level entries only" });
        } else if (BypassList.IGNORED_NAMES.includes(n)) {
          problems.push({ field: `roots.${path}`, message: `${n} is filesystem metadata that neither route carries, got it in the list`, hint: 'remove it' });
        }
      }
      const dupes = names.filter((n, i) => names.indexOf(n) !== i);
      if (dupes.length) problems.push({ field: `roots.${path}`, message: `expected each name once, got ${dupes.join(', ')} twice` });
      list.push({ path, all: false, names: [...names].sort() });
    }
    for (const a of list) {
      for (const b of list) {
        if (a !== b && b.path.startsWith(`${a.path}/`)) {
          problems.push({ field: `roots.${b.path}`, message: `expected roots that do not nest, got ${b.path} inside ${a.path}`, hint: 'a path must belong to one root; list the inner folder as a name of the outer root' });
        }
      }
    }
    if (list.length === 0 && problems.length === 0) problems.push({ field: 'roots', message: 'expected at least one root, got none' });
    if (problems.length) throw new BackupConfigError('BypassList', problems);
    return new BypassList(list.sort((a, b) => (a.path < b.path ? -1 : 1)));
  }

  private constructor(readonly roots: readonly BypassRoot[]) {}

  /** The root an absolute path lies in (or is), if any. */
  rootOf(path: string): BypassRoot | undefined {
    return this.roots.find((r) => path === r.path || path.startsWith(`${r.path}/`));
  }

  /** The root with exactly this path. */
  root(path: string): BypassRoot | undefined {
    return this.roots.find((r) => r.path === path);
  }

  /** Whether a top-level name of a root bypasses the mirror. */
  bypasses(root: BypassRoot, name: string): boolean {
    if (BypassList.IGNORED_NAMES.includes(name)) return false;
    return root.all || root.names.some((n) => globToRegExp(n).test(name));
  }

  /**
   * The route an absolute path takes: `bypass` (Step 2 straight from NFS), `mirror` (to the
   * backup disk, then Step 1), or `none` (outside every root, a root itself, or metadata).
   */
  legOf(path: string): NfsLeg {
    const root = this.rootOf(path);
    if (!root || path === root.path) return 'none';
    const name = path.slice(root.path.length + 1).split('/')[0];
    if (BypassList.IGNORED_NAMES.includes(name)) return 'none';
    return this.bypasses(root, name) ? 'bypass' : 'mirror';
  }

  /** A bash `case` pattern list (`immich|*-backup`) of a root's bypass names; `*` for an 'all' root. */
  casePattern(root: BypassRoot): string {
    return root.all ? '*' : root.names.join('|');
  }

  /**
   * An extended regular expression that matches a path relative to the root (`immich/a.jpg`)
   * when its top-level entry is in the list; apply {@link ignoredRegex} as well, which ERE
   * cannot express as a negation.
   */
  relativePathRegex(root: BypassRoot): string {
    return root.all ? '^[^/]+' : `^(${root.names.map(globToEre).join('|')})(/|$)`;
  }

  /** An extended regular expression for relative paths under the ignored top-level names. */
  ignoredRegex(): string {
    return `^(${BypassList.IGNORED_NAMES.map(escapeRegex).join('|')})(/|$)`;
  }

  /** rsync filter arguments that limit a transfer of the root to its bypass entries. */
  rsyncFilter(root: BypassRoot): string[] {
    const ignored = BypassList.IGNORED_NAMES.map((n) => `--exclude=/${n}`);
    if (root.all) return ignored;
    return [...root.names.flatMap((n) => [`--include=/${n}`, `--include=/${n}/**`]), '--exclude=*'];
  }

  /** One line per root, for reports. */
  toHumanString(): string {
    return this.roots.map((r) => `${r.path}: ${r.all ? 'all' : r.names.join(', ')}`).join('; ');
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `*-backup` as an ERE for one path segment. */
function globToEre(glob: string): string {
  return glob.split('*').map(escapeRegex).join('[^/]*');
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${globToEre(glob)}$`);
}

/** Whether a name matches a glob whose only wildcard is `*` (as bash `case` and rsync read it). */
export function globMatches(glob: string, name: string): boolean {
  return globToRegExp(glob).test(name);
}
