import * as fs from 'fs';
import * as path from 'path';

/**
 * Stand-ins for the Proxmox tools a restore drill calls (no Proxmox here): `qmrestore`,
 * `qm`, `pct`, `pvesh` and `pvesm`, keeping guests as `<vmid>.conf` files in a state folder,
 * so a test can see what was restored, changed, started and destroyed. Behaviour is steered
 * by environment variables:
 * - FAKE_RESTORE=fail: the restore leaves a locked config and fails; =hang: it leaves one
 *   and sleeps (for SIGTERM tests);
 * - FAKE_AGENT=never: the guest agent never answers; FAKE_EXEC_EXITED=0: `qm guest exec`
 *   reports a command that has not exited (and qm itself succeeds);
 * - FAKE_DESTROY=fail: destroying fails; FAKE_AVAIL_KIB: free space `pvesm status` reports.
 * Like the real tools, `qm destroy` refuses a running or locked guest (without --skiplock)
 * and `pct destroy` a locked one.
 */
export function makeFakePve(dir: string): { bin: string; state: string; calls: () => string[]; conf: (vmid: number) => string | undefined } {
  const bin = path.join(dir, 'fake-pve-bin');
  const state = path.join(dir, 'fake-pve-state');
  const log = path.join(dir, 'fake-pve-calls.log');
  fs.mkdirSync(bin, { recursive: true });
  fs.mkdirSync(state, { recursive: true });
  const script = `#!/bin/bash
set -u
tool=$(basename "$0")
echo "$tool $*" >>'${log}'
S='${state}'
conf() { echo "$S/$1.conf"; }
exists() { [ -f "$(conf "$1")" ] && grep -qx "type: $2" "$(conf "$1")"; }
nosuch() { echo "Configuration file 'nodes/pve/$1.conf' does not exist" >&2; exit 2; }
locked() { grep -q '^lock:' "$(conf "$1")"; }
restore() { # type vmid
  printf 'type: %s\\nlock: create\\n' "$1" >"$(conf "$2")"
  case "\${FAKE_RESTORE:-}" in
    fail) echo "restore failed: unexpected end of archive" >&2; exit 1 ;;
    hang) sleep 30; exit 1 ;;
  esac
  if [ "$1" = qemu ]; then
    printf 'type: qemu\\nname: restored\\nagent: 1\\nnet0: virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1\\nnet1: virtio=BC:24:11:00:00:02,bridge=vmbr1,link_down=0\\nonboot: 1\\n' >"$(conf "$2")"
  else
    printf 'type: lxc\\nhostname: restored\\nnet0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:03,ip=dhcp,type=veth\\nonboot: 1\\nunprivileged: 1\\n' >"$(conf "$2")"
  fi
}
setkeys() { # vmid key value ...
  local f
  f=$(conf "$1"); shift
  while [ "$#" -ge 2 ]; do
    local k=\${1#--} v=$2; shift 2
    grep -v "^$k:" "$f" >"$f.tmp"; mv "$f.tmp" "$f"
    echo "$k: $v" >>"$f"
  done
}
guest() { # type subcommand vmid args
  local type=$1 sub=$2 id=\${3:-}
  shift 3 || true
  case "$sub" in
    config) exists "$id" "$type" || nosuch "$id"; grep -v '^type:' "$(conf "$id")" ;;
    set) exists "$id" "$type" || nosuch "$id"; setkeys "$id" "$@" ;;
    start) exists "$id" "$type" || nosuch "$id"; touch "$S/$id.running" ;;
    stop) exists "$id" "$type" || nosuch "$id"; rm -f "$S/$id.running" ;;
    unlock) exists "$id" "$type" || nosuch "$id"; grep -v '^lock:' "$(conf "$id")" >"$S/u"; mv "$S/u" "$(conf "$id")" ;;
    destroy)
      exists "$id" "$type" || nosuch "$id"
      [ "\${FAKE_DESTROY:-}" = fail ] && { echo "destroy failed: storage busy" >&2; exit 1; }
      [ -e "$S/$id.running" ] && { echo "VM $id is running - destroy failed" >&2; exit 1; }
      if locked "$id" && { [ "$type" = lxc ] || [[ " $* " != *" --skiplock 1 "* ]]; }; then echo "VM is locked (create)" >&2; exit 1; fi
      rm -f "$(conf "$id")" ;;
    *) echo "fake $type: unsupported $sub" >&2; exit 2 ;;
  esac
}
case "$tool" in
  qmrestore) restore qemu "$2" ;;
  pvesh)
    [ "$1 $2 $3" = "get /cluster/nextid --vmid" ] || { echo "fake pvesh: unsupported $*" >&2; exit 2; }
    if [ -f "$(conf "$4")" ]; then echo "VM $4 already exists" >&2; exit 2; fi
    echo "$4" ;;
  pvesm)
    echo "Name             Type     Status           Total            Used       Available        %"
    printf '%-16s %-8s %-8s %15d %15d %15d %7s\\n' "$3" lvmthin active 200000000 1000 "\${FAKE_AVAIL_KIB:-100000000}" 0.00% ;;
  qm)
    case "$1" in
      guest)
        id=$3
        exists "$id" qemu || nosuch "$id"
        [ -e "$S/$id.running" ] && [ "\${FAKE_AGENT:-}" != never ] || { echo "QEMU guest agent is not running" >&2; exit 255; }
        if [ "$2" = ping ] || [ "$2" = cmd ]; then exit 0; fi
        shift 3
        while [ "$1" != -- ]; do shift; done
        shift
        set +e; "$@" >/dev/null 2>&1; rc=$?; set -e
        printf '{\\n   "exitcode" : %s,\\n   "exited" : %s\\n}\\n' "$rc" "\${FAKE_EXEC_EXITED:-1}" ;;
      *) guest qemu "$@" ;;
    esac ;;
  pct)
    case "$1" in
      restore) restore lxc "$2" ;;
      exec)
        id=$2
        exists "$id" lxc && [ -e "$S/$id.running" ] || { echo "CT $id not running" >&2; exit 1; }
        shift 3
        "$@" ;;
      *) guest lxc "$@" ;;
    esac ;;
esac
`;
  const main = path.join(bin, 'fake-pve');
  fs.writeFileSync(main, script, { mode: 0o755 });
  for (const tool of ['qmrestore', 'qm', 'pct', 'pvesh', 'pvesm']) fs.symlinkSync(main, path.join(bin, tool));
  return {
    bin,
    state,
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []),
    conf: (vmid) => (fs.existsSync(path.join(state, `${vmid}.conf`)) ? fs.readFileSync(path.join(state, `${vmid}.conf`), 'utf8') : undefined),
  };
}
