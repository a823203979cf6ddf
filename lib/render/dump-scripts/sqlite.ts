import { BackupMetric } from '../../metrics';
import { sqliteOnlineCopy } from '../sqlite-copy';
import { INTEGRITY_METRIC } from './script';

/**
 * `PRAGMA integrity_check` through the CLI: true only when it answers exactly `ok`. It waits
 * for the app's lock like the copy does: a reader of a busy WAL database can meet
 * "database is locked" too, and that is no verdict on the database.
 */
const CHECK_FUNCTION = `bc_sqlite_ok() {
  bc_check=$(sqlite3 -readonly -cmd ".timeout $BC_SQLITE_TIMEOUT_MS" "$1" 'PRAGMA integrity_check;' </dev/null 2>&1) || {
    bc_log "$1: $bc_check"
    return 1
  }
  [ "$bc_check" = ok ] || {
    bc_log "$1: $bc_check"
    return 1
  }
}
db="$BC_DATA_DIR/$BC_SQLITE_DB"
[ -f "$db" ] || bc_fail "the database $db does not exist"
`;

/**
 * The seed's Vaultwarden backup: integrity check of the live database (abort on failure,
 * before anything is written), a `VACUUM INTO` copy into this run's folder (waiting up to
 * BC_SQLITE_TIMEOUT_MS for a writer's lock), integrity check of the copy,
 * table and row floors, then the extra files; the folder becomes a backup only after all of
 * that, and only then are folders older than the retention rotated.
 */
export function sqliteBody(): string {
  return `${CHECK_FUNCTION}# 1. a damaged live database is never copied: stop before writing anything
bc_sqlite_ok "$db" || bc_fail 'the live database fails PRAGMA integrity_check; nothing was written and the last good backup is kept'
run="$bc_work/$(bc_name '')"
mkdir "$run"
copy="$run/\${BC_SQLITE_DB##*/}"
case "$copy" in *"'"*) bc_fail "the path $copy cannot be quoted for sqlite3" ;; esac
# 2. an online, consistent copy: VACUUM INTO reads one state in a single transaction, where
#    .backup starts over on every commit of the app and fails beside a busy writer
${sqliteOnlineCopy('"$db"', '$copy', '$BC_SQLITE_TIMEOUT_MS')}
# one self-contained file: the copy keeps no -wal or -shm beside it (the app turns WAL back on)
sqlite3 -bail "$copy" 'PRAGMA journal_mode=DELETE;' </dev/null >/dev/null
# 3. the copy must be sound too
bc_sqlite_ok "$copy" || bc_fail 'the copy fails PRAGMA integrity_check'
tables=$(sqlite3 -readonly "$copy" "SELECT count(*) FROM sqlite_master WHERE type = 'table';" </dev/null)
bc_floor_count 'tables in the copy' "$tables" "$BC_MIN_TABLES"
echo "$BC_MIN_ROWS" | tr -s ' ' '\\n' >"$bc_work/row-floors"
while IFS=: read -r table floor; do
  [ -n "$table" ] || continue
  case "$table" in *[!A-Za-z0-9_]*) bc_fail "table name '$table' is not a plain identifier" ;; esac
  rows=$(sqlite3 -readonly "$copy" "SELECT count(*) FROM \\"$table\\";" </dev/null)
  bc_floor_count "rows in $table" "$rows" "$floor"
done <"$bc_work/row-floors"
bytes=$(bc_bytes "$copy")
bc_floor_bytes 'the copy' "$bytes"
# 4. the files the database is useless without (BC_EXTRA_FILES: required:PATH or optional:PATH)
echo "$BC_EXTRA_FILES" | tr -s ' ' '\\n' >"$bc_work/extra-files"
while IFS=: read -r need path; do
  [ -n "$need" ] || continue
  src="$BC_DATA_DIR/$path"
  if [ -e "$src" ]; then
    case "$path" in */*) mkdir -p "$run/\${path%/*}" ;; esac
    cp -pR -- "$src" "$run/$path"
  elif [ "$need" = required ]; then
    bc_fail "$src is missing"
  else
    bc_log "optional $path is absent; skipped"
  fi
done <"$bc_work/extra-files"
bc_commit "$run" "$BC_OUT_DIR/$(bc_name '')"
# 5. rotation, now that a checked backup exists
bc_rotate "$BC_OUT_DIR" ''
bc_metric ${BackupMetric.lastSize} "$(bc_bytes "$bc_committed")"
`;
}

/**
 * The hourly check: `PRAGMA integrity_check` on the live database, pushed as
 * `${INTEGRITY_METRIC}` (1 ok, 0 damaged). The run succeeds whenever it reached a verdict;
 * a missing database is a failed run.
 */
export function sqliteIntegrityBody(): string {
  return `${CHECK_FUNCTION}if bc_sqlite_ok "$db"; then
  bc_metric ${INTEGRITY_METRIC} 1
else
  bc_log 'PRAGMA integrity_check reports damage in the live database'
  bc_metric ${INTEGRITY_METRIC} 0
fi
`;
}
