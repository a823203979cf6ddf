import { BackupMetric } from '../../metrics';
import { commitArtifact } from './script';

/**
 * PostgreSQL bodies. Connection settings are libpq's own variables (PGHOST, PGPORT, PGUSER,
 * and PGPASSWORD from a Secret), so no credential is ever on a command line.
 */

/** `pg_dumpall` of the whole cluster, gzip; checked for pg_dumpall's completion line and a table floor. */
export function postgresqlAllBody(): string {
  return `dump="$bc_work/$(bc_name .sql.gz)"
# pg_dumpall's own status survives the pipe (sh has no pipefail)
{ pg_dumpall --no-password </dev/null || echo "$?" >"$bc_work/dump.rc"; } | gzip -n >"$dump"
if [ -e "$bc_work/dump.rc" ]; then bc_fail "pg_dumpall exited with status $(cat "$bc_work/dump.rc")"; fi
gzip -t "$dump" || bc_fail "$dump is not a complete gzip file"
# pg_dumpall writes this line last: a dump without it stopped early
ending=$(gzip -dc "$dump" | tail -n 5)
case "$ending" in *'PostgreSQL database cluster dump complete'*) ;; *) bc_fail "the dump does not end with pg_dumpall's completion line" ;; esac
tables=$(gzip -dc "$dump" | grep -c '^CREATE TABLE ' || true)
bc_floor_count 'tables in the dump' "$tables" "$BC_MIN_TABLES"
${commitArtifact('$dump', '"the dump"', '.sql.gz')}`;
}

/** `pg_dump -Fc` of each database into `<out>/<db>/`; each archive is read back with `pg_restore -l`. */
export function postgresqlPerDatabaseBody(): string {
  return `if [ -n "$BC_DATABASES" ]; then
  echo "$BC_DATABASES" | tr -s ' ' '\\n' >"$bc_work/databases"
else
  psql --no-password -d "$BC_PG_MAINTENANCE_DB" -AtX -c 'SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname' </dev/null >"$bc_work/databases"
fi
total=0
dumped=0
while IFS= read -r db; do
  [ -n "$db" ] || continue
  case "$db" in *[!A-Za-z0-9_.-]* | .*) bc_fail "database name '$db' is not safe as a folder name" ;; esac
  part="$bc_work/$db.dump"
  pg_dump --no-password -Fc -f "$part" "$db" </dev/null
  # reading the archive's table of contents back proves it is complete
  pg_restore -l "$part" </dev/null >"$bc_work/$db.toc"
  tables=$(grep -c ' TABLE DATA ' "$bc_work/$db.toc" || true)
  bc_floor_count "tables in $db" "$tables" "$BC_MIN_TABLES"
  bytes=$(bc_bytes "$part")
  bc_floor_bytes "the dump of $db" "$bytes"
  mkdir -p "$BC_OUT_DIR/$db"
  bc_commit "$part" "$BC_OUT_DIR/$db/$(bc_name .dump)"
  bc_rotate "$BC_OUT_DIR/$db" .dump
  total=$((total + bytes))
  dumped=$((dumped + 1))
done <"$bc_work/databases"
[ "$dumped" -gt 0 ] || bc_fail 'found no database to dump'
bc_metric ${BackupMetric.lastSize} "$total"
`;
}
