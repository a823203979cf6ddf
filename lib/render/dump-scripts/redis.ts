import { commitArtifact } from './script';

/**
 * Redis: `BGSAVE`, wait until LASTSAVE moves and no save is in progress, check Redis says the
 * save succeeded and that the RDB file on Redis's data volume is that save (written after the
 * LASTSAVE before it), then copy it and check the copy with
 * `redis-check-rdb`, which also counts its keys. The password comes from REDISCLI_AUTH.
 */
export function redisBody(): string {
  return `bc_redis() {
  redis-cli -h "$BC_REDIS_HOST" -p "$BC_REDIS_PORT" "$@" </dev/null
}
before=$(bc_redis LASTSAVE)
case "$before" in '' | *[!0-9]*) bc_fail "LASTSAVE answered '$before'" ;; esac
# LASTSAVE counts seconds: a save ending in the second it answered could not be told apart
sleep 1
reply=$(bc_redis BGSAVE 2>&1) || true
case "$reply" in *'Background saving started'* | *'already in progress'* | *'scheduled'*) ;; *) bc_fail "BGSAVE answered '$reply'" ;; esac
waited=0
while :; do
  last=$(bc_redis LASTSAVE)
  info=$(bc_redis INFO persistence)
  case "$info" in *'rdb_bgsave_in_progress:0'*) [ "$last" = "$before" ] || break ;; esac
  [ "$waited" -lt "$BC_BGSAVE_TIMEOUT" ] || bc_fail "BGSAVE did not finish within $BC_BGSAVE_TIMEOUT seconds"
  sleep 1
  waited=$((waited + 1))
done
case "$info" in *'rdb_last_bgsave_status:ok'*) ;; *) bc_fail 'Redis reports that its BGSAVE failed' ;; esac
rdb="$bc_work/$(bc_name .rdb)"
# The file must be the save just made: one older than the save before it is another Redis's,
# or one Redis no longer writes (BC_DATA_DIR is not its dir), and would pass every check below
saved=$(stat -c %Y -- "$BC_DATA_DIR/$BC_RDB_FILE") || bc_fail "no $BC_RDB_FILE in $BC_DATA_DIR"
if [ "$saved" -le "$before" ]; then
  bc_fail "$BC_DATA_DIR/$BC_RDB_FILE was last written at $saved, not by the save Redis just made (LASTSAVE $last): is $BC_DATA_DIR Redis's dir, and $BC_RDB_FILE its dbfilename?"
fi
cp -- "$BC_DATA_DIR/$BC_RDB_FILE" "$rdb"
if ! redis-check-rdb "$rdb" >"$bc_work/check.log" 2>&1; then
  bc_fail "redis-check-rdb rejects the copy: $(tail -n 3 "$bc_work/check.log")"
fi
keys=$(sed -n 's/.*\\[info\\] \\([0-9][0-9]*\\) keys read.*/\\1/p' "$bc_work/check.log")
bc_floor_count 'keys in the RDB file' "$keys" "$BC_MIN_KEYS"
${commitArtifact('$rdb', "'the RDB file'", '.rdb')}`;
}
