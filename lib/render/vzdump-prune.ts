import type { Retention } from '../retention';

/** The metric a prune reports: archives beyond retention still on the storage after the run. */
export const PRUNE_PENDING_METRIC = 'backup_prune_pending_archives';

const KEEP_OPTIONS = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;

/** What a vzdump prune script needs beyond the standard job preamble. */
export interface VzdumpPruneScriptOptions {
  readonly storageId: string;
  readonly dumpDirectory: string;
  readonly receiptDirectory: string;
  /** Retention for guests without their own. */
  readonly retention: Retention;
  /** Per-VMID retention where a job's differs (`101` -> keep-last=3), with the job that sets it. */
  readonly guestRetention: Readonly<Record<string, { retention: Retention; source: string }>>;
  /** How many receipts to keep (the newest). */
  readonly receiptsKept: number;
}

/** `keep-last=2,keep-daily=7` as the script's `last=2 daily=7` words. */
function words(r: Retention): string {
  return r
    .toPruneBackups()
    .split(',')
    .map((kv) => kv.replace(/^keep-/, ''))
    .join(' ');
}

/** Settings of the prune script; each can be overridden from the environment (tests do). */
export function vzdumpPruneSettings(o: VzdumpPruneScriptOptions): Record<string, string> {
  const overrides = Object.keys(o.guestRetention)
    .sort((a, b) => Number(a) - Number(b))
    .map((vmid) => `${vmid}:${o.guestRetention[vmid].retention.toPruneBackups()}`)
    .join(' ');
  return {
    STORAGE: o.storageId,
    DUMP_DIR: o.dumpDirectory,
    RECEIPT_DIR: o.receiptDirectory,
    RETENTION: words(o.retention),
    GUEST_RETENTION: overrides,
    RECEIPTS_KEPT: String(o.receiptsKept),
  };
}

/**
 * A receipt-backed prune in Proxmox's own `prune-backups` semantics (per guest, newest first:
 * keep-last, then keep-hourly, daily, weekly (ISO), monthly, yearly, each counting periods not
 * yet covered; `.protected` archives are never removed). Dry run unless `--execute`. Only
 * names vzdump writes are ever considered; with each archive its `.log` and `.notes` go.
 * Writes a TSV receipt: action, guest, file, reason.
 *
 * @see https://pve.proxmox.com/pve-docs/chapter-vzdump.html#vzdump_retention
 */
export function renderVzdumpPruneBody(): string {
  return `mode=dry-run
for arg in "$@"; do
  case "$arg" in
    --execute) mode=execute ;;
    --dry-run) mode=dry-run ;;
    *) echo "usage: $0 [--dry-run | --execute]" >&2; exit 64 ;;
  esac
done
if [ ! -d "$DUMP_DIR" ]; then
  echo "archive folder $DUMP_DIR of storage $STORAGE does not exist" >&2
  exit 66
fi
stamp_re='([0-9]{4})_([0-9]{2})_([0-9]{2})-([0-9]{2})_([0-9]{2})_([0-9]{2})'
# a VMID as Proxmox reads one (PVE::Storage::archive_info): 0100, 99 or a ten-digit number
# make a name Proxmox never prunes, and so neither does this; older vzdump wrote openvz
# archives and .tgz ones, which Proxmox prunes as well
archive_re="^vzdump-(qemu|lxc|openvz)-([1-9][0-9]{2,8})-$stamp_re\\.(tgz|(vma|tar)(\\.(zst|gz|lzo))?)\$"
log_re="^vzdump-(qemu|lxc|openvz)-([0-9]+)-$stamp_re\\.log\$"

# Sets keep[last] ... keep[yearly] for a VMID, and retention_text naming the rule and its source.
declare -A keep=()
retention_for() {
  local vmid=$1 spec="" entry word
  keep=(${KEEP_OPTIONS.map((k) => `[${k}]=0`).join(' ')})
  for entry in $GUEST_RETENTION; do
    if [ "\${entry%%:*}" = "$vmid" ]; then spec=\${entry#*:}; fi
  done
  if [ -n "$spec" ]; then
    retention_text="$spec (guest $vmid)"
    spec=\${spec//keep-/}
    spec=\${spec//,/ }
  else
    spec=$RETENTION
    retention_text="keep-\${RETENTION// /,keep-} (storage $STORAGE)"
  fi
  for word in $spec; do
    case "\${word%%=*}" in
      ${KEEP_OPTIONS.join(' | ')}) keep[\${word%%=*}]=\${word#*=} ;;
      *) echo "unknown retention option $word" >&2; return 64 ;;
    esac
  done
}

# Whether a name's time is one Time::Local accepts: Proxmox reads the time with timelocal,
# which dies on 2023_02_29 or 24_00_00, and then leaves the archive alone (never pruned).
valid_time() {
  local y=$((10#$1)) mo=$((10#$2)) d=$((10#$3)) days=31
  case "$mo" in
    2) if (( (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 )); then days=29; else days=28; fi ;;
    4 | 6 | 9 | 11) days=30 ;;
  esac
  (( mo >= 1 && mo <= 12 && d >= 1 && d <= days && 10#$4 <= 23 && 10#$5 <= 59 && 10#$6 <= 59 ))
}

# Every entry of the folder: vzdump archives by guest, their companions, everything else.
declare -A group_of=() stamp_of=() companion=()
archives=()
ignored=()
while IFS= read -r name; do
  if [ -f "$DUMP_DIR/$name" ] && [ ! -L "$DUMP_DIR/$name" ] && [[ "$name" =~ $archive_re ]] &&
    valid_time "\${BASH_REMATCH[3]}" "\${BASH_REMATCH[4]}" "\${BASH_REMATCH[5]}" "\${BASH_REMATCH[6]}" "\${BASH_REMATCH[7]}" "\${BASH_REMATCH[8]}"; then
    archives+=("$name")
    group_of[$name]="\${BASH_REMATCH[1]}/\${BASH_REMATCH[2]}"
    stamp_of[$name]="\${BASH_REMATCH[3]}\${BASH_REMATCH[4]}\${BASH_REMATCH[5]}\${BASH_REMATCH[6]}\${BASH_REMATCH[7]}\${BASH_REMATCH[8]}"
  elif [[ "$name" =~ $log_re ]] || [[ "$name" == vzdump-*.notes ]] || [[ "$name" == vzdump-*.protected ]]; then
    companion[$name]=1
  else
    ignored+=("$name")
  fi
done < <(find "$DUMP_DIR" -mindepth 1 -maxdepth 1 -printf '%f\\n' | LC_ALL=C sort)

# The period each archive falls in for each keep option, from the local time in its name,
# worked out once (a run over a backlog of thousands of archives forks nothing per archive).
# Proxmox's keep-last period is the archive's time: two archives of one second are one.
# Weeks are ISO weeks of the calendar date, all from one date call, at noon in UTC, as local
# midnight does not exist on days where daylight saving time starts at midnight (Chile, Cuba,
# Egypt, Lebanon).
declare -A period_of=()
weeks=()
if [ "\${#archives[@]}" -gt 0 ]; then
  mapfile -t weeks < <(for a in "\${archives[@]}"; do
    s=\${stamp_of[$a]}
    echo "\${s:0:4}-\${s:4:2}-\${s:6:2} 12:00"
  done | date -u -f - +%G-W%V)
fi
if [ "\${#weeks[@]}" -ne "\${#archives[@]}" ]; then
  echo "could not work out the ISO weeks of the archives in $DUMP_DIR" >&2
  exit 70
fi
i=0
for a in "\${archives[@]}"; do
  s=\${stamp_of[$a]}
  period_of[last/$a]=$s
  period_of[hourly/$a]=\${s:0:10}
  period_of[daily/$a]=\${s:0:8}
  period_of[weekly/$a]=\${weeks[i]}
  period_of[monthly/$a]=\${s:0:6}
  period_of[yearly/$a]=\${s:0:4}
  i=$((i + 1))
done

mkdir -p "$RECEIPT_DIR"
receipt="$RECEIPT_DIR/vzdump-prune-$STORAGE-$(date -u +%Y%m%dT%H%M%S.%NZ)-$mode.tsv"
if [ -e "$receipt" ]; then
  echo "receipt $receipt exists already" >&2
  exit 75
fi
{
  echo "# vzdump prune receipt: storage $STORAGE, folder $DUMP_DIR, host $BC_HOST, mode $mode, started $(date -u +%FT%TZ)"
  printf '# action\\tguest\\tfile\\treason\\n'
} >"$receipt"
record() {
  printf '%s\\t%s\\t%s\\t%s\\n' "$1" "$2" "$3" "$4" >>"$receipt"
}

declare -A mark=() why=()
to_remove=()
groups=$(for a in "\${archives[@]}"; do echo "\${group_of[$a]}"; done | LC_ALL=C sort -u)
for group in $groups; do
  # newest first, as Proxmox marks them; archives of the same second (one compressed, one
  # not) in the order Proxmox lists them, by name (its sort by time is stable)
  mapfile -t members < <(for a in "\${archives[@]}"; do
    if [ "\${group_of[$a]}" = "$group" ]; then printf '%s %s\\n' "\${stamp_of[$a]}" "$a"; fi
  done | LC_ALL=C sort -k1,1r -k2,2 | cut -d' ' -f2)
  retention_for "\${group#*/}"
  for a in "\${members[@]}"; do
    if [ -e "$DUMP_DIR/$a.protected" ]; then mark[$a]=protected; why[$a]="protected (a .protected file)"; fi
  done
  # no keep option above 0 (an override such as keep-last=0) keeps every archive, as
  # Proxmox's prune_mark_backup_group does, instead of removing the guest's every archive
  any=0
  for option in "\${!keep[@]}"; do
    if [ "\${keep[$option]}" -gt 0 ]; then any=1; fi
  done
  if [ "$any" -eq 0 ]; then
    for a in "\${members[@]}"; do
      if [ -z "\${mark[$a]:-}" ]; then mark[$a]=keep; why[$a]="no keep option above 0 in $retention_text: every archive is kept"; fi
    done
  fi
  for option in ${KEEP_OPTIONS.join(' ')}; do
    count=\${keep[$option]}
    [ "$count" -gt 0 ] || continue
    declare -A already=() newly=()
    for a in "\${members[@]}"; do
      if [ "\${mark[$a]:-}" = keep ]; then already[\${period_of[$option/$a]}]=1; fi
    done
    for a in "\${members[@]}"; do
      [ -z "\${mark[$a]:-}" ] || continue
      period=\${period_of[$option/$a]}
      [ -z "\${already[$period]:-}" ] || continue
      if [ -z "\${newly[$period]:-}" ]; then
        [ "\${#newly[@]}" -lt "$count" ] || break
        newly[$period]=1
        mark[$a]=keep
        if [ "$option" = last ]; then why[$a]="keep-last: one of the newest $count"; else why[$a]="keep-$option: newest of $period"; fi
      else
        mark[$a]=remove
        why[$a]="keep-$option: a newer archive of $period is kept"
      fi
    done
    unset already newly
  done
  for a in "\${members[@]}"; do
    if [ -z "\${mark[$a]:-}" ]; then mark[$a]=remove; why[$a]="beyond $retention_text"; fi
    case "\${mark[$a]}" in
      keep) record keep "$group" "$a" "\${why[$a]}" ;;
      protected) record protected "$group" "$a" "\${why[$a]}" ;;
      remove) to_remove+=("$a") ;;
    esac
  done
done
for name in "\${ignored[@]}"; do
  record ignored - "$name" "not a finished vzdump archive: never touched"
done

deleted=0
gone=0
freed=0
for a in "\${to_remove[@]}"; do
  if [ ! -e "$DUMP_DIR/$a" ]; then
    gone=$((gone + 1))
    record gone "\${group_of[$a]}" "$a" "removed meanwhile (by Proxmox's own prune)"
  elif [ "$mode" = execute ]; then
    bytes=$(stat -c %s "$DUMP_DIR/$a")
    rm -f -- "$DUMP_DIR/$a"
    # its task log and notes go with it, as when Proxmox prunes
    for extra in "\${a%%.*}.log" "$a.notes"; do
      if [ -n "\${companion[$extra]:-}" ]; then rm -f -- "\${DUMP_DIR:?}/$extra"; fi
    done
    deleted=$((deleted + 1))
    freed=$((freed + bytes))
    record delete "\${group_of[$a]}" "$a" "\${why[$a]}"
  else
    record would-delete "\${group_of[$a]}" "$a" "\${why[$a]}"
  fi
done
pending=$(( \${#to_remove[@]} - deleted - gone ))
echo "# result: kept $(( \${#archives[@]} - \${#to_remove[@]} )), deleted $deleted ($freed bytes), pending $pending, ignored \${#ignored[@]}" >>"$receipt"
echo "vzdump prune of $STORAGE ($mode): \${#archives[@]} archives, deleted $deleted ($freed bytes), $pending beyond retention still there; receipt $receipt"
bc_metric ${PRUNE_PENDING_METRIC} "$pending"

# Receipts are this job's own files: keep the newest RECEIPTS_KEPT.
# Only a stamp may follow the storage id: a prune of storage tank must not count (and delete)
# the receipts of tank-backups in a shared folder.
storage_re=\${STORAGE//./\\\\.}
mapfile -t receipts < <(find "$RECEIPT_DIR" -maxdepth 1 -type f -regextype posix-extended -regex ".*/vzdump-prune-$storage_re-[0-9]{8}T[0-9]{6}\\.[0-9]+Z-[a-z-]+\\.tsv" -printf '%f\\n' | LC_ALL=C sort -r)
for old in "\${receipts[@]:$RECEIPTS_KEPT}"; do
  rm -f -- "\${RECEIPT_DIR:?}/$old"
done`;
}
