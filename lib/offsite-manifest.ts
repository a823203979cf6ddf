import { BackupConfigError, Problem } from './errors';

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
    const problems: Problem[] = [];
    const abs = /^\/[^\0\s]*$/;
    if (!abs.test(root) || (root.length > 1 && root.endsWith('/'))) problems.push({ field: 'root', message: `expected an absolute folder without a trailing slash, got ${JSON.stringify(root)}` });
    const file = options.file ?? `${root}/.changed-files`;
    const lockFile = options.lockFile ?? '/run/lock/backup-constructs/offsite-manifest.lock';
    const maxLines = options.maxLines ?? 500_000;
    if (!abs.test(file) || file.endsWith('/')) problems.push({ field: 'file', message: `expected an absolute file path, got ${JSON.stringify(file)}` });
    if (!abs.test(lockFile) || lockFile.endsWith('/')) problems.push({ field: 'lockFile', message: `expected an absolute file path, got ${JSON.stringify(lockFile)}` });
    if (!Number.isInteger(maxLines) || maxLines < 1) problems.push({ field: 'maxLines', message: `expected a positive whole number, got ${maxLines}`, hint: 'seed 002 uses 500000' });
    if (problems.length) throw new BackupConfigError('OffsiteManifest', problems);
    return new OffsiteManifest(root, file, lockFile, maxLines);
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
