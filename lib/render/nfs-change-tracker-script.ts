import { DUMP_WORK_PREFIX } from '../in-progress';
import { BackupMetric } from '../metrics';
import type { MetricsSinkConfig } from '../model/site-model';
import { renderMetricsFunctions } from './metrics-shell';
import { generatedHeader, shellQuote } from './shell';

/** What the change tracker's script is rendered from. */
export interface NfsChangeTrackerScriptOptions {
  readonly jobId: string;
  readonly site: string;
  readonly host: string;
  readonly sink: MetricsSinkConfig;
  readonly constructPath: string;
  readonly watchPaths: readonly string[];
  readonly changeLog: string;
  readonly lockFile: string;
  readonly heartbeatSeconds: number;
}

/**
 * The change tracker (seed 002's `nfs-change-tracker.service`): `inotifywait` on the NFS
 * roots, each changed path appended to the change log under the lock the off-site sync takes
 * to consume it. A long-running service, so instead of a run it reports a heartbeat (last
 * success = "watching now") while inotifywait lives, and on every exit (SIGTERM from systemd
 * included) its status, in the site's metric scheme: a dead tracker turns stale and failing.
 */
export function renderNfsChangeTrackerScript(o: NfsChangeTrackerScriptOptions): string {
  const sinkVars: Record<string, string> =
    o.sink.kind === 'pushgateway' ? { BC_SINK: 'pushgateway', BC_PUSHGATEWAY: o.sink.url } : { BC_SINK: 'textfile', BC_TEXTFILE_DIR: o.sink.directory };
  const vars: Record<string, string> = {
    BC_JOB: o.jobId,
    BC_SITE: o.site,
    BC_HOST: o.host,
    ...sinkVars,
    WATCH_PATHS: o.watchPaths.join(' '),
    CHANGE_LOG: o.changeLog,
    CHANGE_LOG_LOCK: o.lockFile,
    HEARTBEAT_SECONDS: String(o.heartbeatSeconds),
  };
  const assignments = Object.entries(vars)
    .map(([k, v]) => `${k}=\${${k}:-${shellQuote(v)}}`)
    .join('\n');
  return `#!/bin/bash
${generatedHeader('#', o.constructPath, `${o.jobId}: log changed NFS paths for the off-site sync`)}set -euo pipefail

${assignments}

${renderMetricsFunctions()}
watcher_pid=""
heartbeat_pid=""

on_exit() {
  local status=$? now
  trap - EXIT
  set +e
  # the heartbeat finishes a report under way before it ends: waiting for it means no
  # "watching" report can land after this one
  if [ -n "$heartbeat_pid" ]; then
    kill "$heartbeat_pid" 2>/dev/null
    wait "$heartbeat_pid" 2>/dev/null
  fi
  [ -z "$watcher_pid" ] || kill "$watcher_pid" 2>/dev/null
  # the tracker is meant to run for ever: any exit, a clean stop included, means changes
  # go unlogged from now on
  [ "$status" -ne 0 ] || status=1
  now=$(date +%s)
  echo "$BC_JOB stopped with status $status" >&2
  bc_report "" ${BackupMetric.lastRun} "$now" ${BackupMetric.lastStatus} "$status" || echo "$BC_JOB: could not report the stop" >&2
  exit "$status"
}
trap on_exit EXIT
# systemd stops a service with SIGTERM: exit so the EXIT trap still reports it
trap 'exit 143' TERM
trap 'exit 130' INT

heartbeat() {
  local now stop=0
  trap - EXIT INT
  # SIGTERM from on_exit: bash runs this once a report under way has finished (killed
  # outright, the subshell would leave its curl to push "watching" after the stop's report)
  trap 'stop=1' TERM
  while [ "$stop" -eq 0 ]; do
    if kill -0 "$watcher_pid" 2>/dev/null; then
      now=$(date +%s)
      bc_report "" ${BackupMetric.lastRun} "$now" ${BackupMetric.lastStatus} 0 ${BackupMetric.lastSuccess} "$now" ||
        echo "$BC_JOB: could not report the heartbeat" >&2
    fi
    [ "$stop" -eq 0 ] || break
    # in the background: wait returns at once on SIGTERM, a foreground sleep would not
    sleep "$HEARTBEAT_SECONDS" &
    wait "$!" || kill "$!" 2>/dev/null || true
  done
}

read -r -a watch <<<"$WATCH_PATHS"
mkdir -p "$(dirname "$CHANGE_LOG")" "$(dirname "$CHANGE_LOG_LOCK")"
exec {lock_fd}>>"$CHANGE_LOG_LOCK"
# close_write: a file was written; moved_to: renamed into the tree (a whole folder, too);
# create: new folders and links (written files repeat as close_write, the sync dedupes)
exec {events_fd}< <(inotifywait -m -r -q -e close_write -e moved_to -e create --format '%w%f' "\${watch[@]}")
watcher_pid=$!
heartbeat &
heartbeat_pid=$!
last=""
batch=()

# One line of inotifywait's output into the batch.
take() {
  local path="$1"
  # A name with a line break arrives as lines that are not all paths: for the rest of it, log
  # the folder that holds it (the path line before), which Step 2 copies whole.
  if [[ "$path" != /* ]]; then
    [ -n "$last" ] || return 0
    path=\${last%/*}
  else
    last=$path
  fi
  # An app dump writes in a work folder and renames the finished artifact out of it: the
  # rename is logged (moved_to), what is written in the folder is not shipped half done.
  case "$path" in
    */${DUMP_WORK_PREFIX}*) return 0 ;;
  esac
  batch+=("$path")
}

while IFS= read -r -u "$events_fd" line; do
  take "$line"
  # What is already waiting (up to 1000 lines) is logged under one lock: a flock per event
  # could not keep up with a burst (an import of thousands of files), and the kernel drops
  # events its queue cannot hold without a word.
  while [ "\${#batch[@]}" -lt 1000 ] && read -r -t 0 -u "$events_fd" && IFS= read -r -u "$events_fd" line; do
    take "$line"
  done
  if [ "\${#batch[@]}" -gt 0 ]; then
    flock "$lock_fd"
    printf '%s\\n' "\${batch[@]}" >>"$CHANGE_LOG"
    flock -u "$lock_fd"
    batch=()
  fi
done
status=0
wait "$watcher_pid" || status=$?
echo "inotifywait ended with status $status" >&2
exit "$(( status == 0 ? 1 : status ))"
`;
}
