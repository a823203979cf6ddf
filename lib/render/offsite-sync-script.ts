import { BypassList, BypassRoot } from '../bypass-list';
import { RSYNC_HIDE_DUMP_WORK } from '../in-progress';
import { BC_EMPTIED, BC_LOG_CONSUME, BC_NAMES_AS_BYTES, BC_REQUIRE_MOUNT, BC_RUN, BC_WORK_DIR } from './pipeline-shell';

/** What the off-site sync's body is rendered from. */
export interface OffsiteSyncScriptOptions {
  readonly requireMount: boolean;
  /** Step 2's roots, in the order of their STEP2_SOURCE_<n>/STEP2_DEST_<n> settings. */
  readonly step2?: { readonly bypass: BypassList; readonly roots: readonly BypassRoot[] };
}

function quoteWords(words: readonly string[]): string {
  return words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
}

/**
 * The off-site sync's body (seed 002's `offsite-sync-backup`).
 *
 * Step 1 ships the backup disk: the files the manifest lists (`--files-from`), or everything
 * with `--delete` on a full-sync day or when the manifest is over its cap. Step 2 ships the
 * bypass-list paths of each NFS root straight from NFS: those the change log lists, or on a
 * full-sync day the whole bypass subset with `--delete` (excluded paths are protected from
 * it; so is a bypass entry emptied at the source while its copy holds files, which fails the
 * step unless ALLOW_EMPTIED names it). Each step takes its log under the writers' lock, and drops exactly what it took only
 * after it succeeded. `-z` and ssh only for a remote destination.
 */
export function renderOffsiteSyncBody(o: OffsiteSyncScriptOptions): string {
  const fns = [BC_RUN, BC_LOG_CONSUME];
  if (o.requireMount) fns.push(BC_REQUIRE_MOUNT);
  const step2 = o.step2;
  if (step2) fns.push(BC_EMPTIED);
  const ignored = BypassList.IGNORED_NAMES.join(' | ');
  const step2Roots = step2
    ? step2.roots
        .map((root, i) => {
          const filter = quoteWords(step2.bypass.rsyncFilter(root));
          return `  # ${root.path}: ${root.all ? 'every entry bypasses the mirror' : `bypass list ${root.names.join(', ')}`}
  if [ "$full" -eq 1 ]; then
    if [ -z "$(ls -A "$STEP2_SOURCE_${i}")" ]; then
      echo "$STEP2_SOURCE_${i} is empty: is it mounted? not syncing it with --delete" >&2
      return 1
    fi
    keep=()
    find "$STEP2_SOURCE_${i}" -mindepth 1 -maxdepth 1 -printf '%f\\0' >"$WORK_DIR/step2-${i}.entries"
    while IFS= read -r -d '' name; do
      case "$name" in
        ${ignored}) ;;
        ${step2.bypass.casePattern(root)}) step2_keep_emptied "$STEP2_SOURCE_${i}" "$STEP2_DEST_${i}" "$name" ;;
      esac
    done <"$WORK_DIR/step2-${i}.entries"
    bc_rsync_to "$STEP2_DEST_${i}" -a --delete "\${keep[@]}" ${RSYNC_HIDE_DUMP_WORK} ${filter} "$STEP2_SOURCE_${i}/"
  else
    # by bytes: a name not valid in the locale's encoding is "binary" to grep, which then
    # prints a notice instead of the line, and sort -u may take two such lines for one
    LC_ALL=C awk -v root="$STEP2_SOURCE_${i}/" 'index($0, root) == 1 { print substr($0, length(root) + 1) }' "$WORK_DIR/changes" |
      { LC_ALL=C grep -E ${quoteWords([step2.bypass.relativePathRegex(root)])} || true; } |
      { LC_ALL=C grep -Ev ${quoteWords([step2.bypass.ignoredRegex()])} || true; } |
      LC_ALL=C sort -u | LC_ALL=C sed 's|^|./|' >"$WORK_DIR/step2-${i}.list" # ./: --files-from skips a line starting with # or ;
    if [ -s "$WORK_DIR/step2-${i}.list" ]; then
      bc_rsync_to "$STEP2_DEST_${i}" -a -r --files-from="$WORK_DIR/step2-${i}.list" --ignore-missing-args ${RSYNC_HIDE_DUMP_WORK} "$STEP2_SOURCE_${i}/"
    fi
  fi`;
        })
        .join('\n')
    : '';
  return `${BC_NAMES_AS_BYTES}${fns.join('\n')}
# rsync to $1 (a local folder or host:path): over the network with -z and ssh, locally without
bc_rsync_at() {
  local dest="$1"
  shift
  case "$dest" in
    *:*) rsync -z -e "ssh -i $SSH_KEY -p $SSH_PORT -o BatchMode=yes -o ConnectTimeout=30" "$@" "$dest" ;;
    *) rsync "$@" "$dest" ;;
  esac
}

# bc_rsync_at, adding the bytes it sent to $WORK_DIR/sent
bc_rsync_to() {
  local dest="$1" rc=0
  shift
  bc_rsync_at "$dest" --out-format='%b' "$@" >>"$WORK_DIR/sent" || rc=$?
  if [ "$rc" -eq 24 ]; then
    echo "warning: some source files vanished during the transfer" >&2
    rc=0
  fi
  return "$rc"
}

# Step 1: the backup disk to the off-site copy
step1() {
  # an app dump's work folder never reaches the disk (NfsMirror hides it); if one is there, an
  # older mirror put it there, and it goes no further
  local lines excludes=(--exclude=/lost+found ${RSYNC_HIDE_DUMP_WORK}) f rel
  bc_log_take "$MANIFEST" "$MANIFEST_LOCK" "$WORK_DIR/manifest"
  lines=$(wc -l <"$WORK_DIR/manifest")
  echo "$lines" >"$WORK_DIR/manifest-lines"
  # the logs themselves live on the disk but are state, not backups
  for f in "$MANIFEST"${step2 ? ' "$CHANGE_LOG"' : ''}; do
    case "$f" in
      "$STEP1_SOURCE"/*)
        rel="\${f#"$STEP1_SOURCE"}"
        excludes+=("--exclude=$rel" "--exclude=$rel.*")
        ;;
    esac
  done
  if [ "$full" -eq 1 ] || [ "$lines" -gt "$MANIFEST_MAX_LINES" ]; then
    [ "$full" -eq 1 ] || echo "the manifest has $lines lines, over the cap of $MANIFEST_MAX_LINES: full sync" >&2
    # Nothing but the logs (a disk not mounted where requireMount is off, a wiped folder) would
    # delete the whole off-site copy.
    if [ -z "$(find "$STEP1_SOURCE" -mindepth 1 -maxdepth 1 ! -name lost+found ! -path "$MANIFEST" ! -path "$MANIFEST.*"${step2 ? ' ! -path "$CHANGE_LOG" ! -path "$CHANGE_LOG.*"' : ''} -print -quit)" ]; then
      echo "$STEP1_SOURCE holds nothing but the logs: is the backup disk mounted? not syncing it with --delete" >&2
      return 1
    fi
    echo 1 >"$WORK_DIR/step1-full"
    bc_rsync_to "$STEP1_DEST" -aH --delete "\${excludes[@]}" "$STEP1_SOURCE/"
  elif [ "$lines" -gt 0 ]; then
    # by bytes: lines are file names in any encoding, and a locale's collation may take two of
    # them for one; each behind ./, since --files-from skips a line that starts with # or ; as a
    # comment (a folder named #notes would never ship)
    LC_ALL=C sort -u "$WORK_DIR/manifest" | LC_ALL=C sed 's|^|./|' >"$WORK_DIR/manifest.sorted"
    # files pruned since they were listed are skipped, not an error; -H: a new week's copy is
    # listed with the week it hard-links into, and lands linked to it rather than as a copy
    bc_rsync_to "$STEP1_DEST" -aH -r --files-from="$WORK_DIR/manifest.sorted" --ignore-missing-args "\${excludes[@]}" "$STEP1_SOURCE/"
  fi
  # only now, after a successful sync, and only what was shipped
  bc_log_drop "$MANIFEST" "$MANIFEST_LOCK" "$bc_taken"
}
${step2 ? `
# A bypass entry $3 of $1 that is suddenly empty while its copy in $2 holds files is far more
# often a mount missing under $1 than data deleted: it is left out of the full sync (an
# excluded path is safe from --delete) and the step fails, unless ALLOW_EMPTIED names it.
step2_keep_emptied() {
  local src="$1" dest="$2" name="$3" pat
  bc_no_files "$src/$name" || return 0
  # what --delete would remove from this entry's copy (which may be on another host)
  bc_rsync_at "$dest" -a --delete --dry-run ${RSYNC_HIDE_DUMP_WORK} --out-format='%i|%n' "$src/$name" >"$WORK_DIR/step2-dry-run"
  grep -q '^\\*deleting *|.*[^/]$' "$WORK_DIR/step2-dry-run" || return 0
  if bc_emptied_allowed "$src/$name"; then
    echo "$src/$name is empty and ALLOW_EMPTIED names it: its copy in $dest is emptied too" >&2
    return 0
  fi
  echo "$src/$name is empty but its copy in $dest holds files: is something not mounted there? Left out of the full sync, its copy kept" >&2
  emptied+=("$src/$name")
  # an exclude rule with * ? or [ in it is a wildcard pattern, where \\ escapes
  pat=$name
  case "$name" in
    *[*?[]*)
      pat=\${pat//\\\\/\\\\\\\\}
      pat=\${pat//\\*/\\\\*}
      pat=\${pat//\\?/\\\\?}
      pat=\${pat//\\[/\\\\[}
      ;;
  esac
  keep+=("--exclude=/$pat")
}

# Step 2: the bypass-list paths of each NFS root, straight from NFS
step2() {
  local lines keep=() emptied=()
  bc_log_take "$CHANGE_LOG" "$CHANGE_LOG_LOCK" "$WORK_DIR/changes"
  lines=$(wc -l <"$WORK_DIR/changes")
  if [ "$lines" -gt "$MANIFEST_MAX_LINES" ] && [ "$full" -eq 0 ]; then
    echo "the change log has $lines lines, over the cap of $MANIFEST_MAX_LINES: full sync of the bypass paths" >&2
    full=1
  fi
${step2Roots}
  if [ "\${#emptied[@]}" -gt 0 ]; then
    echo "\${#emptied[@]} bypass entries are empty while their off-site copies hold files, their copies kept: \${emptied[*]}. If they were emptied on purpose, run once with $(bc_emptied_hint "\${emptied[@]}") FULL_SYNC=always" >&2
    return 1
  fi
  bc_log_drop "$CHANGE_LOG" "$CHANGE_LOG_LOCK" "$bc_taken"
}
` : ''}
${o.requireMount ? 'bc_require_mount "$MOUNT_POINT"\n' : ''}${BC_WORK_DIR}: >"$WORK_DIR/sent"
echo 0 >"$WORK_DIR/step1-full"
full=0
case "$FULL_SYNC" in
  always) full=1 ;;
  never) ;;
  first-sunday)
    # the first Sunday of the month: deletions reach the off-site copy
    if [ "$(date +%u)" = 7 ] && [ "$(date +%-d)" -le 7 ]; then
      full=1
    fi
    ;;
  *)
    echo "FULL_SYNC must be first-sunday, always or never, got $FULL_SYNC" >&2
    exit 2
    ;;
esac
failed=""
bc_run step1
if [ "$bc_rc" -ne 0 ]; then
  echo "step 1 (backup disk to $STEP1_DEST) failed with status $bc_rc; the manifest is kept for the next run" >&2
  failed="$failed step1"
fi
${step2 ? `bc_run step2
if [ "$bc_rc" -ne 0 ]; then
  echo "step 2 (bypass paths) failed with status $bc_rc; the change log is kept for the next run" >&2
  failed="$failed step2"
fi
` : ''}bc_metric backup_last_size_bytes "$(awk '{ s += $1 } END { print s + 0 }' "$WORK_DIR/sent")"
bc_metric backup_offsite_manifest_lines "$(cat "$WORK_DIR/manifest-lines" 2>/dev/null || echo 0)"
bc_metric backup_offsite_full_sync "$(cat "$WORK_DIR/step1-full")"
if [ -n "$failed" ]; then
  # one status for the alert: 1 whichever step failed
  exit 1
fi
`;
}
