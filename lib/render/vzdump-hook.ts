import { BackupMetric } from '../metrics';
import type { MetricsSinkConfig } from '../model/site-model';
import { renderMetricsFunctions } from './metrics-shell';
import { generatedHeader, shellQuote } from './shell';

/** What a vzdump job's hook script needs to know. */
export interface VzdumpHookOptions {
  readonly jobId: string;
  readonly site: string;
  readonly host: string;
  readonly sink: MetricsSinkConfig;
  readonly constructPath: string;
}

/**
 * The hook script (a vzdump job's `script` property) that records each guest's outcome and
 * the job's in the site's metric scheme. vzdump passes no job id to hooks, so each job has
 * its own script with the id written in.
 *
 * A hook that exits non-zero aborts the backup, so a metrics endpoint that is down is
 * reported in the task log and never stops the backup itself.
 *
 * @see https://pve.proxmox.com/pve-docs/vzdump.1.html (hook script)
 */
export function renderVzdumpHook(o: VzdumpHookOptions): string {
  const sinkVars =
    o.sink.kind === 'pushgateway'
      ? `BC_SINK=pushgateway\nBC_PUSHGATEWAY=\${BC_PUSHGATEWAY:-${shellQuote(o.sink.url)}}`
      : `BC_SINK=textfile\nBC_TEXTFILE_DIR=\${BC_TEXTFILE_DIR:-${shellQuote(o.sink.directory)}}`;
  return `#!/bin/bash
${generatedHeader('#', o.constructPath, `vzdump hook for job ${o.jobId}: records each guest's and the job's outcome as metrics`)}set -euo pipefail

BC_JOB=${shellQuote(o.jobId)}
BC_SITE=${shellQuote(o.site)}
BC_HOST=${shellQuote(o.host)}
${sinkVars}
BC_STATE_DIR=\${BC_STATE_DIR:-/run/backup-constructs}/$BC_JOB

${renderMetricsFunctions()}
record() {
  if ! bc_report "$@"; then
    echo "backup-constructs: WARNING: could not record metrics for job $BC_JOB (phase $phase); the backup itself is not affected" >&2
  fi
}

state_warning() {
  echo "backup-constructs: WARNING: could not keep the state of job $BC_JOB in $BC_STATE_DIR (phase $phase); the backup itself is not affected" >&2
}

# Anything else that fails here (an unexpected error) is a warning in the task log too: a hook
# that exits non-zero aborts the backup.
bc_hook_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "backup-constructs: WARNING: the hook of job $BC_JOB failed with status $rc (phase \${phase:-}); the backup itself is not affected" >&2
    exit 0
  fi
}
trap bc_hook_exit EXIT

phase="\${1:-}"
now=$(date +%s)

case "$phase" in
  job-start)
    if ! { mkdir -p "$BC_STATE_DIR" && rm -f "$BC_STATE_DIR/failed" && echo "$now" >"$BC_STATE_DIR/start"; }; then
      state_warning
    fi
    ;;
  backup-end)
    vmid="$3"
    # A size only from an archive file: on a PBS storage TARGET names a snapshot, not a file,
    # and a made-up 0 would read as an empty backup on the dashboard.
    size=""
    if [ -n "\${TARGET:-}" ] && [ -f "$TARGET" ]; then
      size=$(stat -c %s "$TARGET" || true)
    fi
    if [[ "$size" =~ ^[0-9]+$ ]]; then
      record "$vmid" ${BackupMetric.lastRun} "$now" ${BackupMetric.lastStatus} 0 ${BackupMetric.lastSuccess} "$now" ${BackupMetric.lastSize} "$size"
    else
      record "$vmid" ${BackupMetric.lastRun} "$now" ${BackupMetric.lastStatus} 0 ${BackupMetric.lastSuccess} "$now"
    fi
    ;;
  backup-abort)
    vmid="$3"
    if ! { mkdir -p "$BC_STATE_DIR" && echo "$vmid" >>"$BC_STATE_DIR/failed"; }; then
      # without this guest in the failed list, job-end must not find job-start's state either,
      # or it would report the job succeeded
      rm -f "$BC_STATE_DIR/start" 2>/dev/null || true
      state_warning
    fi
    record "$vmid" ${BackupMetric.lastRun} "$now" ${BackupMetric.lastStatus} 1
    ;;
  job-end | job-abort)
    start=$(cat "$BC_STATE_DIR/start" 2>/dev/null || echo "$now")
    duration=$((now - start))
    # Without the state job-start left, a guest that failed cannot be ruled out: a failure
    # reported by mistake is checked, a success reported by mistake is believed.
    if [ ! -f "$BC_STATE_DIR/start" ]; then
      echo "backup-constructs: WARNING: no state of job $BC_JOB from job-start in $BC_STATE_DIR: reporting the job as failed, since failed guests cannot be ruled out" >&2
    fi
    if [ "$phase" = job-end ] && [ -f "$BC_STATE_DIR/start" ] && [ ! -s "$BC_STATE_DIR/failed" ]; then
      record "" ${BackupMetric.lastRun} "$now" ${BackupMetric.lastStatus} 0 ${BackupMetric.lastSuccess} "$now" ${BackupMetric.lastDuration} "$duration"
    else
      record "" ${BackupMetric.lastRun} "$now" ${BackupMetric.lastStatus} 1 ${BackupMetric.lastDuration} "$duration"
    fi
    rm -f "$BC_STATE_DIR/failed" "$BC_STATE_DIR/start" || state_warning
    ;;
  *)
    # job-init, backup-start, log-end, pre-stop, pre-restart, post-restart: nothing to record
    ;;
esac
exit 0
`;
}
