import * as fs from 'fs';
import * as path from 'path';

/**
 * Stand-ins for `docker` and `gitea` (no Docker engine runs here, and Debian has no Gitea).
 * `docker exec [-u USER] CONTAINER CMD...` runs CMD on this machine, as if inside the
 * container: `pg_dump` is the real one (the test points PGHOST/PGPORT at a real local
 * PostgreSQL), `gitea` is the stand-in below. Steering:
 * - STANDIN_STOPPED="c1 c2": those containers are not running (docker exec fails);
 * - STANDIN_TRUNCATE=N: docker exec passes on only N bytes of output and exits 0 (a stream
 *   cut short that still looks successful);
 * - gitea: STANDIN_GITEA=nodb (a dump without gitea-db.sql), =hang (sleeps), =fail.
 * The real `gitea dump` refuses to run as root; the stand-in does too.
 */
export function makeFakeDocker(dir: string): { bin: string; calls: () => string[] } {
  const bin = path.join(dir, 'fake-docker-bin');
  const log = path.join(dir, 'fake-docker-calls.log');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(
    path.join(bin, 'docker'),
    `#!/bin/bash
echo "docker $*" >>'${log}'
[ "$1" = exec ] || { echo "docker stand-in: only exec is supported" >&2; exit 2; }
shift
user=root
while [ "$#" -gt 0 ]; do
  case "$1" in
    -u | --user) user=$2; shift 2 ;;
    --user=*) user=\${1#*=}; shift ;;
    -w | --workdir | -e | --env) shift 2 ;;
    -i | -t | -it | --interactive | --tty) shift ;;
    -*) echo "docker stand-in: unsupported option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
container=$1
shift
case " \${STANDIN_STOPPED:-} " in
  *" $container "*) echo "Error response from daemon: container $container is not running" >&2; exit 1 ;;
esac
export STANDIN_CONTAINER_USER=$user
if [ -n "\${STANDIN_TRUNCATE:-}" ]; then
  "$@" | head -c "$STANDIN_TRUNCATE"
  exit 0
fi
exec "$@"
`,
    { mode: 0o755 },
  );
  fs.writeFileSync(
    path.join(bin, 'gitea'),
    `#!/bin/bash
set -euo pipefail
echo "gitea $* (as $STANDIN_CONTAINER_USER)" >>'${log}'
[ "$1" = dump ] || { echo "gitea stand-in: only dump" >&2; exit 2; }
shift
config="" type=zip file=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    -c | --config) config=$2; shift 2 ;;
    --type) type=$2; shift 2 ;;
    -f | --file) file=$2; shift 2 ;;
    *) echo "gitea stand-in: unsupported option $1" >&2; exit 2 ;;
  esac
done
if [ "$STANDIN_CONTAINER_USER" = root ]; then
  echo "Gitea is not supposed to be run as root" >&2
  exit 1
fi
[ "$type" = tar.gz ] && [ "$file" = - ] || { echo "gitea stand-in: expected --type tar.gz --file -" >&2; exit 2; }
case "\${STANDIN_GITEA:-}" in
  fail) echo "Failed to dump database: connection refused" >&2; exit 1 ;;
  hang) sleep 30 ;;
esac
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cp "$config" "$t/app.ini"
[ "\${STANDIN_GITEA:-}" = nodb ] || printf 'CREATE TABLE repository (id INT);\\nINSERT INTO repository VALUES (1);\\n' >"$t/gitea-db.sql"
mkdir -p "$t/repos/shop/site.git" "$t/data/attachments"
echo 'ref: refs/heads/main' >"$t/repos/shop/site.git/HEAD"
echo attachment >"$t/data/attachments/a1"
echo "Dumping database..." >&2
(cd "$t" && tar -czf - -- *)
`,
    { mode: 0o755 },
  );
  return { bin, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []) };
}
