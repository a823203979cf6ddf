import { BC_PRUNE_SNAPSHOTS, SNAPSHOT_INFIX } from './lvm-snapshot-script';
import { sqliteOnlineCopy } from './sqlite-copy';
import { BC_APPEND_MANIFEST_FN, BC_EMPTIED, BC_LOG, BC_NAMES_AS_BYTES, BC_PRUNE_WEEKS, BC_PVC_MAP, BC_REL_DIR, BC_REQUIRE_MOUNT, BC_RSYNC_CHANGES, BC_RUN, BC_WORK_DIR, renderManifestCleanup } from './pipeline-shell';

/** Top-level folders the file backup owns under its root; a mirror sharing the root must not use them. */
export const FILE_BACKUP_DIRECTORIES = { pvcData: 'pvc-data', sqlite: 'sqlite-backup', pfsense: 'pfsense', pveConfig: 'pve-config' } as const;

/** Which parts of the file backup are rendered. */
export interface FileBackupScriptOptions {
  readonly requireMount: boolean;
  readonly manifest: boolean;
  readonly pvcs: boolean;
  readonly sqlite: boolean;
  readonly pfsense: boolean;
  readonly pveConfig: boolean;
  readonly pruneSnapshots: boolean;
  /** The construct's path, named in messages that ask for a prop to be set. */
  readonly constructPath: string;
}

const STAMP_GLOB = '[0-9]'.repeat(12);

/** Text for inside a double-quoted bash string. */
const dq = (s: string): string => s.replace(/[\\"$`]/g, (c) => `\\${c}`);

const pvcsPart = (sqlite: boolean, constructPath: string): string => `# --- PVC files, from the newest snapshot of each PVC LV mounted read-only ---
# Runs on every exit of backup_one_pvc (its subshell's EXIT trap, a SIGTERM included): unmounts,
# closes the LUKS mapping, deactivates the snapshot. A mount or mapping left behind fails the PVC.
release_snapshot() {
  local status=$?
  if [ "\${mounted:-0}" -eq 1 ] && ! umount "$mnt"; then
    echo "could not unmount $mnt" >&2
    status=1
  fi
  rmdir "$mnt" 2>/dev/null || true
  # set just before cryptsetup open: the mapping may exist even if open did not return
  if [ -n "\${mapper:-}" ] && cryptsetup status "$mapper" >/dev/null 2>&1 && ! cryptsetup close "$mapper"; then
    echo "could not close the LUKS mapping $mapper of $VG/$snap" >&2
    status=1
  fi
  lvchange -an "$VG/$snap" >/dev/null 2>&1 || true
  exit "$status"
}

# Opens the LUKS volume $dev read-only as $mapper and points dev at what it holds.
open_luks() {
  local origin="$1"
  if [ -z "$ENCRYPTED_VOLUME_KEY_FILE" ]; then
    echo "PVC $origin: snapshot $VG/$snap is LUKS-encrypted and no key file is set: set pvcs.encryptedVolumeKeyFile of ${dq(constructPath)} to a root-only file holding the storage class's LUKS passphrase" >&2
    return 1
  fi
  if [ ! -f "$ENCRYPTED_VOLUME_KEY_FILE" ] || [ ! -r "$ENCRYPTED_VOLUME_KEY_FILE" ]; then
    echo "PVC $origin: snapshot $VG/$snap is LUKS-encrypted and its key file $ENCRYPTED_VOLUME_KEY_FILE is missing or unreadable: put the storage class's LUKS passphrase there, readable by root only (pvcs.encryptedVolumeKeyFile of ${dq(constructPath)})" >&2
    return 1
  fi
  # one name per job and snapshot; device-mapper names stop at 127 characters
  mapper="bc-$BC_JOB-$snap"
  if [ "\${#mapper}" -gt 127 ]; then
    mapper="bc-$(printf '%s' "$BC_JOB/$snap" | sha256sum | cut -c1-40)"
  fi
  # a mapping left by a run that was killed outright (the job lock rules out a running one)
  if cryptsetup status "$mapper" >/dev/null 2>&1; then
    cryptsetup close "$mapper"
  fi
  if ! cryptsetup open --readonly --key-file "$ENCRYPTED_VOLUME_KEY_FILE" "$dev" "$mapper"; then
    echo "PVC $origin: could not open LUKS snapshot $VG/$snap with key file $ENCRYPTED_VOLUME_KEY_FILE (a passphrase other than the storage class's?)" >&2
    return 1
  fi
  dev="$MAPPER_DIR/$mapper"
}

backup_one_pvc() {
  local origin="$1" ns="$3" pvc="$4" dev fstype dest prev fresh=0 w name rc
  snap="$2"
  mnt="$PVC_MOUNT_DIR/$snap"
  mounted=0
  mapper=""
  trap release_snapshot EXIT
  mkdir -p "$mnt"
  lvchange -ay -K "$VG/$snap"
  dev="$SNAPSHOT_DEVICE_DIR/$VG/$snap"
  # an encrypted storage class (LUKS inside the LV) is opened read-only first
  fstype=$(blkid -p -o value -s TYPE "$dev") || fstype=""
  if [ "$fstype" = crypto_LUKS ]; then
    open_luks "$origin"
  fi
  # noload: a read-only mount must not replay the ext4 journal of a crash-consistent snapshot
  mount -o ro,noload "$dev" "$mnt"
  mounted=1
  dest="$ROOT/${FILE_BACKUP_DIRECTORIES.pvcData}/$week/$ns/$pvc"
  prev=""
  for w in "$ROOT/${FILE_BACKUP_DIRECTORIES.pvcData}"/[0-9][0-9][0-9][0-9]-[0-9][0-9]; do
    name="\${w##*/}"
    if [ -d "$w/$ns/$pvc" ] && [[ "$name" < "$week" ]]; then
      prev="$w/$ns/$pvc"
    fi
  done
  # beside the copy, not in it (a restore copies the folder): only a whole copy has one
  complete="\${dest%/*}/.$pvc.complete"
  # A copy that is not whole (new this week, or left by a run that failed or was killed) is
  # listed whole: what that run wrote, hard links into last week's copy included, may never
  # have reached the manifest, and rsync will not itemize it again.
  if [ ! -d "$dest" ] || [ ! -f "$complete" ]; then
    fresh=1
  fi
  mkdir -p "$dest"
  rm -f -- "$complete"
  # local disk to local disk: no -z; unchanged files become hard links into last week's copy
  rc=0
  rsync -a -8 --delete --out-format='%i|%b|%n' \${prev:+"--link-dest=$prev"} "$mnt/" "$dest/" >"$WORK_DIR/rsync-$snap" || rc=$?
  # listed whatever rsync's status: what it wrote before failing is on the disk, and the next
  # run will not send it again
  if [ "$fresh" -eq 1 ]; then
    # only counted; with the copy's folder as prefix no name fails it
    bc_rsync_changes "\${manifest_prefix}${FILE_BACKUP_DIRECTORIES.pvcData}/$week/$ns/$pvc/" <"$WORK_DIR/rsync-$snap" >/dev/null
    echo "\${manifest_prefix}${FILE_BACKUP_DIRECTORIES.pvcData}/$week/$ns/$pvc/" >>"$WORK_DIR/manifest-add"
    # and last week's copy it hard-links into: the off-site sync (rsync -H) then sees both names
    # of each unchanged file and links them there too, instead of sending and storing every
    # unchanged file again each week
    if [ -n "$prev" ]; then
      echo "\${manifest_prefix}${FILE_BACKUP_DIRECTORIES.pvcData}/\${prev#"$ROOT/${FILE_BACKUP_DIRECTORIES.pvcData}/"}/" >>"$WORK_DIR/manifest-add"
    fi
  else
    bc_rsync_changes "\${manifest_prefix}${FILE_BACKUP_DIRECTORIES.pvcData}/$week/$ns/$pvc/" <"$WORK_DIR/rsync-$snap" >>"$WORK_DIR/manifest-add"
  fi
  # 24: files vanished while copied; a snapshot does not change, a live folder might
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 24 ]; then
    return "$rc"
  fi
  touch -- "$complete"
${sqlite ? '  sqlite_from "$mnt" "$ns/$pvc"\n' : ''}}

# Keeps the newest WEEKLY_VERSIONS week folders whole. In older ones it removes each PVC's copy
# except those of a PVC that failed this run (its copy this week is not whole) and those of a
# PVC no kept week holds whole (not copied lately: its LV is gone, or it has no snapshot; or
# only a copy a failed run left half-written), so no PVC loses its last good copy, and one
# failing PVC does not stop the others' pruning. A whole copy has a .<pvc>.complete marker
# beside it; a week written before markers existed has none, and its copies count as whole.
prune_pvc_weeks() {
  local dir="$ROOT/${FILE_BACKUP_DIRECTORIES.pvcData}" old key k kept
  [ -d "$dir" ] || return 0
  find "$dir" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9]{4}-[0-9]{2}' -printf '%f\\n' | LC_ALL=C sort -r >"$WORK_DIR/weeks"
  bc_no_future_week "$dir" "$week" <"$WORK_DIR/weeks" || return 1
  head -n "$WEEKLY_VERSIONS" "$WORK_DIR/weeks" >"$WORK_DIR/weeks-kept"
  tail -n "+$((WEEKLY_VERSIONS + 1))" "$WORK_DIR/weeks" >"$WORK_DIR/weeks-old"
  while IFS= read -r old; do
    find "$dir/$old" -mindepth 2 -maxdepth 2 -type d -printf '%P\\n' | sort >"$WORK_DIR/week-pvcs"
    while IFS= read -r key; do
      if grep -qxF -- "$key" "$WORK_DIR/pvc-failed"; then
        echo "keeping $dir/$old/$key: $key failed this run"
        continue
      fi
      kept=0
      while IFS= read -r k; do
        if [ -d "$dir/$k/$key" ] && { [ -f "$dir/$k/\${key%/*}/.\${key##*/}.complete" ] || [ -z "$(find "$dir/$k" -mindepth 2 -maxdepth 2 -name '.*.complete' -print -quit)" ]; }; then
          kept=1
          break
        fi
      done <"$WORK_DIR/weeks-kept"
      if [ "$kept" -eq 0 ]; then
        echo "keeping $dir/$old/$key: no newer week holds $key"
        continue
      fi
      rm -rf -- "\${dir:?}/$old/$key"
      rm -f -- "$dir/$old/\${key%/*}/.\${key##*/}.complete"
    done <"$WORK_DIR/week-pvcs"
    # namespace folders left empty, then the week itself once nothing is left in it
    find "$dir/$old" -mindepth 1 -maxdepth 1 -type d -empty -delete
    if rmdir "$dir/$old" 2>/dev/null; then
      echo "removed old version $dir/$old" >&2
    fi
  done <"$WORK_DIR/weeks-old"
}

backup_pvcs() {
  local origin snap ns pvc later_than failures=0
  bc_pvc_map >"$WORK_DIR/pvc-map"
  : >"$WORK_DIR/pvc-failed"
  LC_ALL=C lvs --noheadings -o lv_name,origin "$VG" >"$WORK_DIR/lvs"
  # A snapshot taken while the clock was ahead is stamped in the future and would be the
  # newest by its name until that date: copied night after night in place of the real ones,
  # while the weeks that hold the PVC's true state are pruned. A day's margin leaves the hour
  # a clock set back for winter time repeats.
  later_than=$(date -d "@$(($(date +%s) + 86400))" +%Y%m%d%H%M)
  : >"$WORK_DIR/snap-future"
  # the newest snapshot of each origin matching LV_GLOB, by the stamp in its name
  awk '$2 != "" { print $2, $1 }' "$WORK_DIR/lvs" | while read -r origin snap; do
    # shellcheck disable=SC2254 # LV_GLOB is a pattern on purpose
    case "$origin" in
      $LV_GLOB) ;;
      *) continue ;;
    esac
    case "$snap" in
      "$origin"${SNAPSHOT_INFIX}${STAMP_GLOB}) ;;
      *) continue ;;
    esac
    if [[ "\${snap##*${SNAPSHOT_INFIX}}" > "$later_than" ]]; then
      echo "$snap" >>"$WORK_DIR/snap-future"
      continue
    fi
    echo "$origin $snap"
  done | sort -k1,1 -k2,2r | awk '!seen[$1]++' >"$WORK_DIR/latest"
  while read -r snap; do
    echo "snapshot $VG/$snap is stamped in the future (the clock was ahead when it was taken, or is behind now): not copied; check the clock, then lvremove it" >&2
    failures=$((failures + 1))
  done <"$WORK_DIR/snap-future"
  if [ ! -s "$WORK_DIR/latest" ]; then
    echo "no PVC snapshots in $VG: did the snapshot job run?" >&2
    return 1
  fi
  while read -r origin snap; do
    ns=""
    pvc=""
    IFS=$'\\t' read -r _ ns pvc < <(awk -F '\\t' -v lv="$origin" '$1 == lv { print; exit }' "$WORK_DIR/pvc-map") || true
    if [ -z "$ns" ] || [ -z "$pvc" ]; then
      # an LV no PersistentVolume names (a deleted claim): still copied, under its LV name
      ns=_unclaimed
      pvc="$origin"
    fi
    bc_run backup_one_pvc "$origin" "$snap" "$ns" "$pvc"
    if [ "$bc_rc" -ne 0 ]; then
      echo "PVC $origin (snapshot $snap) failed with status $bc_rc" >&2
      echo "$ns/$pvc" >>"$WORK_DIR/pvc-failed"
      failures=$((failures + 1))
    fi
  done <"$WORK_DIR/latest"
  echo "$(wc -l <"$WORK_DIR/latest") PVC(s) copied to week $week, $failures failed"
  prune_pvc_weeks
  [ "$failures" -eq 0 ]
}
`;

const SQLITE = `# --- SQLite databases found in the snapshots: opened read-only, copied with VACUUM INTO ---
# Copies one database; prints nothing, returns non-zero on failure.
sqlite_one() {
  local f="$1" out="$2" uri tmp check
  # a file: URI: escape what would end the path early
  uri="\${f//%/%25}"
  uri="\${uri//\\?/%3f}"
  uri="\${uri//#/%23}"
  mkdir -p "$(dirname "$out")" "$ROOT/${FILE_BACKUP_DIRECTORIES.sqlite}/.tmp" || return 1
  tmp="$ROOT/${FILE_BACKUP_DIRECTORIES.sqlite}/.tmp/$BASHPID.db"
  rm -f "$tmp"
  # mode=ro: never write to (or replay the journal of) the source. VACUUM INTO copies one
  # consistent state inside a single read transaction; .backup would start over every time
  # another connection commits, and never finish beside a busy writer.
  uri="file:$uri?mode=ro"
  # A WAL database its writer closed cleanly has no -wal file, and on the read-only snapshot
  # SQLite cannot create the -shm it needs to open one ("unable to open database file"). With
  # no WAL content the main file holds every commit: opened immutable (no -shm, no locks).
  if [ "$(od -An -tu1 -j18 -N1 -- "$f" | tr -d ' ')" = 2 ] && [ ! -s "$f-wal" ] && [ ! -w "$(dirname -- "$f")" ]; then
    uri="$uri&immutable=1"
  fi
  if ! ${sqliteOnlineCopy('"$uri"', '$tmp', '$SQLITE_TIMEOUT_MS')}; then
    rm -f "$tmp"
    return 1
  fi
  check=$(sqlite3 "$tmp" 'PRAGMA integrity_check;' </dev/null) || check="failed"
  if [ "$check" != ok ]; then
    echo "integrity check of the copy of $f failed: $check" >&2
    rm -f "$tmp"
    return 1
  fi
  # replaced only by a copy that passed the check
  mv -f "$tmp" "$out"
}

# Finds SQLite databases (by their magic number) under $1 and copies each to
# sqlite-backup/$2/<path>.
sqlite_from() {
  local src="$1" key="$2" f rel
  find "$src/" -xdev -type f -size +511c ! -name '*-wal' ! -name '*-shm' ! -name '*-journal' -print0 >"$WORK_DIR/files-$snap"
  while IFS= read -r -d '' f; do
    [ "$(head -c 15 "$f" 2>/dev/null | tr -d '\\0')" = "SQLite format 3" ] || continue
    rel="\${f#"$src"/}"
    if sqlite_one "$f" "$ROOT/${FILE_BACKUP_DIRECTORIES.sqlite}/$key/$rel"; then
      echo "\${manifest_prefix}${FILE_BACKUP_DIRECTORIES.sqlite}/$key/$rel" >>"$WORK_DIR/manifest-add"
      echo "$key/$rel" >>"$WORK_DIR/sqlite-ok"
    else
      echo "could not back up SQLite database $key/$rel" >&2
      echo "$key/$rel" >>"$WORK_DIR/sqlite-failed"
    fi
  done <"$WORK_DIR/files-$snap"
}
`;

const PFSENSE = `# --- pfSense: config.xml every day, the full filesystem tar on one weekday only ---
pfsense_ssh() {
  ssh -i "$PFSENSE_SSH_KEY" -o BatchMode=yes -o ConnectTimeout=30 "$PFSENSE_USER@$PFSENSE_HOST" "$@"
}

backup_pfsense() {
  local top="$ROOT/${FILE_BACKUP_DIRECTORIES.pfsense}" dir="$ROOT/${FILE_BACKUP_DIRECTORIES.pfsense}/$week" paths rc=0
  # fetched beside the week folders: only a good config.xml makes this week a version
  mkdir -p "$top"
  rm -f "$top/.config.xml.tmp"
  pfsense_ssh cat /cf/conf/config.xml >"$top/.config.xml.tmp" || rc=$?
  if [ "$rc" -ne 0 ] || ! grep -q '<pfsense>' "$top/.config.xml.tmp"; then
    rm -f "$top/.config.xml.tmp"
    echo "pfSense returned no config.xml" >&2
    return $((rc ? rc : 1))
  fi
  mkdir -p "$dir"
  mv -f "$top/.config.xml.tmp" "$dir/config.xml"
  wc -c <"$dir/config.xml" >>"$WORK_DIR/bytes"
  echo "\${manifest_prefix}${FILE_BACKUP_DIRECTORIES.pfsense}/$week/config.xml" >>"$WORK_DIR/manifest-add"
  if [ "$(date +%u)" = "$PFSENSE_FULL_TAR_WEEKDAY" ]; then
    read -r -a paths <<<"$PFSENSE_TAR_PATHS"
    pfsense_ssh tar czf - "\${paths[@]}" >"$dir/.pfsense-full.tar.gz.tmp" || rc=$?
    if [ "$rc" -ne 0 ] || ! gzip -t "$dir/.pfsense-full.tar.gz.tmp"; then
      rm -f "$dir/.pfsense-full.tar.gz.tmp"
      echo "pfSense's full tar failed" >&2
      return $((rc ? rc : 1))
    fi
    mv -f "$dir/.pfsense-full.tar.gz.tmp" "$dir/pfsense-full.tar.gz"
    wc -c <"$dir/pfsense-full.tar.gz" >>"$WORK_DIR/bytes"
    echo "\${manifest_prefix}${FILE_BACKUP_DIRECTORIES.pfsense}/$week/pfsense-full.tar.gz" >>"$WORK_DIR/manifest-add"
  fi
  bc_prune_weeks "$top" "$PFSENSE_WEEKLY_VERSIONS" config.xml "$week" pfsense-full.tar.gz
}
`;

const PVE_CONFIG = `# --- Proxmox host configuration: one current copy ---
# A path that is empty while its copy holds files is not synced: /etc/pve is an empty folder
# whenever pmxcfs is not running (pve-cluster failed to start), and --delete would then empty
# the only copy of the configuration, just when it is needed. ALLOW_EMPTIED accepts it.
backup_pve_config() {
  local p paths rc copy emptied=0
  read -r -a paths <<<"$PVE_CONFIG_PATHS"
  for p in "\${paths[@]}"; do
    p="\${p%/}"
    copy="$ROOT/${FILE_BACKUP_DIRECTORIES.pveConfig}$p"
    if bc_no_files "$p" && [ -n "$(find "$copy" -mindepth 1 ! -type d -print -quit 2>/dev/null)" ]; then
      if bc_emptied_allowed "$p"; then
        echo "$p is empty and ALLOW_EMPTIED names it: its copy $copy is emptied too" >&2
      else
        echo "$p is empty while its copy $copy holds files: copy kept. If it was emptied on purpose, run once with $(bc_emptied_hint "$p")" >&2
        emptied=1
        continue
      fi
    fi
    mkdir -p "$copy"
    # local to local: no -z; --delete only inside this path's own copy
    rc=0
    rsync -a -8 --delete --out-format='%i|%b|%n' "$p/" "$ROOT/${FILE_BACKUP_DIRECTORIES.pveConfig}$p/" >"$WORK_DIR/rsync-pve-config" || rc=$?
    # listed whatever rsync's status: what it wrote before failing is on the disk
    bc_rsync_changes "\${manifest_prefix}${FILE_BACKUP_DIRECTORIES.pveConfig}$p/" <"$WORK_DIR/rsync-pve-config" >>"$WORK_DIR/manifest-add"
    if [ "$rc" -ne 0 ]; then
      return "$rc"
    fi
  done
  [ "$emptied" -eq 0 ]
}
`;

const PRUNE = `# --- safety net: snapshots that outlived the snapshot job's own pruning ---
prune_snapshots() {
  bc_prune_snapshots "$PRUNE_SNAPSHOTS_AFTER_SECONDS" "$PRUNE_SNAPSHOTS_KEEP_AT_LEAST"
  echo "$bc_pruned old snapshot(s) removed, $bc_prune_held held as the newest of a volume"
  [ "$bc_prune_failed" -eq 0 ]
}
`;

/**
 * What the file backup writes is root's only. pfSense's config.xml and full tar hold its
 * password hashes, certificate keys and VPN secrets, the SQLite copies whole application
 * databases; under the host's umask (022) they and every folder made here were readable by
 * any user on the host, and `rsync -a` carried those modes to the off-site copy. rsync still
 * gives the PVC and configuration copies their source's modes; their folders made here are
 * 0700.
 */
const FILE_BACKUP_UMASK = `# files 0600, folders 0700: config.xml, the pfSense tar and the SQLite copies hold secrets
umask 077
`;

/**
 * The daily file backup's body (seed 002's `daily-backup`): the parts that are enabled, each
 * run on its own so one failing part does not stop the others, then one append to the
 * off-site manifest of everything written (even by a part that failed later: those files are
 * on the disk and must reach the off-site copy). It never truncates the manifest. The pfSense
 * part is a step (`bc_step_begin`/`bc_step_end`, ScheduledHostJob `steps`) that reports its
 * own outcome under PFSENSE_JOB as well as failing the run.
 */
export function renderFileBackupBody(o: FileBackupScriptOptions): string {
  const parts: [boolean, string, string][] = [
    [o.pvcs, FILE_BACKUP_DIRECTORIES.pvcData, 'backup_pvcs'],
    [o.pfsense, FILE_BACKUP_DIRECTORIES.pfsense, 'backup_pfsense'],
    [o.pveConfig, FILE_BACKUP_DIRECTORIES.pveConfig, 'backup_pve_config'],
    [o.pruneSnapshots, 'snapshot-prune', 'prune_snapshots'],
  ];
  const fns = [BC_RUN, BC_REL_DIR, BC_RSYNC_CHANGES, BC_PRUNE_WEEKS];
  if (o.requireMount) fns.push(BC_REQUIRE_MOUNT);
  if (o.manifest) fns.push(BC_LOG, BC_APPEND_MANIFEST_FN);
  if (o.pvcs || o.pruneSnapshots) fns.push(BC_PVC_MAP, BC_PRUNE_SNAPSHOTS);
  if (o.pvcs) fns.push(pvcsPart(o.sqlite, o.constructPath));
  if (o.sqlite) fns.push(SQLITE);
  if (o.pfsense) fns.push(PFSENSE);
  if (o.pveConfig) fns.push(BC_EMPTIED, PVE_CONFIG);
  if (o.pruneSnapshots) fns.push(PRUNE);
  // pfSense reports as a job of its own (PFSENSE_JOB) too, on every exit path once begun
  const run = parts
    .filter(([on]) => on)
    .map(([, name, fn]) =>
      fn === 'backup_pfsense'
        ? `bc_step_begin "$PFSENSE_JOB"\nbc_run ${fn}\nbc_step_end "$bc_rc"\nif [ "$bc_rc" -ne 0 ]; then\n  failed="$failed ${name}"\nfi`
        : `bc_run ${fn}\nif [ "$bc_rc" -ne 0 ]; then\n  failed="$failed ${name}"\nfi`,
    )
    .join('\n');
  return `${BC_NAMES_AS_BYTES}${fns.join('\n')}
${FILE_BACKUP_UMASK}${o.requireMount ? 'bc_require_mount "$MOUNT_POINT"\n' : ''}${BC_WORK_DIR}${o.manifest ? '# from here on, what is listed in manifest-add must reach the manifest on every exit path\nbc_manifest_pending=1\n' : ''}: >"$WORK_DIR/sqlite-ok"
: >"$WORK_DIR/sqlite-failed"
# ISO year and week (YYYY-WW) name the weekly versions; WEEK overrides it (tests, re-runs)
week="\${WEEK:-$(date +%G-%V)}"
manifest_prefix=${o.manifest ? '$(bc_rel_dir "$ROOT" "$MANIFEST_ROOT")' : '""'}
failed=""
${run}
${o.sqlite ? `sqlite_ok=$(wc -l <"$WORK_DIR/sqlite-ok")
sqlite_failed=$(wc -l <"$WORK_DIR/sqlite-failed")
echo "SQLite: $sqlite_ok database(s) copied, $sqlite_failed failed"
bc_metric backup_sqlite_databases "$sqlite_ok"
bc_metric backup_sqlite_failed "$sqlite_failed"
if [ "$sqlite_failed" -gt 0 ]; then
  failed="$failed ${FILE_BACKUP_DIRECTORIES.sqlite}"
fi
` : ''}${o.manifest ? `bc_append_manifest <"$WORK_DIR/manifest-add"
bc_manifest_pending=0
` : ''}bc_metric backup_last_size_bytes "$(awk '{ s += $1 } END { print s + 0 }' "$WORK_DIR/bytes")"
if [ -n "$failed" ]; then
  echo "failed parts:$failed" >&2
  exit 1
fi
`;
}

/** The file backup's cleanup: appends to the manifest what a stopped run listed. */
export function renderFileBackupCleanup(): string {
  return renderManifestCleanup();
}
