import * as posix from 'path/posix';
import { z } from 'zod';
import { systemFileReason } from './paths';
import { hintedCheck } from './private/zod-helpers';

/**
 * The characters a path prop may hold. Paths go into shell settings, messages inside double
 * quotes, unit files, fstab and cfg lines: a space, quote, `$`, backtick, `;`, `%` or newline in
 * one changes what a script runs or splits a line, so such a path is refused rather than escaped
 * differently in each place it lands.
 */
const PLAIN_PATH = /^\/[A-Za-z0-9_.@+,:=\/-]*$/;
const PLAIN_PATH_MESSAGE = 'expected an absolute path of letters, digits and _ . @ + , : = - (no spaces, quotes or shell characters such as $ ` ; %)';

/** Globs (`*`, `?`, `[...]`) on top, for props that take patterns of paths. */
const PLAIN_PATH_GLOB = /^\/[A-Za-z0-9_.@+,:=\/*?[\]-]*$/;

/**
 * The fix for a path the plain-path pattern refuses: the absolute path a relative one meant, or
 * for a folder name with spaces (`/mnt/Backup HDD`) the same path with each run of them as `-`.
 */
function plainPathHint(pattern: RegExp): (v: string) => string | undefined {
  return (v) => {
    if (v.trim() === '') return "give an absolute path such as '/mnt/backup'";
    if (!v.startsWith('/')) {
      const absolute = `/${v.replace(/^(\.\/)+/, '')}`;
      return pattern.test(absolute) ? `an absolute path starts at /: '${absolute}'` : "give an absolute path such as '/mnt/backup'";
    }
    const plain = v.trim().replace(/ +/g, '-');
    return pattern.test(plain) && plain !== v ? `rename the folder or link it under a name without spaces, e.g. '${plain}'` : undefined;
  };
}

/**
 * `..`, `.` and `//` make two spellings of one folder: the overlap, ownership and "not /"
 * checks compare paths as written, so `/.` would pass for a folder other than the root.
 */
export const writtenOneWay = (v: string) =>
  v
    .replace(/\/+$/, '')
    .split('/')
    .slice(1)
    .every((seg) => seg !== '..' && seg !== '.' && seg !== '');
export const ONE_WAY_MESSAGE = 'expected a path written one way: without . or .. segments or // (write the folder it means)';
const dotDotHint = (v: string) => `'${posix.normalize(v)}'`;

/** An absolute path of plain characters, each folder named once (no `.`, `..` or `//`). */
export const ABSOLUTE_PATH = z
  .string()
  .check(hintedCheck((v) => PLAIN_PATH.test(v), PLAIN_PATH_MESSAGE, plainPathHint(PLAIN_PATH)))
  .check(hintedCheck(writtenOneWay, ONE_WAY_MESSAGE, dotDotHint));

/** The path written without its trailing `/`, for a hint (none for `/`, which is refused on its own). */
const trimmed = (v: string) => (v.replace(/\/+$/, '') === '' ? undefined : `write '${v.replace(/\/+$/, '')}'`);

/** An absolute path of a file: as {@link ABSOLUTE_PATH}, not ending in `/`. */
export const ABSOLUTE_FILE_PATH = ABSOLUTE_PATH.check(
  hintedCheck((v) => v.length > 1 && !v.endsWith('/'), 'expected the path of a file, not a folder (no trailing /)', (v) => (v === '/' ? undefined : `name the file in it, e.g. '${v.replace(/\/+$/, '')}/<file>'`)),
);

/** An absolute folder other than `/`: as {@link ABSOLUTE_PATH}, not the root. */
export const ABSOLUTE_FOLDER = ABSOLUTE_PATH.check(hintedCheck((v) => v.replace(/\/+$/, '') !== '', 'expected a folder other than /', () => "name the folder itself, e.g. '/mnt/backup'"));

/** An absolute path written without a trailing `/` (only `/` itself ends in one). */
export const PATH_WITHOUT_TRAILING_SLASH = ABSOLUTE_PATH.check(hintedCheck((v) => v === '/' || !v.endsWith('/'), 'expected a path without a trailing slash', trimmed));

/** A folder written without a trailing `/` (compared and joined as written). */
export const FOLDER_PATH = ABSOLUTE_FOLDER.check(hintedCheck((v) => !v.endsWith('/'), 'expected a folder path without a trailing /', trimmed));

/** An absolute path that may hold globs (`/home/*`), otherwise as {@link ABSOLUTE_PATH}. */
export const ABSOLUTE_PATH_GLOB = z
  .string()
  .check(hintedCheck((v) => PLAIN_PATH_GLOB.test(v), PLAIN_PATH_MESSAGE.replace('_ . @', '* ? [ ] _ . @'), plainPathHint(PLAIN_PATH_GLOB)))
  .check(hintedCheck(writtenOneWay, ONE_WAY_MESSAGE, dotDotHint));

/** A file a job rewrites (its state, a manifest): as {@link ABSOLUTE_FILE_PATH}, never a system file. */
export const OWN_FILE_PATH = ABSOLUTE_FILE_PATH.check(
  hintedCheck((v) => systemFileReason(v) === undefined, "expected a file of the backup system's own, not a system file", (v) => systemFileReason(v)),
);
