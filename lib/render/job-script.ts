import { BackupMetric } from '../metrics';
import type { MetricsSinkConfig } from '../model/site-model';
import { renderMetricsFunctions } from './metrics-shell';
import { generatedHeader, indent, shellQuote } from './shell';

/** What the standard job script preamble needs. */
export interface JobScriptOptions {
  readonly jobId: string;
  readonly site: string;
  readonly host: string;
  readonly sink: MetricsSinkConfig;
  readonly constructPath: string;
  readonly description: string;
  /** Settings the body reads, as `NAME=value` shell assignments (not secrets). */
  readonly settings: Readonly<Record<string, string>>;
  /** Files the job holds an exclusive `flock` on for its whole run (shared state). */
  readonly locks: readonly string[];
  /** The job's own work: bash lines run inside `main`. */
  readonly body: string;
  /**
   * Bash lines run on every exit path before the status is reported (a restore drill's
   * temporary guest is destroyed here); signals are ignored meanwhile, and a failing cleanup
   * fails a run that had succeeded. Read the body's state from global variables with
   * defaults (`${created:-0}`): the body may not have run.
   */
  readonly cleanup?: string;
  /**
   * Renders `bc_step_begin JOB_ID` and `bc_step_end STATUS`: a step of the body reported as a
   * job of its own, in the same scheme, under its own job id (its own grouping key). A step
   * begun and not ended when the script exits (a SIGTERM during it) is reported as failed.
   */
  readonly steps?: boolean;
}

/** The step functions; bc_report labels and groups what it pushes by BC_JOB. */
function stepFunctions(): string {
  const m = BackupMetric;
  return `bc_step_job=""
bc_step_started=0
# Begins step $1 (a job id of its own) of this run.
bc_step_begin() {
  bc_step_job="$1"
  bc_step_started=$(date +%s)
}
# Reports the step begun last with status $1 under its own job id; never fails the run.
bc_step_end() {
  local job="$bc_step_job" status="$1" now
  bc_step_job=""
  now=$(date +%s)
  if [ "$status" -eq 0 ]; then
    # a subshell, so a signal meanwhile cannot leave BC_JOB set to the step's id
    (BC_JOB="$job" && bc_report "" ${m.lastRun} "$now" ${m.lastStatus} 0 ${m.lastSuccess} "$now" ${m.lastDuration} $((now - bc_step_started))) ||
      echo "$job: WARNING: succeeded but could not report it; its Stale alert will fire" >&2
  else
    echo "$job failed with status $status" >&2
    (BC_JOB="$job" && bc_report "" ${m.lastRun} "$now" ${m.lastStatus} "$status" ${m.lastDuration} $((now - bc_step_started))) ||
      echo "$job: could not report the failure" >&2
  fi
  return 0
}

`;
}

/**
 * A complete job script: strict mode, settings (each overridable from the environment, so
 * tests run it against temporary folders), the metric functions, one EXIT trap that reports
 * status on every exit path (SIGTERM and SIGINT included, turned into exits), locks, then the
 * body. The body may call `bc_metric NAME VALUE` to add series to the final report, e.g.
 * `bc_metric backup_last_size_bytes 1234`.
 */
export function renderJobScript(o: JobScriptOptions): string {
  const sinkVars: Record<string, string> =
    o.sink.kind === 'pushgateway'
      ? { BC_SINK: 'pushgateway', BC_PUSHGATEWAY: o.sink.url }
      : { BC_SINK: 'textfile', BC_TEXTFILE_DIR: o.sink.directory };
  const lockVars = Object.fromEntries(o.locks.map((l, i) => [`BC_LOCK_${i}`, l]));
  const vars: Record<string, string> = { BC_JOB: o.jobId, BC_SITE: o.site, BC_HOST: o.host, ...sinkVars, ...lockVars, ...o.settings };
  const assignments = Object.entries(vars)
    .map(([k, v]) => `${k}=\${${k}:-${shellQuote(v)}}`)
    .join('\n');
  const locks = o.locks
    .map(
      (_l, i) =>
        `  mkdir -p "$(dirname "$BC_LOCK_${i}")"\n  exec {lock_fd_${i}}>>"$BC_LOCK_${i}"\n  flock -w 3600 "$lock_fd_${i}" || { echo "could not lock $BC_LOCK_${i} within an hour" >&2; exit 75; }`,
    )
    .join('\n');
  const cleanup = o.cleanup
    ? `  # a second SIGTERM must not cut the cleanup short
  trap '' TERM INT
  bc_cleanup
  local cleanup_status=$?
  if [ "$cleanup_status" -ne 0 ]; then
    echo "$BC_JOB: cleanup failed with status $cleanup_status" >&2
    if [ "$status" -eq 0 ]; then status=$cleanup_status; fi
  fi
`
    : '';
  const cleanupFunction = o.cleanup
    ? `# Runs on every exit path, before the status is reported.
bc_cleanup() {
${indent(o.cleanup)}
}

`
    : '';
  return `#!/bin/bash
${generatedHeader('#', o.constructPath, `${o.jobId}: ${o.description}`)}set -euo pipefail

${assignments}

${renderMetricsFunctions()}
bc_started=$(date +%s)
bc_extra=()
# Adds a series to the report sent when the script exits.
bc_metric() {
  bc_extra+=("$1" "$2")
}

${o.steps ? stepFunctions() : ''}${cleanupFunction}bc_on_exit() {
  local status=$?
  trap - EXIT
  set +e
${cleanup}${
    o.steps
      ? `  if [ -n "$bc_step_job" ]; then
    # the run ended inside a step (a SIGTERM, an error outside its own status): it did not finish
    local step_status=$status
    [ "$step_status" -ne 0 ] || step_status=1
    bc_step_end "$step_status"
  fi
`
      : ''
  }  local now
  now=$(date +%s)
  if [ "$status" -eq 0 ]; then
    bc_report "" ${BackupMetric.lastRun} "$now" ${BackupMetric.lastStatus} 0 ${BackupMetric.lastSuccess} "$now" ${BackupMetric.lastDuration} $((now - bc_started)) "\${bc_extra[@]}" ||
      echo "$BC_JOB: WARNING: succeeded but could not report it; its Stale alert will fire" >&2
  else
    echo "$BC_JOB failed with status $status" >&2
    bc_report "" ${BackupMetric.lastRun} "$now" ${BackupMetric.lastStatus} "$status" ${BackupMetric.lastDuration} $((now - bc_started)) ||
      echo "$BC_JOB: could not report the failure" >&2
  fi
  exit "$status"
}
trap bc_on_exit EXIT
# systemd stops a unit with SIGTERM: exit so the EXIT trap still reports the failure.
trap 'exit 143' TERM
trap 'exit 130' INT

main() {
${locks ? `${locks}\n` : ''}${indent(o.body)}
}

main "$@"
`;
}

