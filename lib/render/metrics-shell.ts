import { BACKUP_METRIC_HELP, BackupMetric } from '../metrics';

/**
 * Bash functions that record metrics in the site's one scheme, to a Pushgateway (POST, so a
 * failure push keeps the last success time) or to the node-exporter textfile collector
 * (merged per file, written atomically). Reads BC_JOB, BC_SITE, BC_HOST, BC_SINK and
 * BC_PUSHGATEWAY or BC_TEXTFILE_DIR.
 *
 * Usage: `bc_report GUEST NAME VALUE [NAME VALUE ...]` with GUEST empty for job-level series.
 */
export function renderMetricsFunctions(): string {
  const help = Object.values(BackupMetric)
    .map((name) => `    ${name}) echo ${JSON.stringify(BACKUP_METRIC_HELP[name])} ;;`)
    .join('\n');
  return `bc_metric_help() {
  case "$1" in
${help}
    *) echo "backup-constructs metric" ;;
  esac
}

bc_report() {
  local guest="$1"; shift
  local labels="backup_job=\\"$BC_JOB\\",site=\\"$BC_SITE\\",host=\\"$BC_HOST\\""
  [ -n "$guest" ] && labels="$labels,guest=\\"$guest\\""
  local body="" names=" " name value
  while [ "$#" -ge 2 ]; do
    name="$1"; value="$2"; shift 2
    names="$names$name "
    body="$body# HELP $name $(bc_metric_help "$name")"$'\\n'"# TYPE $name gauge"$'\\n'
    if [ "$BC_SINK" = textfile ]; then
      body="$body$name{$labels} $value"$'\\n'
    else
      body="$body$name $value"$'\\n'
    fi
  done
  if [ "$BC_SINK" = textfile ]; then
    local file="$BC_TEXTFILE_DIR/backup_$BC_JOB" tmp
    [ -n "$guest" ] && file="\${file}_guest_$guest"
    file="$file.prom"
    # node-exporter reads the folder as its own user: a script running under umask 077 (one
    # that writes dumps) must not create it 0700
    (umask 022 && mkdir -p "$BC_TEXTFILE_DIR") || return 1
    tmp=$(mktemp "$file.XXXXXX") || return 1
    # Keeps the series this call does not replace (the last success time on a failure). Every
    # write is checked: on a full disk a cut-short file must never replace the whole one (the
    # guest's series would vanish and no alert fire); the caller hears of the failure instead.
    if { [ ! -f "$file" ] || awk -v skip="$names" '{ n = $0; sub(/^# (HELP|TYPE) /, "", n); sub(/[ {].*/, "", n); if (index(skip, " " n " ") == 0) print }' "$file" >"$tmp"; } &&
      printf '%s' "$body" >>"$tmp" && chmod 0644 "$tmp" && mv -f "$tmp" "$file"; then
      return 0
    fi
    rm -f "$tmp"
    return 1
  else
    local path="/metrics/job/$BC_JOB/backup_job/$BC_JOB/site/$BC_SITE/host/$BC_HOST"
    [ -n "$guest" ] && path="$path/guest/$guest"
    printf '%s' "$body" | curl --silent --show-error --fail --max-time 10 --data-binary @- "$BC_PUSHGATEWAY$path" >/dev/null
  fi
}
`;
}
