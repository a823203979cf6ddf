import { z } from 'zod';
import { checkProps } from './errors';
import { ABSOLUTE_FILE_PATH, FOLDER_PATH, OWN_FILE_PATH } from './path-schema';

/** The manifest's settings: paths as every path prop takes them, misspelt options refused. */
const MANIFEST_SCHEMA = z
  .object({
    root: FOLDER_PATH,
    file: OWN_FILE_PATH.optional(),
    lockFile: ABSOLUTE_FILE_PATH.optional(),
    maxLines: z.number().int('expected a positive whole number').min(1, 'expected a positive whole number').optional(),
  })
  .strict();

/** Options of {@link OffsiteManifest.of}. */
export interface OffsiteManifestOptions {
  /** @default '<root>/.changed-files' */
  readonly file?: string;
  /** The flock every writer and the consumer take. @default '/run/lock/backup-constructs/offsite-manifest.lock' */
  readonly lockFile?: string;
  /** Over this many lines the consumer ships everything instead (seed 002's 500k cap). @default 500000 */
  readonly maxLines?: number;
}

/**
 * The list of files written to the backup disk since the off-site copy last shipped them
 * (seed 002's `/mnt/backup/.changed-files`): one path per line, relative to `root`.
 *
 * Writers (the daily file backup, the NFS mirror) only append, under `lockFile`. The one
 * consumer (OffsiteSync Step 1) copies what is there under the same lock, ships it, and only
 * after a successful sync removes exactly the lines it shipped, so nothing a writer appends
 * meanwhile, and nothing a failed sync did not ship, is lost (the S1 race of 2026-05-24).
 * That holds only when all of them take one lock and read one root, so every user of a file
 * on a host must be given the same settings (one value per file), and a file has one consumer.
 */
export class OffsiteManifest {
  /** A manifest for files under `root` (the backup disk's mount, e.g. `/mnt/backup`). */
  static of(root: string, options: OffsiteManifestOptions = {}): OffsiteManifest {
    const p = checkProps('OffsiteManifest', MANIFEST_SCHEMA, { root, ...options }, { root: "the backup disk's mount, e.g. '/mnt/backup'", maxLines: 'seed 002 uses 500000' });
    return new OffsiteManifest(p.root, p.file ?? `${p.root}/.changed-files`, p.lockFile ?? '/run/lock/backup-constructs/offsite-manifest.lock', p.maxLines ?? 500_000);
  }

  private constructor(
    /** Folder the listed paths are relative to: Step 1's source. */
    readonly root: string,
    readonly file: string,
    readonly lockFile: string,
    readonly maxLines: number,
  ) {}

  /** Whether a folder lies in (or is) the manifest's root, so its files can be listed. */
  covers(dir: string): boolean {
    return dir === this.root || dir.startsWith(`${this.root === '/' ? '' : this.root}/`);
  }

  /** Whether another manifest names the same file, lock and root. */
  equals(other: OffsiteManifest): boolean {
    return this.root === other.root && this.file === other.file && this.lockFile === other.lockFile && this.maxLines === other.maxLines;
  }
}
