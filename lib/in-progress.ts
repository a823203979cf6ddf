/**
 * The folder an app dump builds its artifacts in, beside their final place
 * (`.bc-work-<job>-<stamp>`), renamed into place only once every check passed. The steps that
 * copy a tree app dumps write into (NfsMirror, NfsChangeTracker, OffsiteSync) leave such
 * folders out: a half-written dump is no backup, and a killed run's leftovers (which the job's
 * next run removes) must not travel further than the folder they were written in.
 */
export const DUMP_WORK_PREFIX = '.bc-work-';

/**
 * rsync's rules for them, as shell words: hidden on the sending side only, so `--delete` still
 * removes a copy an earlier run made of one (`--exclude` would protect that copy for ever).
 * The second rule covers a path inside one named in `--files-from`, whose folders rsync does
 * not match against the first.
 */
export const RSYNC_HIDE_DUMP_WORK = `'--filter=H ${DUMP_WORK_PREFIX}*/' '--filter=H ${DUMP_WORK_PREFIX}*/**'`;

/** find's tests for them, as shell words: `-type d -name '.bc-work-*'`. */
export const FIND_DUMP_WORK = `-type d -name '${DUMP_WORK_PREFIX}*'`;
