import { FIND_DUMP_WORK } from '../in-progress';
/**
 * Bash functions shared by the host pipeline's scripts (file backup, NFS mirror, off-site
 * sync, LVM snapshots). Pure text: each renderer includes the ones it needs in its body.
 */

/**
 * `bc_run FUNC ARGS...`: runs a step in a subshell started outside any condition, so `set -e`
 * stays in force inside it (bash ignores `-e` in a function called from `if`, `&&` or `||`,
 * and in everything that function starts). The step's status is left in `bc_rc`, so one
 * failing item stops only itself. A SIGTERM still ends the whole script through its trap.
 */
export const BC_RUN = `# Runs "$@" in its own subshell with set -e in force; its status is left in bc_rc.
bc_run() {
  bc_rc=0
  ( trap 'exit 143' TERM; "$@" ) &
  wait "$!" || bc_rc=$?
}
`;

/** `bc_require_mount DIR`: fails unless DIR is a mount point. */
export const BC_REQUIRE_MOUNT = `# An unmounted disk leaves an empty folder that a backup would fill and a sync with --delete
# would mirror as empty: refuse to run unless the folder is a mount point.
bc_require_mount() {
  if ! mountpoint -q "$1"; then
    echo "$1 is not a mount point: refusing to run" >&2
    return 1
  fi
}
`;

/**
 * An entry of a source that is suddenly empty while its copy holds files (a per-application
 * mount under the source root not mounted, a volume not attached) must not be synced with
 * `--delete`: `bc_no_files` tells such a source folder, `bc_emptied_allowed` whether the
 * operator said the emptying is meant (ALLOW_EMPTIED), `bc_emptied_hint` how to say so.
 */
export const BC_EMPTIED = `# True when $1 is a folder (not a link to one) with no file at any depth outside app dumps'
# work folders (which are never copied): an empty mount point, or a tree of empty folders.
bc_no_files() {
  [ -d "$1" ] && [ ! -L "$1" ] && [ -z "$(find "$1" -mindepth 1 \\( ${FIND_DUMP_WORK} \\) -prune -o ! -type d -print -quit)" ]
}

# True when ALLOW_EMPTIED (source paths separated by spaces, or * for all) names $1: the
# operator's word, for one run, that the folder was emptied on purpose.
bc_emptied_allowed() {
  local allowed a
  read -r -a allowed <<<"$ALLOW_EMPTIED"
  for a in "\${allowed[@]}"; do
    if [ "$a" = '*' ] || [ "$a" = "$1" ]; then
      return 0
    fi
  done
  return 1
}

# Prints the setting that accepts the emptied source folders $@ (* when a path cannot be
# written between single quotes as one word).
bc_emptied_hint() {
  local words="$*" p
  for p in "$@"; do
    case "$p" in *[!A-Za-z0-9._+@%,:=/-]*) words='*' ;; esac
  done
  printf "ALLOW_EMPTIED='%s'\\n" "$words"
}
`;

/** `bc_rel_dir DIR ROOT`: DIR relative to ROOT with a trailing slash, empty when equal. */
export const BC_REL_DIR = `# Prints folder $1 relative to folder $2 with a trailing slash (nothing when they are equal).
bc_rel_dir() {
  local dir="\${1%/}" root="\${2%/}"
  if [ "$dir" = "$root" ]; then
    return 0
  fi
  case "$dir" in
    "$root"/*) printf '%s/\\n' "\${dir#"$root"/}" ;;
    *)
      echo "$dir is not inside $root" >&2
      return 1
      ;;
  esac
}
`;

/**
 * Append-only logs shared between writers and one consumer (the off-site manifest, the NFS
 * change log): writers append whole lines under a flock; the consumer copies what is there
 * under the same flock, ships it, and after a successful sync drops exactly the bytes it
 * copied, so lines appended meanwhile stay.
 */
export const BC_LOG = `# Appends stdin to file $1 under the flock $2, which every writer and the consumer take.
bc_append_locked() {
  local file="$1" lock="$2" tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if [ -s "$tmp" ]; then
    mkdir -p "$(dirname "$file")" "$(dirname "$lock")"
    if ! (
      flock -w 600 9 || exit 75
      cat "$tmp" >>"$file"
    ) 9>>"$lock"; then
      rm -f "$tmp"
      echo "could not append to $file (lock $lock)" >&2
      return 1
    fi
  fi
  rm -f "$tmp"
}
`;

/** The consumer's side of an append-only log: take a copy, and drop what was shipped. */
export const BC_LOG_CONSUME = `# Copies log $1 as it is now to $3 under the flock $2; leaves the number of bytes in bc_taken.
bc_log_take() {
  local file="$1" lock="$2" copy="$3"
  mkdir -p "$(dirname "$lock")"
  (
    flock -w 600 9 || exit 75
    if [ -f "$file" ]; then
      cat "$file" >"$copy"
    else
      : >"$copy"
    fi
  ) 9>>"$lock"
  bc_taken=$(stat -c %s "$copy")
}

# After a successful sync: removes the first $3 bytes (what bc_log_take copied) from log $1
# under the flock $2. Lines appended since then stay for the next run.
bc_log_drop() {
  local file="$1" lock="$2" bytes="$3"
  if [ "$bytes" -eq 0 ] || [ ! -f "$file" ]; then
    return 0
  fi
  (
    flock -w 600 9 || exit 75
    tail -c "+$((bytes + 1))" "$file" >"$file.bc-tmp"
    chmod --reference="$file" "$file.bc-tmp"
    chown --reference="$file" "$file.bc-tmp"
    mv -f "$file.bc-tmp" "$file"
  ) 9>>"$lock"
}
`;

/** `bc_append_manifest < lines`: appends sorted, unique lines to MANIFEST under MANIFEST_LOCK. */
export const BC_APPEND_MANIFEST_FN = `# Appends the lines of stdin, sorted and unique, to the off-site manifest (never truncates it:
# only the off-site sync removes lines, and only those it shipped).
bc_append_manifest() {
  LC_ALL=C sort -u | bc_append_locked "$MANIFEST" "$MANIFEST_LOCK"
}
`;

/**
 * `bc_pvc_map`: "LV<TAB>namespace<TAB>claim" for every PersistentVolume, from its CSI volume
 * handle (Proxmox CSI: `region/zone/storage/vm-9999-pvc-...`). Reads KUBECONFIG_FILE.
 */
export const BC_PVC_MAP = `# Prints "LV<TAB>namespace<TAB>claim" for every PersistentVolume (the LV is the last part
# of its CSI volume handle, e.g. pve/pve/local-lvm/vm-9999-pvc-0a1b).
bc_pvc_map() {
  kubectl --kubeconfig "$KUBECONFIG_FILE" get pv -o jsonpath='{range .items[*]}{.spec.csi.volumeHandle}{"\\t"}{.spec.claimRef.namespace}{"\\t"}{.spec.claimRef.name}{"\\n"}{end}' |
    awk -F '\\t' '$1 != "" { n = split($1, p, "/"); print p[n] "\\t" $2 "\\t" $3 }'
}
`;

/**
 * Keeps the newest N versions in a folder: week folders (`YYYY-WW`) holding a given file.
 * Older week folders go, with or without that file; nothing else is touched. Nothing at all
 * goes while a week folder is named later than the run's own week (`bc_no_future_week`).
 */
export const BC_PRUNE_WEEKS = `# Fails, naming them, when week folders of $1 (YYYY-WW, read newest first from stdin) are named
# later than this run's week $2: the clock (or WEEK) was wrong when they were written, or is
# wrong now. By name such a week stays the newest for good and pushes a real week out on every
# run; and a run stamped in the past would count its own copy as the oldest. Which weeks are
# really the newest is unknown, so the caller prunes nothing.
bc_no_future_week() {
  local dir="$1" current="$2" later
  later=$(LC_ALL=C awk -v w="$current" '$0 > w' | tr '\\n' ' ')
  if [ -n "$later" ]; then
    echo "not pruning $dir: week folder(s) \${later% } named later than this run's week $current; the clock was wrong then or is wrong now. Check the clock, then rename or remove the week folders named in the future" >&2
    return 1
  fi
}

# Keeps the newest $2 versions in $1: week folders (YYYY-WW) that hold the file $3. A week
# folder without it (a run that failed half-way) is no version: counting it would push a good
# one out. Week folders older than the oldest kept version go; nothing else is touched. $4 is
# this run's week: nothing goes while a week folder is named later. $5, when given, names a
# file made less often than $3 (pfSense's weekly tar beside its daily config.xml): the newest
# week holding it always stays, or weeks of failed tars would prune the last good one away.
bc_prune_weeks() {
  local dir="$1" keep="$2" file="$3" current="$4" also="\${5:-}" week oldest="" n=0 newest_also=
  [ -d "$dir" ] || return 0
  find "$dir" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9]{4}-[0-9]{2}' -printf '%f\\n' |
    LC_ALL=C sort -r >"$WORK_DIR/prune-weeks"
  bc_no_future_week "$dir" "$current" <"$WORK_DIR/prune-weeks" || return 1
  while IFS= read -r week; do
    [ -f "$dir/$week/$file" ] || continue
    n=$((n + 1))
    if [ "$n" -eq "$keep" ]; then
      oldest=$week
      break
    fi
  done <"$WORK_DIR/prune-weeks"
  [ -n "$oldest" ] || return 0
  if [ -n "$also" ]; then
    while IFS= read -r week; do
      if [ -f "$dir/$week/$also" ]; then
        newest_also=$week
        break
      fi
    done <"$WORK_DIR/prune-weeks"
  fi
  while IFS= read -r week; do
    if [ "\${week/-/}" -lt "\${oldest/-/}" ] && [ "$week" != "$newest_also" ]; then
      echo "removing old version $dir/$week" >&2
      rm -rf -- "\${dir:?}/$week"
    fi
  done <"$WORK_DIR/prune-weeks"
}
`;

/**
 * Manifest lines from rsync's `-8 --out-format='%i|%b|%n'`: files and links that were sent or
 * created (not unchanged ones, not deletions), prefixed with `$1`, as their real bytes; a
 * name no line can hold is listed as its nearest folder that one can. Also sums `%b` into
 * `$WORK_DIR/bytes`.
 */
export const BC_RSYNC_CHANGES = `# Reads rsync --out-format='%i|%b|%n' output from stdin: prints the items it sent or created,
# prefixed with $1, and adds the bytes it sent to $WORK_DIR/bytes. rsync prints a control
# character in %n as \\#ooo (a backslash that would read as one as \\#134; without -8, under a
# C locale, every non-ASCII byte too): listed so, --files-from looks for a file of that name and
# --ignore-missing-args skips it without a word, so the escapes are decoded. A line cannot hold
# a newline (--files-from ends lines at a carriage return too): such a name is listed as the
# nearest folder above it that a line can hold, which the off-site sync ships whole (-r), but
# never as the manifest's root (the whole disk): that fails, naming the file.
bc_rsync_changes() {
  LC_ALL=C awk -v prefix="$1" -v bytes="$WORK_DIR/bytes" '
    function unescape(s,   out, i, o) {
      out = ""
      while ((i = index(s, "\\\\#")) > 0) {
        o = substr(s, i + 2, 3)
        if (o ~ /^[0-7][0-7][0-7]$/) {
          out = out substr(s, 1, i - 1) sprintf("%c", substr(o, 1, 1) * 64 + substr(o, 2, 1) * 8 + substr(o, 3, 1))
          s = substr(s, i + 5)
        } else {
          out = out substr(s, 1, i + 1)
          s = substr(s, i + 2)
        }
      }
      return out s
    }
    {
      i = index($0, "|"); item = substr($0, 1, i - 1); rest = substr($0, i + 1)
      j = index(rest, "|"); sent += substr(rest, 1, j - 1); name = substr(rest, j + 1)
      if (item !~ /^[>ch]/ || name == "./") next
      path = unescape(name)
      if (path !~ /[\\001-\\037\\177]/) {
        print prefix path
        next
      }
      sub(/\\/$/, "", path)
      while (path ~ /[\\001-\\037\\177]/) if (!sub(/\\/[^\\/]*$/, "", path)) path = ""
      if (path != "") print prefix path "/"
      else if (prefix != "") print prefix
      else {
        printf "%s cannot be listed in the off-site manifest (its name holds a control character) and no folder above it can be listed instead: rename it\\n", name > "/dev/stderr"
        failed = 1
      }
    }
    END {
      print sent + 0 >> bytes
      exit failed + 0
    }'
}
`;

/** Cleans the job's work folder at start (paths of a job are fixed, so no temp dirs leak). */
export const BC_WORK_DIR = `# emptied on every run: never a folder near the top (a mistyped WORK_DIR; /var/lib/.. is /var)
case "$WORK_DIR" in
  /*) WORK_DIR=$(realpath -m -- "$WORK_DIR") ;;
esac
case "$WORK_DIR" in
  /?*/?*) ;;
  *)
    echo "refusing to use \${WORK_DIR:-(empty)} as the work folder: it is emptied on every run; expected a folder of this job's own such as /run/backup-constructs/<job>" >&2
    exit 1
    ;;
esac
mkdir -p "$WORK_DIR"
find "$WORK_DIR" -mindepth 1 -delete
: >"$WORK_DIR/bytes"
: >"$WORK_DIR/manifest-add"
`;

/**
 * A writer's cleanup (ScheduledHostJob \`cleanup\`, run on every exit path): a run stopped
 * before its append to the off-site manifest (a SIGTERM, a timeout, an unexpected error)
 * still appends what it listed in \`$WORK_DIR/manifest-add\`, since those files are on the
 * disk and a later run will not list them again. The body sets \`bc_manifest_pending=1\` once
 * it lists and 0 after its own append. \`before\` runs first (adds lines of its own).
 */
export function renderManifestCleanup(before = ''): string {
  return `# a run stopped before its append (a SIGTERM, a timeout): what it listed is on the disk
if [ "\${bc_manifest_pending:-0}" -eq 1 ]; then
  bc_manifest_pending=0
${before ? before.replace(/^(?=.)/gm, '  ') + '\n' : ''}  echo "appending what this stopped run wrote to $MANIFEST" >&2
  bc_append_manifest <"$WORK_DIR/manifest-add"
fi`;
}

/**
 * The first line of a script that reads file names: they are bytes, whatever the host's
 * locale (a systemd service gets it). Under en_US.UTF-8, bash's `read -d ''` takes the NUL
 * after a name ending in a byte that is not UTF-8 (Latin-1 `caf\xe8`) for part of a character
 * and loses the next entry without a word, and grep calls such names binary.
 */
export const BC_NAMES_AS_BYTES = `# file names are bytes, whatever the host's locale: under UTF-8, bash's read -d '' loses the
# entry after a name that is not valid UTF-8
export LC_ALL=C
`;
