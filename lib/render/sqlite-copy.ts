import { Duration } from '../duration';

/** How long a copy waits for a writer's lock before it fails, unless a construct says otherwise. */
export const DEFAULT_SQLITE_BUSY_TIMEOUT = Duration.seconds(30);

/**
 * The shell command that copies a live SQLite database, for every script that does.
 *
 * `VACUUM INTO` reads one consistent state inside a single read transaction. `.backup` starts
 * over whenever another connection commits, so beside a busy writer it never finishes (the
 * file backup's test) or fails with "database is locked" (the dump engine's test).
 *
 * `source` and `timeoutMs` are shell words as the script writes them (quoted by the caller);
 * `destination` is expanded inside the SQL string literal, so the caller must refuse paths
 * that contain `'`.
 */
export function sqliteOnlineCopy(source: string, destination: string, timeoutMs: string): string {
  return `sqlite3 -cmd ".timeout ${timeoutMs}" ${source} "VACUUM INTO '${destination}'" </dev/null`;
}
