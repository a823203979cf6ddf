import { BackupMetric } from '../metrics';
import { shellQuote } from './shell';

/** One PBS job whose outcome the report reads, and where the PBS API lists it. */
export interface PbsReportedJob {
  /** Our job id (the `backup_job` label); for verify and prune jobs also PBS's job id. */
  readonly jobId: string;
  /** The PBS API list that holds the job's schedule status (`last-run-state` and so on). */
  readonly api: '/admin/verify' | '/admin/prune' | '/admin/gc';
  /** The entry's key in that list: `id` for verify and prune jobs, `store` for garbage collection. */
  readonly key: 'id' | 'store';
  readonly value: string;
}

/** Series of the datastore's size and free space the report pushes under its own job id. */
export const PBS_DATASTORE_METRICS = { size: 'backup_pbs_datastore_size_bytes', free: 'backup_pbs_datastore_free_bytes' } as const;

/**
 * The body of the job that reports a PBS datastore's verify, prune and garbage-collection
 * outcomes in the site's metric scheme (run by ScheduledHostJob, whose EXIT trap reports the
 * report job itself). PBS runs those jobs on its own schedule and pushes nothing, so the
 * report reads each job's last run from the PBS API on the host, as root, with
 * `proxmox-backup-debug api get` (no API token needed), and pushes it under the job's own
 * id: the same four series every job has, so the site's Failed and Stale alerts cover them.
 * It also pushes the datastore's size and free space (`/admin/datastore/<store>/status`)
 * under its own id: a full datastore stops every backup and garbage collection with it.
 *
 * A job that failed is reported as a failure, not an error of the report; a job that cannot
 * be read at all (API missing, job removed in the GUI, `jq` not installed) fails the report,
 * whose own alert fires, because pushing a failure for the job would blame a job that may
 * have run fine.
 *
 * @see https://pbs.proxmox.com/docs/proxmox-backup-debug/synopsis.html
 */
export function renderPbsReportBody(datastore: string, jobs: readonly PbsReportedJob[]): string {
  const m = BackupMetric;
  const calls = jobs.map((j) => `report_pbs_job ${shellQuote(j.jobId)} ${j.api} ${j.key} ${shellQuote(j.value)} || unreadable=$((unreadable + 1))`);
  return `command -v jq >/dev/null || { echo "jq is not installed on $BC_HOST (apt-get install jq): cannot read the PBS job status" >&2; exit 127; }

# Pushes one PBS job's last finished run, read from the API list it is in.
# usage: report_pbs_job JOB_ID API_PATH KEY VALUE
report_pbs_job() {
  # bc_report labels what it pushes with BC_JOB
  local BC_JOB="$1" api="$2" key="$3" value="$4" list entry state end duration upid start start_hex
  if ! list=$(proxmox-backup-debug api get "$api" --output-format json); then
    echo "$BC_JOB: could not read $api from the PBS API" >&2
    return 1
  fi
  entry=$(jq -c --arg k "$key" --arg v "$value" 'first(.[] | select(.[$k] == $v)) // empty' <<<"$list")
  if [ -z "$entry" ]; then
    echo "$BC_JOB: no $key $value in $api (removed in the GUI?): apply the site again" >&2
    return 1
  fi
  state=$(jq -r '.["last-run-state"] // empty' <<<"$entry")
  end=$(jq -r '.["last-run-endtime"] // empty' <<<"$entry")
  if [ -z "$state" ] || [ -z "$end" ]; then
    # running now or never ran: nothing finished to report; the Stale alert covers a job that never finishes
    echo "$BC_JOB: no finished run to report"
    return 0
  fi
  # The run's length: garbage collection's status gives it as duration (and its task as upid,
  # not last-run-upid); for verify and prune jobs it is the end less the start time in the
  # task id, UPID:node:pid:pstart:task:starttime(hex):type:id:user:
  duration=$(jq -r '.duration // empty' <<<"$entry")
  if ! [[ "$duration" =~ ^[0-9]+$ ]]; then
    upid=$(jq -r '.["last-run-upid"] // .upid // empty' <<<"$entry")
    start="$end"
    IFS=: read -r _ _ _ _ _ start_hex _ <<<"$upid"
    if [[ "\${start_hex:-}" =~ ^[0-9A-Fa-f]{1,16}$ ]]; then start=$((16#$start_hex)); fi
    duration=$((end - start))
  fi
  if [ "$state" = OK ] || [[ "$state" == WARNINGS* ]]; then
    echo "$BC_JOB: $state at $end"
    bc_report "" ${m.lastRun} "$end" ${m.lastStatus} 0 ${m.lastSuccess} "$end" ${m.lastDuration} "$duration"
  else
    echo "$BC_JOB: last run failed at $end: $state" >&2
    bc_report "" ${m.lastRun} "$end" ${m.lastStatus} 1 ${m.lastDuration} "$duration"
  fi
}

unreadable=0
${calls.join('\n')}

# the datastore's fill level, under this job's own id
if store_status=$(proxmox-backup-debug api get /admin/datastore/${shellQuote(datastore)}/status --output-format json) &&
  size=$(jq -er '.total' <<<"$store_status") && free=$(jq -er '.avail' <<<"$store_status"); then
  bc_report "" ${PBS_DATASTORE_METRICS.size} "$size" ${PBS_DATASTORE_METRICS.free} "$free" || unreadable=$((unreadable + 1))
else
  echo "could not read the size of datastore ${datastore} from the PBS API" >&2
  unreadable=$((unreadable + 1))
fi
if [ "$unreadable" -gt 0 ]; then
  echo "could not read $unreadable of the PBS jobs and the datastore status" >&2
  exit 1
fi`;
}
