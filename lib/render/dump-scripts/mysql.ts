import { BackupMetric } from '../../metrics';
import { indent } from '../shell';

/**
 * MySQL and MariaDB bodies. MariaDB 11 images only have `mariadb-dump`; older ones and
 * MySQL have `mysqldump`. The password comes from MYSQL_PWD (a Secret), never a flag.
 */
/** Picks the dump tool (and, for listing databases, the client). */
function clients(withClient: boolean): string {
  return `if command -v mariadb-dump >/dev/null 2>&1; then
  bc_dump=mariadb-dump${withClient ? '\n  bc_client=mariadb' : ''}
else
  bc_dump=mysqldump${withClient ? '\n  bc_client=mysql' : ''}
fi
`;
}

/** Options every dump uses: a consistent InnoDB snapshot with routines, events and triggers. */
const DUMP_FLAGS = '--protocol=TCP -h "$BC_MYSQL_HOST" -P "$BC_MYSQL_PORT" -u "$BC_MYSQL_USER" --single-transaction --routines --events --triggers';

/** Checks a gzip'd mysqldump: complete archive, mysqldump's completion line, table floor. */
function checkDump(label: string): string {
  return `gzip -t "$dump" || bc_fail "${label} is not a complete gzip file"
# mysqldump writes this comment last, only when it finished
ending=$(gzip -dc "$dump" | tail -n 3)
case "$ending" in *'-- Dump completed'*) ;; *) bc_fail "${label} does not end with mysqldump's completion line" ;; esac
tables=$(gzip -dc "$dump" | grep -c '^CREATE TABLE ' || true)
bc_floor_count "tables in ${label}" "$tables" "$BC_MIN_TABLES"
bytes=$(bc_bytes "$dump")
bc_floor_bytes "${label}" "$bytes"`;
}

/** `mysqldump --all-databases`, gzip. */
export function mysqlAllBody(): string {
  return `${clients(false)}dump="$bc_work/$(bc_name .sql.gz)"
# the dump's own status survives the pipe (sh has no pipefail)
{ "$bc_dump" ${DUMP_FLAGS} --all-databases </dev/null || echo "$?" >"$bc_work/dump.rc"; } | gzip -n >"$dump"
if [ -e "$bc_work/dump.rc" ]; then bc_fail "$bc_dump exited with status $(cat "$bc_work/dump.rc")"; fi
${checkDump('the dump')}
bc_commit "$dump" "$BC_OUT_DIR/$(bc_name .sql.gz)"
bc_rotate "$BC_OUT_DIR" .sql.gz
bc_metric ${BackupMetric.lastSize} "$bytes"
`;
}

/** One gzip'd `mysqldump <db>` per database into `<out>/<db>/`, system schemas left to the full dump. */
export function mysqlPerDatabaseBody(): string {
  return `${clients(true)}if [ -n "$BC_DATABASES" ]; then
  echo "$BC_DATABASES" | tr -s ' ' '\\n' >"$bc_work/databases"
else
  "$bc_client" --protocol=TCP -h "$BC_MYSQL_HOST" -P "$BC_MYSQL_PORT" -u "$BC_MYSQL_USER" -N -B -e 'SHOW DATABASES' </dev/null >"$bc_work/all-databases"
  # the system schemas are in the full dump; restoring them one by one is never wanted
  grep -v -x -e information_schema -e performance_schema -e sys -e mysql "$bc_work/all-databases" >"$bc_work/databases" || true
fi
total=0
dumped=0
while IFS= read -r db; do
  [ -n "$db" ] || continue
  case "$db" in *[!A-Za-z0-9_.-]* | .*) bc_fail "database name '$db' is not safe as a folder name" ;; esac
  dump="$bc_work/$db.sql.gz"
  rm -f "$bc_work/dump.rc"
  { "$bc_dump" ${DUMP_FLAGS} "$db" </dev/null || echo "$?" >"$bc_work/dump.rc"; } | gzip -n >"$dump"
  if [ -e "$bc_work/dump.rc" ]; then bc_fail "$bc_dump $db exited with status $(cat "$bc_work/dump.rc")"; fi
${indent(checkDump('the dump of $db'))}
  mkdir -p "$BC_OUT_DIR/$db"
  bc_commit "$dump" "$BC_OUT_DIR/$db/$(bc_name .sql.gz)"
  bc_rotate "$BC_OUT_DIR/$db" .sql.gz
  total=$((total + bytes))
  dumped=$((dumped + 1))
done <"$bc_work/databases"
[ "$dumped" -gt 0 ] || bc_fail 'found no database to dump'
bc_metric ${BackupMetric.lastSize} "$total"
`;
}

