import { z } from 'zod';

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

/** `..` makes two spellings of one folder: the overlap and ownership checks compare paths as written. */
const withoutDotDot = (v: string) => !v.split('/').includes('..');
const DOT_DOT_MESSAGE = 'expected a path without .. (write the folder it means)';

/** An absolute path of plain characters, without `..`. */
export const ABSOLUTE_PATH = z.string().regex(PLAIN_PATH, PLAIN_PATH_MESSAGE).refine(withoutDotDot, DOT_DOT_MESSAGE);

/** An absolute path of a file: as {@link ABSOLUTE_PATH}, not ending in `/`. */
export const ABSOLUTE_FILE_PATH = ABSOLUTE_PATH.refine((v) => v.length > 1 && !v.endsWith('/'), 'expected the path of a file, not a folder (no trailing /)');

/** An absolute folder other than `/`: as {@link ABSOLUTE_PATH}, not the root. */
export const ABSOLUTE_FOLDER = ABSOLUTE_PATH.refine((v) => v.replace(/\/+$/, '') !== '', 'expected a folder other than /');

/** A folder written without a trailing `/` (compared and joined as written). */
export const FOLDER_PATH = ABSOLUTE_FOLDER.refine((v) => !v.endsWith('/'), 'expected a folder path without a trailing /');

/** An absolute path that may hold globs (`/home/*`), otherwise as {@link ABSOLUTE_PATH}. */
export const ABSOLUTE_PATH_GLOB = z.string().regex(PLAIN_PATH_GLOB, PLAIN_PATH_MESSAGE.replace('_ . @', '* ? [ ] _ . @')).refine(withoutDotDot, DOT_DOT_MESSAGE);
