import { shellCommand } from './shell';

/** What the boot check accepts from `systemctl is-system-running` in the copy. */
export type RestoreDrillBootCheck = 'running' | 'running-or-degraded' | 'none';
/** How the drill checks the copy's network configuration. */
export type RestoreDrillNetworkCheck = 'nic-ipv4' | 'none';

/** What a restore drill's script needs beyond the standard job preamble. */
export interface RestoreDrillScriptOptions {
  readonly guestVmid: number;
  readonly guestType: 'qemu' | 'lxc';
  readonly tempVmid: number;
  /** Folder vzdump writes the guest's archives to (`<storage path>/dump`). */
  readonly dumpDirectory: string;
  /** Proxmox storage the temporary guest's disks go on. */
  readonly restoreStorage: string;
  readonly bootTimeoutSeconds: number;
  readonly maxArchiveAgeSeconds: number;
  /** The restore storage must have this many times the archive's size free (0: no check). */
  readonly freeSpaceFactor: number;
  /** `disconnected`: every NIC of the copy gets link_down=1 so it cannot clash with the original. */
  readonly network: 'disconnected' | 'connected';
  /** Address the restored copy answers at, for TCP checks (only with `connected`). */
  readonly checkAddress?: string;
  readonly tcpPorts: readonly number[];
  /** A command run inside the restored guest (guest agent or `pct exec`); exit 0 passes. */
  readonly command?: readonly string[];
  /** What `systemctl is-system-running` in the copy must report: `running`, also `degraded`, or no check. */
  readonly bootCheck: RestoreDrillBootCheck;
  /** `nic-ipv4`: an interface with the MAC of a NIC of the copy has an IPv4 address (VMs only). */
  readonly networkCheck: RestoreDrillNetworkCheck;
  /** systemd units that must be active in the copy (`systemctl is-active`). */
  readonly services: readonly string[];
  /** Proxmox tag marking guests the drill made, so a leftover of a killed run is recognised. */
  readonly tag: string;
  /** For lxc: restore as an unprivileged container. */
  readonly unprivileged: boolean;
}

/** Settings of the drill script; each can be overridden from the environment (tests do). */
export function restoreDrillSettings(o: RestoreDrillScriptOptions): Record<string, string> {
  return {
    GUEST_VMID: String(o.guestVmid),
    GUEST_TYPE: o.guestType,
    TEMP_VMID: String(o.tempVmid),
    DUMP_DIR: o.dumpDirectory,
    RESTORE_STORAGE: o.restoreStorage,
    BOOT_TIMEOUT_SECONDS: String(o.bootTimeoutSeconds),
    MAX_ARCHIVE_AGE_SECONDS: String(o.maxArchiveAgeSeconds),
    FREE_SPACE_FACTOR: String(o.freeSpaceFactor),
    NETWORK: o.network,
    CHECK_ADDRESS: o.checkAddress ?? '',
    TCP_PORTS: o.tcpPorts.join(' '),
    BOOT_CHECK: o.bootCheck,
    NETWORK_CHECK: o.networkCheck,
    SERVICES: o.services.join(' '),
    DRILL_TAG: o.tag,
    UNPRIVILEGED: o.unprivileged ? '1' : '0',
    POLL_SECONDS: '5',
  };
}

/**
 * The drill itself: find the newest archive of the guest, refuse a temporary VMID that is in
 * use by a guest the drill did not make, restore, mark the copy (tag, no start at boot),
 * disconnect its NICs, boot it and wait until it answers (guest agent ping or a command in
 * the container), then check that it booted to a usable state, that its network configuration
 * applied, that its services are active, and the optional command and TCP ports. `drill_created` tells the cleanup
 * whether there is a guest to destroy.
 */
export function renderRestoreDrillBody(o: RestoreDrillScriptOptions): string {
  const command = o.command?.length ? `check_command=(${shellCommand(o.command)})` : 'check_command=()';
  return `drill_created=0
${command}
case "$GUEST_TYPE" in
  qemu) guest=qm; kind=qemu; image=vma ;;
  lxc) guest=pct; kind=lxc; image=tar ;;
  *) echo "GUEST_TYPE must be qemu or lxc, got $GUEST_TYPE" >&2; exit 64 ;;
esac
archive_re="^vzdump-$kind-$GUEST_VMID-([0-9]{4})_([0-9]{2})_([0-9]{2})-([0-9]{2})_([0-9]{2})_([0-9]{2})\\.$image(\\.(zst|gz|lzo))?\$"

# The newest finished archive: names carry the local time they were taken, so they sort by age.
if [ ! -d "$DUMP_DIR" ]; then
  echo "archive folder $DUMP_DIR does not exist" >&2
  exit 66
fi
archive=""
while IFS= read -r name; do
  if [[ "$name" =~ $archive_re ]]; then archive=$name; fi
done < <(find "$DUMP_DIR" -maxdepth 1 -type f -printf '%f\\n' | LC_ALL=C sort)
if [ -z "$archive" ]; then
  echo "no archive of guest $GUEST_VMID in $DUMP_DIR: nothing to prove restorable" >&2
  exit 66
fi
[[ "$archive" =~ $archive_re ]]
taken=$(date -d "\${BASH_REMATCH[1]}-\${BASH_REMATCH[2]}-\${BASH_REMATCH[3]} \${BASH_REMATCH[4]}:\${BASH_REMATCH[5]}:\${BASH_REMATCH[6]}" +%s)
age=$(( $(date +%s) - taken ))
if [ "$age" -gt "$MAX_ARCHIVE_AGE_SECONDS" ]; then
  echo "the newest archive of guest $GUEST_VMID ($archive) is $((age / 86400)) days old, older than $((MAX_ARCHIVE_AGE_SECONDS / 86400)) days: its backups are not running" >&2
  exit 65
fi
size=$(stat -c %s "$DUMP_DIR/$archive")

# A drill must not take the space production guests live on.
if [ "$FREE_SPACE_FACTOR" -gt 0 ]; then
  avail_kib=$(pvesm status --storage "$RESTORE_STORAGE" | awk -v s="$RESTORE_STORAGE" 'NR > 1 && $1 == s { print $6 }')
  case "$avail_kib" in
    '' | *[!0-9]*) echo "cannot read the free space of storage $RESTORE_STORAGE from pvesm status" >&2; exit 69 ;;
  esac
  need=$(( size * FREE_SPACE_FACTOR ))
  if [ $(( avail_kib * 1024 )) -lt "$need" ]; then
    echo "storage $RESTORE_STORAGE has $((avail_kib / 1024)) MiB free, the drill needs $((need / 1048576)) MiB ($FREE_SPACE_FACTOR times the archive): not restoring" >&2
    exit 69
  fi
fi

# The temporary VMID must be free; a guest tagged by an interrupted drill is removed first.
if ! pvesh get /cluster/nextid --vmid "$TEMP_VMID" >/dev/null 2>&1; then
  conf=$("$guest" config "$TEMP_VMID" 2>/dev/null || true)
  if grep -Eq "^tags: (.*;)?$DRILL_TAG(;.*)?\$" <<<"$conf"; then
    echo "guest $TEMP_VMID was left by an interrupted drill (tag $DRILL_TAG): removing it first"
    drill_created=1
    bc_cleanup
  else
    echo "temporary VMID $TEMP_VMID is in use by a guest this drill did not create: leaving it alone (free the VMID or give the drill another tempVmid)" >&2
    exit 73
  fi
fi

echo "restoring $archive ($size bytes, taken $(date -d "@$taken" '+%F %T')) into $TEMP_VMID on $RESTORE_STORAGE"
started=$(date +%s)
restore_log=$(mktemp -t bc-restore-drill.XXXXXX)
drill_created=1
restore_rc=0
if [ "$GUEST_TYPE" = qemu ]; then
  qmrestore "$DUMP_DIR/$archive" "$TEMP_VMID" --storage "$RESTORE_STORAGE" --unique 1 2>"$restore_log" || restore_rc=$?
else
  pct restore "$TEMP_VMID" "$DUMP_DIR/$archive" --storage "$RESTORE_STORAGE" --unique 1 --unprivileged "$UNPRIVILEGED" 2>"$restore_log" || restore_rc=$?
fi
cat "$restore_log" >&2
rm -f "$restore_log"
if [ "$restore_rc" -ne 0 ]; then
  # A failed restore does not show whose guest is at the VMID now: another may have taken it
  # after the check above (the restore then fails on it), and the drill destroys only what it
  # knows is its own. Proxmox removes a restore that failed; anything left is the operator's.
  drill_created=0
  echo "the restore into $TEMP_VMID failed; whatever is at VMID $TEMP_VMID now is left alone: if qm config / pct config $TEMP_VMID shows a half-made copy of $archive (lock: create), remove it with qm destroy $TEMP_VMID --purge 1 --skiplock 1 (pct destroy $TEMP_VMID --purge 1 --force 1 for a container); until then the drill refuses the VMID" >&2
  exit "$restore_rc"
fi
# The restore made the guest at the VMID (qmrestore and pct restore refuse one that exists):
# it is the drill's own from here, even if tagging it fails or is interrupted.
drill_restored=1
# The copy must never start with the host, and is recognisable as the drill's.
"$guest" set "$TEMP_VMID" --tags "$DRILL_TAG" --onboot 0

if [ "$NETWORK" = disconnected ]; then
  # Same addresses as the original: pull the plug on every NIC before it boots.
  nic_re='^(net[0-9]+): (.*)$'
  conf=$("$guest" config "$TEMP_VMID")
  while IFS= read -r line; do
    if [[ "$line" =~ $nic_re ]]; then
      nic=\${BASH_REMATCH[1]}
      value=$(sed -E 's/,link_down=[^,]*//g' <<<"\${BASH_REMATCH[2]}")
      "$guest" set "$TEMP_VMID" "--$nic" "$value,link_down=1"
      echo "disconnected $nic of $TEMP_VMID"
    fi
  done <<<"$conf"
fi

"$guest" start "$TEMP_VMID"
deadline=$(( $(date +%s) + BOOT_TIMEOUT_SECONDS ))
# Retries a check until it passes or the boot timeout is spent; a check sets detail to what it
# last saw, so the journal says why it failed.
wait_for() {
  local what=$1
  shift
  detail=""
  until "$@"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "restored copy $TEMP_VMID of guest $GUEST_VMID: $what did not succeed within \${BOOT_TIMEOUT_SECONDS}s of boot\${detail:+: $detail}" >&2
      return 1
    fi
    sleep "$POLL_SECONDS"
  done
  echo "restored copy $TEMP_VMID: $what: ok\${detail:+ ($detail)}"
}
answers() {
  if [ "$GUEST_TYPE" = qemu ]; then
    qm guest cmd "$TEMP_VMID" ping >/dev/null 2>&1
  else
    pct exec "$TEMP_VMID" -- true >/dev/null 2>&1
  fi
}
# Runs a command in the copy, sets guest_out to what it printed and returns its exit code.
# qm prints the agent's answer as JSON (exited, exitcode, out-data); a command that has not
# exited, or an answer that is not that JSON, returns 125.
guest_exec() {
  local json
  guest_out=""
  if [ "$GUEST_TYPE" = lxc ]; then
    guest_out=$(pct exec "$TEMP_VMID" -- "$@" 2>/dev/null)
    return
  fi
  json=$(qm guest exec "$TEMP_VMID" --timeout 60 -- "$@" 2>/dev/null) || return 125
  guest_out=$(perl -MJSON::PP -e '
    binmode STDOUT, ":encoding(UTF-8)";
    my $r = eval { decode_json(do { local $/; <STDIN> }) };
    exit 125 unless ref $r eq "HASH" && $r->{exited};
    print $r->{"out-data"} // "";
    my $code = $r->{exitcode} // 1;
    exit($code == 0 ? 0 : ($code & 255) || 1);
  ' <<<"$json")
}
command_passes() {
  guest_exec "\${check_command[@]}"
}
# systemd's own verdict on the boot: running, or degraded with the units that failed.
boot_finished() {
  local failed
  guest_exec systemctl is-system-running || true
  boot_state=$(head -n 1 <<<"$guest_out")
  if [ -n "$boot_state" ]; then
    detail="systemd reports $boot_state"
  else
    detail="systemctl is-system-running gave no answer (a guest without systemd needs bootCheck: 'none')"
  fi
  case "$boot_state" in
    running) return 0 ;;
    degraded)
      guest_exec systemctl list-units --state=failed --no-legend --plain || true
      failed=$(awk 'NF { printf "%s%s", sep, $1; sep = " " }' <<<"$guest_out")
      detail="systemd reports degraded, failed units: \${failed:-none listed}"
      [ "$BOOT_CHECK" = running-or-degraded ] ;;
    *) return 1 ;;
  esac
}
# An interface inside the guest with the MAC of one of the copy's NICs has an IPv4 address:
# the guest's network configuration applied, though the link is down from outside.
nic_has_ipv4() {
  local macs json
  macs=$(qm config "$TEMP_VMID" | grep -E '^net[0-9]+:' | grep -oE '([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}' || true)
  if [ -z "$macs" ]; then
    detail="the copy has no NIC (networkCheck: 'none' for a guest without one)"
    return 1
  fi
  if ! json=$(qm guest cmd "$TEMP_VMID" network-get-interfaces 2>/dev/null); then
    detail="the guest agent did not list the interfaces"
    return 1
  fi
  detail=$(perl -MJSON::PP -e '
    my %nic = map { lc($_) => 1 } split /\\s+/, $ARGV[0];
    my $list = eval { decode_json(do { local $/; <STDIN> }) };
    if (ref $list ne "ARRAY") { print "the guest agent listed no interfaces"; exit 1 }
    my (@ok, @bare, @other);
    for my $if (@$list) {
      my $mac = lc($if->{"hardware-address"} // "");
      my @v4 = map { $_->{"ip-address"} . "/" . ($_->{prefix} // "?") }
        grep { ($_->{"ip-address-type"} // "") eq "ipv4" && $_->{"ip-address"} !~ /^(127|169\\.254)\\./ } @{ $if->{"ip-addresses"} // [] };
      my $name = $if->{name} // "?";
      if (!$nic{$mac}) { push @other, $name . (@v4 ? " @v4" : ""); }
      elsif (@v4) { push @ok, "$name @v4"; }
      else { push @bare, "$name ($mac)"; }
    }
    if (@ok) { print join(", ", @ok); exit 0 }
    print @bare ? "no IPv4 address on " . join(", ", @bare) : "no interface inside the guest has the MAC of a NIC of the copy";
    print "; other interfaces: ", join(", ", @other) if @other;
    exit 1;
  ' "$macs" <<<"$json")
}
service_active() {
  if guest_exec systemctl is-active "$1"; then return 0; fi
  detail="$1 is $(head -n 1 <<<"$guest_out")"
  [ "$detail" != "$1 is " ] || detail="systemctl is-active $1 gave no answer"
  return 1
}
# perl is on every Proxmox host; the alarm bounds a slow name lookup as Timeout bounds the connect
port_open() {
  perl -MIO::Socket::IP -e 'alarm 10; exit(IO::Socket::IP->new(PeerHost => $ARGV[0], PeerPort => $ARGV[1], Timeout => 5) ? 0 : 1)' "$CHECK_ADDRESS" "$1" 2>/dev/null
}
if [ "$GUEST_TYPE" = qemu ]; then
  wait_for "guest agent ping" answers
else
  wait_for "command in the container" answers
fi
if [ "$BOOT_CHECK" != none ]; then
  wait_for "boot to a usable state (systemctl is-system-running: $BOOT_CHECK)" boot_finished
  if [ "$boot_state" = degraded ]; then
    echo "restored copy $TEMP_VMID: accepting a degraded boot: a disconnected copy's network-dependent units (wait-online, DHCP, mounts) fail without a link; the service checks prove what matters"
  fi
fi
if [ "$NETWORK_CHECK" = nic-ipv4 ]; then
  wait_for "network configured (IPv4 address on a NIC, seen through the guest agent)" nic_has_ipv4
fi
read -r -a services <<<"$SERVICES"
for service in "\${services[@]}"; do
  wait_for "service $service active" service_active "$service"
done
if [ "\${#check_command[@]}" -gt 0 ]; then
  wait_for "check command \${check_command[*]}" command_passes
fi
read -r -a ports <<<"$TCP_PORTS"
for port in "\${ports[@]}"; do
  wait_for "TCP port $port on $CHECK_ADDRESS" port_open "$port"
done
echo "guest $GUEST_VMID is restorable: $archive restored into $TEMP_VMID, booted and passed every check after $(( $(date +%s) - started ))s"`;
}

/**
 * Destroys the temporary guest if this run made it (or took over a leftover), and checks it
 * is gone. Runs on every exit path, SIGTERM included, before the status is reported.
 */
export function renderRestoreDrillCleanup(): string {
  return `rm -f "\${restore_log:-}"
if [ "\${drill_created:-0}" != 1 ]; then
  return 0
fi
# Only the drill's copy: restored by this run, tagged by it, or still locked by the restore it
# started (stopped during the restore). Anything else at the VMID is left alone.
bc_conf=$(if [ "$GUEST_TYPE" = qemu ]; then qm config "$TEMP_VMID"; else pct config "$TEMP_VMID"; fi 2>/dev/null || true)
if [ -n "$bc_conf" ] && [ "\${drill_restored:-0}" != 1 ] && ! grep -Eq "^tags: (.*;)?$DRILL_TAG(;.*)?\$|^lock: create\$" <<<"$bc_conf"; then
  echo "guest $TEMP_VMID carries neither the tag $DRILL_TAG nor a restore's lock: not the drill's copy, left alone" >&2
  drill_created=0
  return 1
fi
echo "destroying temporary guest $TEMP_VMID"
if [ "$GUEST_TYPE" = qemu ]; then
  if qm config "$TEMP_VMID" >/dev/null 2>&1; then
    qm stop "$TEMP_VMID" --skiplock 1 >/dev/null 2>&1
    qm destroy "$TEMP_VMID" --purge 1 --skiplock 1 --destroy-unreferenced-disks 1
  fi
  if qm config "$TEMP_VMID" >/dev/null 2>&1; then
    echo "temporary guest $TEMP_VMID still exists: remove it with qm destroy $TEMP_VMID --purge 1 --skiplock 1" >&2
    return 1
  fi
else
  if pct config "$TEMP_VMID" >/dev/null 2>&1; then
    pct unlock "$TEMP_VMID" >/dev/null 2>&1
    pct stop "$TEMP_VMID" --skiplock 1 >/dev/null 2>&1
    pct destroy "$TEMP_VMID" --purge 1 --force 1 --destroy-unreferenced-disks 1
  fi
  if pct config "$TEMP_VMID" >/dev/null 2>&1; then
    echo "temporary guest $TEMP_VMID still exists: remove it with pct destroy $TEMP_VMID --purge 1 --force 1" >&2
    return 1
  fi
fi
drill_created=0`;
}
