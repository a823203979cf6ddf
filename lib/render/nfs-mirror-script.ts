import { BypassList, BypassRoot } from '../bypass-list';
import { RSYNC_HIDE_DUMP_WORK } from '../in-progress';
import { BC_APPEND_MANIFEST_FN, BC_EMPTIED, BC_LOG, BC_NAMES_AS_BYTES, BC_REL_DIR, BC_REQUIRE_MOUNT, BC_RSYNC_CHANGES, BC_RUN, BC_WORK_DIR, renderManifestCleanup } from './pipeline-shell';

/** What the mirror's body is rendered from. */
export interface NfsMirrorScriptOptions {
  readonly bypass: BypassList;
  /** The root of the bypass list this mirror copies (its SOURCE). */
  readonly root: BypassRoot;
  /** Globs of top-level names the destination already uses for something else. */
  readonly reservedNames: readonly string[];
  readonly requireMount: boolean;
  readonly manifest: boolean;
}

/**
 * Counts the entries this mirror copied on an earlier run that are gone from SOURCE. More than
 * VANISHED_LIMIT_PERCENT of them gone at once sets refuse: the run then mirrors nothing
 * (each entry's rsync --delete would follow the wrong filesystem too, emptying the copies of
 * what is missing there), removes nothing, and fails. Runs before the first rsync.
 */
const CHECK_VANISHED = `recorded=0
gone=0
if [ -f "$STATE_FILE" ]; then
  recorded=$(cut -f1 "$STATE_FILE" | grep -c . || true)
  gone=$(cut -f1 "$STATE_FILE" | grep -vxF -f "$WORK_DIR/present" | grep -c . || true)
fi
# Many entries gone at once is a wrong or half-restored filesystem at SOURCE far more often
# than a cleanup: mirror and remove nothing, keep the record, and fail so the Failing alert says so.
refuse=0
if [ "$gone" -gt 1 ] && [ $((gone * 100)) -gt $((recorded * VANISHED_LIMIT_PERCENT)) ]; then
  refuse=1
  echo "$gone of the $recorded entries this mirror copied are gone from $SOURCE at once (limit $VANISHED_LIMIT_PERCENT%): is the right filesystem mounted there? Nothing removed, nothing mirrored (its --delete would empty the copies of what is missing there). If they were removed on purpose, run once with VANISHED_LIMIT_PERCENT=100" >&2
  failures=$((failures + 1))
fi
`;

/**
 * Entries this mirror copied on an earlier run and no longer in SOURCE: each keeps its copy
 * REMOVE_VANISHED_AFTER seconds from the run that first missed it, then is removed. Only
 * names in the state file (copied by this mirror) are ever touched, so the other folders on
 * the backup disk are safe; an entry now on the bypass list is still in SOURCE and keeps
 * its last copy. The state file is replaced whole, never truncated in place. Nothing is
 * removed and the record is kept when CHECK_VANISHED refused the run.
 */
const REMOVE_VANISHED = `now=$(date +%s)
removed=0
mkdir -p "$(dirname "$STATE_FILE")"
: >"$WORK_DIR/state-new"
if [ "$refuse" -eq 0 ] && [ -f "$STATE_FILE" ]; then
  while IFS=$'\\t' read -r name since; do
    [ -n "$name" ] && [ "$name" != . ] && [ "$name" != .. ] || continue
    grep -qxF -- "$name" "$WORK_DIR/present" && continue
    case "$since" in '' | 0 | *[!0-9]*) since=$now ;; esac
    if [ $((now - since)) -ge "$REMOVE_VANISHED_AFTER" ]; then
      echo "$SOURCE/$name is gone since $(date -u -d "@$since" '+%F %TZ'): removing its copy $DEST/$name" >&2
      rm -rf --one-file-system -- "\${DEST:?}/$name"
      removed=$((removed + 1))
    else
      echo "$SOURCE/$name is gone since $(date -u -d "@$since" '+%F %TZ'): its copy $DEST/$name stays until $(date -u -d "@$((since + REMOVE_VANISHED_AFTER))" '+%F %TZ')" >&2
      printf '%s\\t%s\\n' "$name" "$since" >>"$WORK_DIR/state-new"
    fi
  done <"$STATE_FILE"
fi
if [ "$refuse" -eq 0 ]; then
  sed 's/$/\\t0/' "$WORK_DIR/mirrored-names" >>"$WORK_DIR/state-new"
  cp "$WORK_DIR/state-new" "$STATE_FILE.new"
  mv -f "$STATE_FILE.new" "$STATE_FILE"
fi
`;

/** `a | b*` for a bash case pattern of globs made of [A-Za-z0-9._+*-] (nothing to quote). */
function caseGlobs(names: readonly string[]): string {
  return names.join(' | ');
}

/**
 * The NFS mirror's body (seed 002's Layer 3a `nfs-mirror`): every top-level entry of SOURCE
 * outside the bypass list is copied to DEST/<entry>, each with its own rsync whose
 * `--delete` acts only inside that entry's copy, so the rest of the backup disk (the file
 * backup's folders, the manifest) is never touched. What it sent is appended to the off-site
 * manifest. A name the destination reserves is an error, never a silent skip; so is an entry
 * emptied at the source while its copy holds files, unless ALLOW_EMPTIED names it.
 */
export function renderNfsMirrorBody(o: NfsMirrorScriptOptions): string {
  const fns = [BC_RUN, BC_REL_DIR, BC_RSYNC_CHANGES, BC_EMPTIED];
  if (o.requireMount) fns.push(BC_REQUIRE_MOUNT);
  if (o.manifest) fns.push(BC_LOG, BC_APPEND_MANIFEST_FN);
  const ignored = caseGlobs(BypassList.IGNORED_NAMES);
  // a reserved name on the bypass list goes to Step 2 anyway; listing it again would be dead code
  const live = o.reservedNames.filter((n) => n.includes('*') || !o.bypass.bypasses(o.root, n));
  const reserved = live.length ? caseGlobs(live) : '';
  return `${BC_NAMES_AS_BYTES}${fns.join('\n')}
mirror_one() {
  local name="$1" rc=0
  # "$SOURCE/$name" without a trailing slash: rsync creates DEST/$name and deletes only in it.
  # One output file for every entry (they are copied one at a time): a file named after the
  # entry would be too long a name for an entry named with more than 249 bytes.
  # An app dump's work folder (a dump being written, or a killed run's leftover) is not copied;
  # --delete removes a copy of one an earlier run made.
  rsync -rlt -H -8 --delete --no-perms --no-owner --no-group ${RSYNC_HIDE_DUMP_WORK} --out-format='%i|%b|%n' "$SOURCE/$name" "$DEST/" >"$WORK_DIR/rsync-entry" || rc=$?
  bc_rsync_changes "$manifest_prefix" <"$WORK_DIR/rsync-entry" >>"$WORK_DIR/manifest-add"
  if [ "$rc" -eq 24 ]; then
    echo "warning: files under $SOURCE/$name vanished during the copy" >&2
    rc=0
  fi
  return "$rc"
}

${o.requireMount ? 'bc_require_mount "$MOUNT_POINT"\n' : ''}${BC_WORK_DIR}if [ ! -d "$SOURCE" ] || [ -z "$(ls -A "$SOURCE")" ]; then
  echo "$SOURCE is missing or empty: is it mounted?" >&2
  exit 1
fi
manifest_prefix=${o.manifest ? '$(bc_rel_dir "$DEST" "$MANIFEST_ROOT")' : '""'}
${o.manifest ? '# from here on, what is listed in manifest-add must reach the manifest on every exit path\nbc_manifest_pending=1\n' : ''}mkdir -p "$DEST"
find "$SOURCE" -mindepth 1 -maxdepth 1 -printf '%f\\0' | sort -z >"$WORK_DIR/entries"
tr '\\0' '\\n' <"$WORK_DIR/entries" >"$WORK_DIR/present"
: >"$WORK_DIR/mirrored-names"
mirrored=0
bypassed=0
failures=0
emptied=()
${CHECK_VANISHED}while IFS= read -r -d '' name; do
  case "$name" in
    ${ignored}) continue ;;
    # The bypass list (BypassList, shared with the off-site sync's Step 2): these go
    # off-site straight from NFS and never to this disk.
    ${o.bypass.casePattern(o.root)})
      bypassed=$((bypassed + 1))
      continue
      ;;
${reserved ? `    ${reserved})
      echo "$SOURCE/$name has a name the backup disk uses for something else: not mirrored; rename it or add it to the bypass list" >&2
      failures=$((failures + 1))
      continue
      ;;
` : ''}  esac
  # a wrong filesystem at SOURCE (CHECK_VANISHED): no copy follows it
  [ "$refuse" -eq 0 ] || continue
  # tabs and newlines cannot be kept in the state file: such an entry is never removed automatically
  case "$name" in *$'\\t'* | *$'\\n'*) ;; *) printf '%s\\n' "$name" >>"$WORK_DIR/mirrored-names" ;; esac
  # An entry that is suddenly empty while its copy holds files is far more often a mount that
  # is missing under SOURCE than data deleted: its rsync --delete would wipe the copy.
  if bc_no_files "$SOURCE/$name" && [ -n "$(find "$DEST/$name" -mindepth 1 ! -type d -print -quit 2>/dev/null)" ]; then
    if bc_emptied_allowed "$SOURCE/$name"; then
      echo "$SOURCE/$name is empty and ALLOW_EMPTIED names it: its copy $DEST/$name is emptied too" >&2
    else
      echo "$SOURCE/$name is empty but its copy $DEST/$name holds files: is something not mounted there? Not mirrored, its copy kept" >&2
      emptied+=("$SOURCE/$name")
      failures=$((failures + 1))
      continue
    fi
  fi
  # a run stopped during this entry lists it whole (what rsync sent of it was never itemized here)
  mirror_current="$name"
  bc_run mirror_one "$name"
  mirror_current=""
  if [ "$bc_rc" -eq 0 ]; then
    mirrored=$((mirrored + 1))
  else
    echo "mirroring $SOURCE/$name failed with status $bc_rc" >&2
    failures=$((failures + 1))
  fi
done <"$WORK_DIR/entries"
if [ "\${#emptied[@]}" -gt 0 ]; then
  echo "\${#emptied[@]} entries are empty while their copies hold files, their copies kept: \${emptied[*]}. If they were emptied on purpose, run once with $(bc_emptied_hint "\${emptied[@]}")" >&2
fi
${o.manifest ? '# what was sent must reach the off-site copy even when another entry failed\nbc_append_manifest <"$WORK_DIR/manifest-add"\nbc_manifest_pending=0\n' : ''}${REMOVE_VANISHED}echo "$mirrored entries mirrored, $bypassed on the bypass list, $failures failed, $removed copies of vanished entries removed"
bc_metric backup_last_size_bytes "$(awk '{ s += $1 } END { print s + 0 }' "$WORK_DIR/bytes")"
bc_metric backup_nfs_mirror_entries "$mirrored"
if [ "$failures" -gt 0 ]; then
  exit 1
fi
`;
}

/**
 * The mirror's cleanup: a stopped run appends to the manifest what it listed, and the entry it
 * was copying, whole.
 */
export function renderNfsMirrorCleanup(): string {
  return renderManifestCleanup(`case "\${mirror_current:-}" in
  '') ;;
  # no manifest line can hold it (--files-from ends a line at either): the folder above it,
  # unless that is the manifest's root
  *$'\\n'* | *$'\\r'*)
    if [ -n "$manifest_prefix" ]; then
      printf '%s\\n' "$manifest_prefix" >>"$WORK_DIR/manifest-add"
    else
      echo "$SOURCE/$mirror_current cannot be listed in the off-site manifest (its name holds a line break): what was copied of it reaches the off-site copy only at the next full sync; rename it" >&2
    fi
    ;;
  *) printf '%s%s\\n' "$manifest_prefix" "$mirror_current" >>"$WORK_DIR/manifest-add" ;;
esac`);
}
