import { BACKUP_METRIC_HELP, BackupMetric } from '../../metrics';
import { generatedHeader, indentBlock, shellQuote } from '../shell';
import { DUMP_WORK_PREFIX } from '../../in-progress';

/**
 * Scripts for application dumps in Kubernetes CronJobs. They run inside the engine's own
 * image (postgres, mariadb, redis, vault, sqlite), whose `/bin/sh` is dash or busybox ash
 * and which rarely has bash or curl, so they are POSIX sh. Without `pipefail` a failing
 * command on the left of a pipe goes unnoticed, so every pipe that carries data keeps the
 * producer's status (`{ cmd || echo "$?" >rc; } | gzip`), and pipes are otherwise only used
 * where a failure can make a check fail, never pass.
 *
 * A pod runs two containers side by side: the dump script in the engine's image, which
 * records its process id and then its outcome in a shared emptyDir, and the report script in
 * a small image with curl, which waits for that outcome (or for the dump's process to be gone
 * without one, or for the pod to be stopped), pushes it to the Pushgateway and exits with the
 * dump's status (so `kubectl get jobs` shows the failure too).
 */

/** Metric pushed by the hourly SQLite integrity check: 1 when `PRAGMA integrity_check` said ok. */
export const INTEGRITY_METRIC = 'backup_sqlite_integrity_ok';

const EXTRA_HELP: Readonly<Record<string, string>> = {
  [INTEGRITY_METRIC]: 'Result of the last SQLite integrity check of the live database: 1 ok, 0 damaged.',
};

/** Where the pod mounts things; each is also a setting the tests override. */
export const POD_PATHS = {
  /** The backup volume. */
  backup: '/backup',
  /** The emptyDir the dump container writes its outcome to and the report container reads. */
  status: '/bc-status',
  /** The application's own data volume (SQLite, Redis RDB), when the engine needs it. */
  data: '/data',
} as const;

/** File name of the recorded outcome inside the status folder. */
export const STATUS_FILE = 'status';

/** File name of the dump's process id inside the status folder (the report watches it). */
export const PID_FILE = 'pid';

/**
 * The first lines of `bc_main`. An artifact is a whole database (password hashes, tokens,
 * sessions; an etcd snapshot holds every Secret of the cluster) on a backup volume that is
 * usually an NFS export other clients mount, and an image's umask (022) would leave it
 * world-readable there. The outcome files keep their own `umask 022`: the report container
 * runs as another user and reads them.
 */
const ARTIFACT_UMASK = `# artifacts and their folders are the dump's user's only (0600, 0700), whatever the image's umask
umask 077
`;

/** The glob of the UTC stamp in artifact names (`20260101T000000Z`). */
const STAMP_GLOB = '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z';

/** What a dump or check script needs. */
export interface DumpScriptOptions {
  readonly jobId: string;
  readonly constructPath: string;
  readonly description: string;
  /** Settings (`NAME` -> default), each overridable from the environment; never secrets. */
  readonly settings: Readonly<Record<string, string>>;
  /** Settings exported to the tools (etcdctl and vault read their own variables), when not empty. */
  readonly exports?: readonly string[];
  /** Variables the container gets from Secrets, named in the header for reviewers. */
  readonly secretEnv?: readonly string[];
  /** Whether the job writes artifacts: then it gets a work folder inside the output folder. */
  readonly writes: boolean;
  /** The engine's lines, run in `bc_main` with `set -eu`. */
  readonly body: string;
  /** Lines run on every exit path before the outcome is recorded (variables may be unset). */
  readonly cleanup?: string;
  /**
   * Run only on these weekdays (0 = Sunday) in `weekdayZone`; on other days the run records
   * that it skipped and the report container pushes nothing (cron cannot say "first Sunday").
   */
  readonly onlyOnWeekdays?: readonly number[];
  /** @default 'UTC' */
  readonly weekdayZone?: string;
}

/** The file a skipped run (not its weekday) leaves for the report container. */
export const SKIPPED_FILE = 'skipped';

/**
 * The end of an engine that writes one artifact: size floor, commit under the job's name,
 * rotation of this job's older ones, size metric. `artifact` is a path expansion, `label` and
 * `extension` shell words as the body writes them (e.g. `'the snapshot'`, `.db`).
 */
export function commitArtifact(artifact: string, label: string, extension: string): string {
  return `bytes=$(bc_bytes "${artifact}")
bc_floor_bytes ${label} "$bytes"
bc_commit "${artifact}" "$BC_OUT_DIR/$(bc_name ${extension})"
bc_rotate "$BC_OUT_DIR" ${extension}
bc_metric ${BackupMetric.lastSize} "$bytes"
`;
}

/**
 * A dump (or check) script: settings, helpers, one EXIT trap that records the outcome on
 * every exit path, then the engine's body. Artifacts are built in a work folder and moved to
 * their final name only after every check passed; rotation runs only after that.
 *
 * Helpers the body may use: `bc_fail MSG`, `bc_log MSG`, `bc_metric NAME VALUE`,
 * `bc_bytes PATH`, `bc_floor_bytes LABEL BYTES`, `bc_floor_count LABEL N FLOOR`,
 * `bc_commit SRC DEST`, `bc_rotate FOLDER EXT`, `bc_name EXT`, and `$bc_work`, `$bc_stamp`.
 */
export function renderDumpScript(o: DumpScriptOptions): string {
  const settings: Record<string, string> = {
    BC_JOB: o.jobId,
    BC_PREFIX: o.jobId,
    BC_STATUS_DIR: POD_PATHS.status,
    ...o.settings,
  };
  const assignments = Object.entries(settings)
    .map(([k, v]) => `${k}=\${${k}:-${shellQuote(v)}}`)
    .join('\n');
  const exportLines = (o.exports ?? []).map((name) => `[ -z "$${name}" ] || export ${name}`).join('\n');
  const secretNote = o.secretEnv?.length ? `# from Kubernetes Secrets: ${o.secretEnv.join(', ')}\n` : '';
  const work = o.writes
    ? `mkdir -p "$BC_OUT_DIR"
# A run killed before its EXIT trap ran (OOM) leaves its work folder behind; the CronJob's
# Forbid policy means no other run of this job is active, so old ones are removed. Only a stamp
# may follow the prefix: a job whose id starts with this one's (app, app-extra) may share the
# folder and be running now.
find "$BC_OUT_DIR" -mindepth 1 -maxdepth 1 -name "${DUMP_WORK_PREFIX}$BC_PREFIX-$bc_stamp_glob" -exec rm -rf -- {} +
bc_work="$BC_OUT_DIR/${DUMP_WORK_PREFIX}$BC_PREFIX-$bc_stamp"
mkdir "$bc_work"
`
    : '';
  const cleanup = o.cleanup ? `bc_cleanup() {\n${indentBlock(o.cleanup)}\n}\n\n` : '';
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const guard = o.onlyOnWeekdays?.length
    ? `# Kubernetes cron joins day of month and weekday with OR: the weekday is checked here
# (BC_ANY_WEEKDAY=1 in the container's environment runs it by hand on another day).
if [ "\${BC_ANY_WEEKDAY:-}" != 1 ]; then
${o.weekdayZone && o.weekdayZone !== 'UTC' ? `  # without the zone's data date silently answers in UTC: a wrong day near midnight
  if [ ! -e "\${TZDIR:-/usr/share/zoneinfo}/${o.weekdayZone}" ]; then
    echo "$BC_JOB: this image has no time zone data for ${o.weekdayZone} (tzdata), so it cannot tell the weekday there: add tzdata to the image or schedule the job in UTC" >&2
    exit 1
  fi
` : ''}  case "$(TZ=${shellQuote(o.weekdayZone ?? 'UTC')} date +%w)" in
    ${o.onlyOnWeekdays.join(' | ')}) ;;
    *)
      echo "$BC_JOB: runs only on ${o.onlyOnWeekdays.map((d) => days[d]).join(', ')}: nothing to do today (BC_ANY_WEEKDAY=1 runs it anyway)" >&2
      : >"$BC_STATUS_DIR/${SKIPPED_FILE}"
      exit 0
      ;;
  esac
fi
`
    : '';
  return `#!/bin/sh
${generatedHeader('#', o.constructPath, `${o.jobId}: ${o.description}`)}${secretNote}set -eu

${assignments}
${exportLines ? `${exportLines}\n` : ''}
# The report container watches this process: gone without an outcome means killed (OOM).
# Not being able to say so must not stop the backup (the report then waits for the deadline).
# The report runs as another user (nobody): what it reads is made readable whatever the umask.
if ! { mkdir -p "$BC_STATUS_DIR" && rm -f "$BC_STATUS_DIR/${STATUS_FILE}" && (umask 022 && echo "$$" >"$BC_STATUS_DIR/${PID_FILE}.partial") && mv -f "$BC_STATUS_DIR/${PID_FILE}.partial" "$BC_STATUS_DIR/${PID_FILE}"; }; then
  echo "$BC_JOB: could not record this process in $BC_STATUS_DIR" >&2
fi

${guard}bc_started=$(date +%s)
bc_stamp=$(date -u +%Y%m%dT%H%M%SZ)
bc_stamp_glob='${STAMP_GLOB}'
bc_extra=''
bc_work=''
bc_committed=''

bc_log() {
  echo "$BC_JOB: $*" >&2
}

# Stops the run; the EXIT trap records the failure.
bc_fail() {
  bc_log "FAILED: $*"
  exit 1
}

# Adds a series to what is pushed when the run succeeds.
bc_metric() {
  bc_extra="$bc_extra$1 $2
"
}

# The name of this run's artifact: <job>-<UTC stamp><ext>.
bc_name() {
  echo "$BC_PREFIX-$bc_stamp$1"
}

# Bytes in a file, or (in KiB steps) under a folder.
bc_bytes() {
  if [ -d "$1" ]; then
    bc_kib=$(du -sk "$1")
    echo $((\${bc_kib%%[!0-9]*} * 1024))
  else
    bc_n=$(wc -c <"$1")
    echo $((bc_n))
  fi
}

# Fails unless an artifact is not empty and has at least BC_MIN_BYTES bytes.
bc_floor_bytes() {
  [ "$2" -gt 0 ] || bc_fail "$1 is empty"
  [ "$2" -ge "$BC_MIN_BYTES" ] || bc_fail "$1 has $2 bytes, below the floor of $BC_MIN_BYTES"
}

# Fails unless a count (tables, keys, rows) is a number at or above its floor.
bc_floor_count() {
  case "$2" in '' | *[!0-9]*) bc_fail "$1: could not be counted (got '$2')" ;; esac
  [ "$2" -ge "$3" ] || bc_fail "$1: $2, below the floor of $3"
}

# Moves a checked artifact from the work folder to its final name. Only committed
# artifacts are backups, and only they are ever rotated.
bc_commit() {
  [ ! -e "$2" ] || bc_fail "$2 already exists"
  mv -- "$1" "$2"
  bc_committed="$2"
  bc_log "wrote $2"
}

# Deletes this job's artifacts in a folder that are older than the retention, only right
# after this run committed a checked artifact there, and never that one: a run of failed
# dumps never rotates the last good one away. Only names this job writes match. An artifact
# goes only while BC_KEEP_AT_LEAST newer ones stay (the committed one counting): after a
# forward clock jump or weeks without a good dump, age alone would leave only this run's.
bc_rotate() {
  if [ -z "$bc_committed" ] || [ ! -e "$bc_committed" ] || [ "\${bc_committed%/*}" != "$1" ]; then
    bc_fail "refusing to rotate $1: this run committed no checked artifact there"
  fi
  # newest first by the UTC stamp in the name; a find that fails lists less and deletes less
  find "$1" -mindepth 1 -maxdepth 1 -name "$BC_PREFIX-$bc_stamp_glob$2" ! -name "\${bc_committed##*/}" | LC_ALL=C sort -r | {
    bc_newer=1
    while IFS= read -r bc_old; do
      if [ "$bc_newer" -ge "$BC_KEEP_AT_LEAST" ] &&
        [ -n "$(find "$1" -mindepth 1 -maxdepth 1 -name "\${bc_old##*/}" -mmin "+$((BC_RETENTION_DAYS * 1440))")" ]; then
        echo "$bc_old"
        rm -rf -- "$bc_old"
      else
        bc_newer=$((bc_newer + 1))
        # a dump kept from before artifacts were written under umask 077 was left readable by
        # every client of the export: no longer (a warning only, it is still a good dump)
        chmod -R go-rwx -- "$bc_old" || bc_log "warning: could not make $bc_old readable by its owner only"
      fi
    done
  }
}

${cleanup}bc_on_exit() {
  bc_status=$?
  trap - EXIT
  set +eu
${o.cleanup ? '  bc_cleanup\n' : ''}  if [ -n "$bc_work" ]; then rm -rf -- "$bc_work"; fi
  bc_now=$(date +%s)
  mkdir -p "$BC_STATUS_DIR"
  # readable by the report (another user) whatever the umask
  (umask 022 && {
    echo "${BackupMetric.lastRun} $bc_now"
    echo "${BackupMetric.lastStatus} $bc_status"
    echo "${BackupMetric.lastDuration} $((bc_now - bc_started))"
    if [ "$bc_status" -eq 0 ]; then
      echo "${BackupMetric.lastSuccess} $bc_now"
      printf '%s' "$bc_extra"
    fi
  } >"$BC_STATUS_DIR/${STATUS_FILE}.partial")
  if ! mv -f "$BC_STATUS_DIR/${STATUS_FILE}.partial" "$BC_STATUS_DIR/${STATUS_FILE}"; then
    bc_log "could not record the outcome in $BC_STATUS_DIR"
  fi
  if [ "$bc_status" -ne 0 ]; then bc_log "failed with status $bc_status"; fi
  # In the pod the report container pushes the outcome and exits with this status, so the
  # Job shows the failure once, in that container.
  if [ "\${BC_DEFER_STATUS:-0}" = 1 ]; then exit 0; fi
  exit "$bc_status"
}
trap bc_on_exit EXIT
# Kubernetes stops a pod with SIGTERM: exit, so the EXIT trap still records the failure.
trap 'exit 143' TERM
trap 'exit 130' INT

bc_main() {
${indentBlock(ARTIFACT_UMASK + work + o.body)}
}

bc_main
`;
}

/** What the report script needs. */
export interface ReportScriptOptions {
  readonly jobId: string;
  readonly constructPath: string;
  /** Base URL of the Pushgateway, e.g. `http://pushgateway.monitoring.svc:9091`. */
  readonly pushgateway: string;
  /** Grouping key path (`/metrics/job/...`), from `pushgatewayPath`. */
  readonly path: string;
}

/**
 * The report container's script: pushes the outcome the dump container recorded (or, when
 * it recorded none, a failure) to the Pushgateway with POST, so a failure keeps the last
 * success time, then exits with the dump's status.
 */
export function renderReportScript(o: ReportScriptOptions): string {
  const help = [...Object.values(BackupMetric).map((name) => [name, BACKUP_METRIC_HELP[name]] as const), ...Object.entries(EXTRA_HELP)]
    .map(([name, text]) => `    ${name}) echo ${JSON.stringify(text)} ;;`)
    .join('\n');
  const settings: Record<string, string> = {
    BC_JOB: o.jobId,
    BC_PUSHGATEWAY: o.pushgateway,
    BC_PUSH_PATH: o.path,
    BC_STATUS_DIR: POD_PATHS.status,
    BC_POLL_SECONDS: '2',
    // polls after a stop: within the pod's 30 s grace period, with time left for the push
    BC_STOP_GRACE: '3',
  };
  const assignments = Object.entries(settings)
    .map(([k, v]) => `${k}=\${${k}:-${shellQuote(v)}}`)
    .join('\n');
  return `#!/bin/sh
${generatedHeader('#', o.constructPath, `${o.jobId}: push the outcome of the dump to the Pushgateway`)}set -eu

${assignments}

bc_help() {
  case "$1" in
${help}
    *) echo "backup-constructs metric" ;;
  esac
}

status_file="$BC_STATUS_DIR/${STATUS_FILE}"
pid_file="$BC_STATUS_DIR/${PID_FILE}"
# Wait for the dump container, which runs beside this one: until it recorded its outcome, its
# process is gone without one (killed: an OOM kill takes the whole container), or this pod is
# stopped (the Job's deadline passed; a dump whose image never pulled never started). A
# stopped dump records its outcome at once, so it gets a few seconds after a stop.
bc_stopped=''
trap 'bc_stopped=1' TERM INT
bc_grace=0
while [ ! -f "$status_file" ] && [ ! -f "$BC_STATUS_DIR/${SKIPPED_FILE}" ]; do
  if [ -n "$bc_stopped" ]; then
    bc_grace=$((bc_grace + 1))
    if [ "$bc_grace" -gt "$BC_STOP_GRACE" ]; then
      echo "$BC_JOB: stopped before the dump recorded an outcome (deadline passed, or the dump never started)" >&2
      break
    fi
  elif [ -f "$pid_file" ]; then
    dump_pid=$(cat "$pid_file" 2>/dev/null || true)
    case "$dump_pid" in
      '' | *[!0-9]*) ;;
      *)
        if [ ! -d "/proc/$dump_pid" ]; then
          # it records its outcome before it exits: a last look, then it was killed
          [ -f "$status_file" ] || [ -f "$BC_STATUS_DIR/${SKIPPED_FILE}" ] || echo "$BC_JOB: the dump's process $dump_pid is gone (killed, e.g. out of memory)" >&2
          break
        fi
        ;;
    esac
  fi
  sleep "$BC_POLL_SECONDS" &
  wait $! || true
done
trap - TERM INT
if [ -f "$BC_STATUS_DIR/${SKIPPED_FILE}" ]; then
  # not this job's weekday: nothing ran, nothing to report
  echo "$BC_JOB: skipped (not its weekday)"
  exit 0
fi
status=''
if [ -f "$status_file" ]; then
  # unreadable: no status, so a failure is reported rather than nothing
  status=$(sed -n 's/^${BackupMetric.lastStatus} \\([0-9][0-9]*\\)$/\\1/p' "$status_file" 2>/dev/null || true)
fi
body=''
if [ -z "$status" ]; then
  # The dump container was killed, stopped or could not write its outcome: report a failure.
  echo "$BC_JOB: the dump recorded no outcome; reporting a failure" >&2
  status=1
  body="${BackupMetric.lastRun} $(date +%s)
${BackupMetric.lastStatus} 1
"
else
  body=$(cat "$status_file")
fi
payload=''
while read -r name value; do
  case "$name" in '' | *[!a-z0-9_:]*) continue ;; esac
  case "$value" in '' | *[!0-9.eE+-]*) continue ;; esac
  payload="$payload# HELP $name $(bc_help "$name")
# TYPE $name gauge
$name $value
"
done <<EOF
$body
EOF
# a stopped pod has 30 s before the kubelet kills it, some of them spent waiting above
bc_curl_limits='--max-time 10 --retry 3'
if [ -n "$bc_stopped" ]; then bc_curl_limits='--max-time 5 --retry 1'; fi
# shellcheck disable=SC2086 # two options and their values
if printf '%s' "$payload" | curl --silent --show-error --fail $bc_curl_limits --retry-connrefused --data-binary @- "$BC_PUSHGATEWAY$BC_PUSH_PATH" >/dev/null; then
  echo "$BC_JOB: reported status $status"
else
  echo "$BC_JOB: WARNING: could not push the outcome (status $status); its alerts will fire" >&2
fi
exit "$status"
`;
}

