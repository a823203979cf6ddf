import * as fs from 'fs';
import * as path from 'path';

/**
 * A folder of stand-ins for commands only a real host has (systemctl, pvesh, pvesm): each
 * appends its argument list to `calls.log` and succeeds; `pvesh get` fails for entries that
 * were never created, so create-or-update takes the create branch first. With `storageCfg`,
 * `pvesm add` also writes its section there, as Proxmox writes /etc/pve/storage.cfg.
 */
export function makeStandins(
  dir: string,
  commands: readonly string[] = ['systemctl', 'pvesh', 'pvesm'],
  opts: { storageCfg?: string } = {},
): { bin: string; calls: () => string[] } {
  const bin = path.join(dir, 'standin-bin');
  fs.mkdirSync(bin, { recursive: true });
  const log = path.join(dir, 'calls.log');
  const state = path.join(dir, 'standin-state');
  fs.mkdirSync(state, { recursive: true });
  for (const cmd of commands) {
    fs.writeFileSync(
      path.join(bin, cmd),
      `#!/bin/sh
echo "${cmd} $*" >>'${log}'
key=$(printf '%s' "$*" | sed 's/^get //; s/^create //; s/^add [a-z]* //; s/ .*//; s#[/ ]#_#g')
case "${cmd} $1" in
  "pvesh get") [ -e '${state}'/"$key" ] || exit 2 ;;
  "pvesh create") [ "$2" = /cluster/backup ] && touch '${state}'/"_cluster_backup_$4" ;;
  "pvesm add")
    touch '${state}'/"_storage_$3"
    # as Proxmox does: the new section in storage.cfg (the apply reads it back when adopting)
    ${opts.storageCfg ? `{ printf '\\n%s: %s\\n' "$2" "$3"; shift 3; while [ $# -ge 2 ]; do printf '\\t%s %s\\n' "\${1#--}" "$2"; shift 2; done; } >>'${opts.storageCfg}'` : ':'}
    ;;
esac
exit 0
`,
      { mode: 0o755 },
    );
  }
  return { bin, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []) };
}
