import * as fs from 'fs';
import * as path from 'path';

/**
 * Stand-ins for the Proxmox tools a restore drill calls (no Proxmox here): `qmrestore`,
 * `qm`, `pct`, `pvesh` and `pvesm`, keeping guests as `<vmid>.conf` files in a state folder,
 * so a test can see what was restored, changed, started and destroyed. Behaviour is steered
 * by environment variables:
 * - FAKE_RESTORE=fail: the restore leaves a locked config and fails; =hang: it leaves one
 *   and sleeps (for SIGTERM tests); =taken: another guest takes the VMID just before the
 *   restore, which fails with "already exists";
 * - FAKE_AGENT=never: the guest agent never answers; FAKE_EXEC_EXITED=0: `qm guest exec`
 *   reports a command that has not exited (and qm itself succeeds);
 * - FAKE_SET=fail: `qm set` / `pct set` fails (the tag never reaches the copy);
 * - FAKE_DESTROY=fail: destroying fails; FAKE_AVAIL_KIB: free space `pvesm status` reports;
 * - FAKE_NET=none: the guest's NIC has no IPv4 address (docker0 still has one);
 * - inside the guest, a stand-in `systemctl`: FAKE_SYSTEM_STATE is what is-system-running
 *   reports (default running), FAKE_FAILED_UNITS the failed units, FAKE_INACTIVE_UNITS the
 *   units is-active finds inactive.
 * Like the real tools, `qm destroy` refuses a running or locked guest (without --skiplock)
 * and `pct destroy` a locked one.
 */
/** The `systemctl` of the restored guest (commands "run in the guest" run here). */
const SYSTEMCTL = `#!/bin/bash
set -u
case "$1" in
  is-system-running) state=\${FAKE_SYSTEM_STATE:-running}; echo "$state"; [ "$state" = running ] ;;
  list-units) for u in \${FAKE_FAILED_UNITS:-}; do echo "$u loaded failed failed $u"; done ;;
  is-active) if [[ " \${FAKE_INACTIVE_UNITS:-} " == *" $2 "* ]]; then echo inactive; exit 3; fi; echo active ;;
  *) echo "fake systemctl: unsupported $*" >&2; exit 2 ;;
esac
`;

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
  if [ "\${FAKE_RESTORE:-}" = hang-taken ]; then
    # another guest takes the VMID, and the restore hangs (waiting on its lock) until stopped
    printf 'type: %s\\nname: someone-elses\\n' "$1" >"$(conf "$2")"
    sleep 30
    exit 1
  fi
  if [ "\${FAKE_RESTORE:-}" = taken ]; then
    # another guest was created with the VMID after the drill checked it was free
    printf 'type: %s\\nname: someone-elses\\n' "$1" >"$(conf "$2")"
    echo "unable to restore VM $2 - VM $2 already exists on node 'pve'" >&2
    exit 255
  fi
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
interfaces() { # vmid: what network-get-interfaces lists; FAKE_NET=none: the NIC has no IPv4
  local mac
  mac=$(sed -nE 's/^net0: [a-z0-9]+=([0-9A-Fa-f:]{17}).*/\\1/p' "$(conf "$1")" | tr 'A-F' 'a-f')
  perl -MJSON::PP -e '
    my ($mac, $mode) = @ARGV;
    sub ip { return { "ip-address" => $_[0], "ip-address-type" => $_[1], prefix => $_[2] } }
    my @nic = (ip("fe80::be24:11ff:fe00:1", "ipv6", 64));
    unshift @nic, ip("192.0.2.51", "ipv4", 24) if $mode ne "none";
    print JSON::PP->new->pretty->canonical->encode([
      { name => "lo", "hardware-address" => "00:00:00:00:00:00", "ip-addresses" => [ip("127.0.0.1", "ipv4", 8), ip("::1", "ipv6", 128)] },
      { name => "ens18", "hardware-address" => $mac, "ip-addresses" => \\@nic },
      { name => "docker0", "hardware-address" => "02:42:ac:11:00:02", "ip-addresses" => [ip("172.17.0.1", "ipv4", 16)] },
    ]);
  ' "$mac" "\${FAKE_NET:-static}"
}
guest() { # type subcommand vmid args
  local type=$1 sub=$2 id=\${3:-}
  shift 3 || true
  case "$sub" in
    config) exists "$id" "$type" || nosuch "$id"; grep -v '^type:' "$(conf "$id")" ;;
    set)
      exists "$id" "$type" || nosuch "$id"
      [ "\${FAKE_SET:-}" = fail ] && { echo "update VM $id: storage is locked" >&2; exit 1; }
      setkeys "$id" "$@" ;;
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
        if [ "$2" = cmd ]; then
          case "$4" in
            ping) exit 0 ;;
            network-get-interfaces) interfaces "$id"; exit 0 ;;
            *) echo "fake qm: unsupported agent command $4" >&2; exit 2 ;;
          esac
        fi
        shift 3
        while [ "$1" != -- ]; do shift; done
        shift
        out=$("$@" 2>/dev/null); rc=$?
        # printed as qm prints the agent's answer: pretty, sorted JSON, out-data decoded
        perl -MJSON::PP -e '
          my ($rc, $exited, $out) = @ARGV;
          my %r = (exited => 0 + $exited);
          $r{exitcode} = 0 + $rc if $exited;
          $r{"out-data"} = "$out\\n" if length $out;
          print JSON::PP->new->pretty->canonical->encode(\\%r);
        ' "$rc" "\${FAKE_EXEC_EXITED:-1}" "$out" ;;
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
  fs.writeFileSync(path.join(bin, 'systemctl'), SYSTEMCTL, { mode: 0o755 });
  for (const tool of ['qmrestore', 'qm', 'pct', 'pvesh', 'pvesm']) fs.symlinkSync(main, path.join(bin, tool));
  return {
    bin,
    state,
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []),
    conf: (vmid) => (fs.existsSync(path.join(state, `${vmid}.conf`)) ? fs.readFileSync(path.join(state, `${vmid}.conf`), 'utf8') : undefined),
  };
}
