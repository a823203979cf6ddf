import { commitArtifact } from './script';

/**
 * `etcdctl snapshot save`, then the snapshot's own status (hash and key count) read back
 * with `etcdutl` (etcd 3.5+) or `etcdctl` (3.4). etcdctl reads its endpoint and certificate
 * files from ETCDCTL_* variables.
 */
export function etcdBody(): string {
  return `snap="$bc_work/$(bc_name .db)"
# etcdctl 3.4 waits forever for an endpoint that does not answer: bound it
timeout "$BC_SNAPSHOT_TIMEOUT" etcdctl snapshot save "$snap" </dev/null || bc_fail "etcdctl snapshot save failed or took over $BC_SNAPSHOT_TIMEOUT seconds"
if command -v etcdutl >/dev/null 2>&1; then
  etcdutl snapshot status "$snap" -w json </dev/null >"$bc_work/status.json"
else
  etcdctl snapshot status "$snap" -w json </dev/null >"$bc_work/status.json"
fi
keys=$(sed -n 's/.*"totalKey":\\([0-9]*\\).*/\\1/p' "$bc_work/status.json")
bc_floor_count 'keys in the snapshot' "$keys" "$BC_MIN_KEYS"
${commitArtifact('$snap', "'the snapshot'", '.db')}`;
}
