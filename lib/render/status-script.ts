import { generatedHeader, shellQuote } from './shell';

/**
 * Where WARNING/CRITICAL findings are sent when the set of findings changes (and once when
 * everything is OK again): for sites without Prometheus. Credentials stay in files.
 */
export type StatusNotification =
  | { readonly kind: 'ntfy'; readonly url: string; readonly tokenFile?: string }
  | { readonly kind: 'apprise-api'; readonly url: string }
  | { readonly kind: 'apprise-cli'; readonly configFile: string };

/** Remembers what was last notified, so an unchanged problem is not re-sent every hour. */
export const STATUS_NOTIFY_STATE = '/var/lib/backup-constructs/status-notified';

function notifyFunctions(site: string, host: string, notify: readonly StatusNotification[]): string {
  const senders = notify.map((n) => {
    switch (n.kind) {
      case 'ntfy':
        // the token reaches curl as a config line on stdin: an argument would show in ps and /proc
        return n.tokenFile
          ? `  printf 'header = "Authorization: Bearer %s"\\n' "$(cat ${shellQuote(n.tokenFile)})" | curl --config - --silent --show-error --fail --max-time 15 -H "Title: $title" -H "Priority: $priority" -H "Tags: floppy_disk" --data-binary "$body" ${shellQuote(n.url)} >/dev/null || failed=1`
          : `  curl --silent --show-error --fail --max-time 15 -H "Title: $title" -H "Priority: $priority" -H "Tags: floppy_disk" --data-binary "$body" ${shellQuote(n.url)} >/dev/null || failed=1`;
      case 'apprise-api':
        return `  local payload\n  payload=$(printf '{"title":"%s","body":"%s","type":"%s"}' "$(json_escape "$title")" "$(json_escape "$body")" "$apprise_type")\n  curl --silent --show-error --fail --max-time 15 -H 'Content-Type: application/json' --data-binary "$payload" ${shellQuote(n.url)} >/dev/null || failed=1`;
      case 'apprise-cli':
        return `  apprise --config=${shellQuote(n.configFile)} -n "$apprise_type" -t "$title" -b "$body" || failed=1`;
    }
  });
  return `
# Sends the findings when they differ from what was last sent; an unchanged problem stays quiet.
notify_changes() {
  local state="\${BC_NOTIFY_STATE:-${STATUS_NOTIFY_STATE}}" body="" title priority apprise_type failed=0 r
  for r in "\${results[@]}"; do
    IFS=$'\\t' read -r name status reason _age _hours _file _job <<<"$r"
    [ "$status" = OK ] || body="$body$status $name: $reason"$'\\n'
  done
  body=\${body%$'\\n'}
  local previous=""
  [ -f "$state" ] && previous=$(cat "$state")
  [ "$body" = "$previous" ] && return 0
  # shellcheck disable=SC2034 # each sender reads only some of these
  if [ -z "$body" ]; then
    title="backups OK again on ${host} (${site})"; priority=default; apprise_type=success
    body="every inventory entry on ${host} is fresh"
  elif [ "$worst" -ge 2 ]; then
    title="backup CRITICAL on ${host} (${site})"; priority=urgent; apprise_type=failure
  else
    title="backup WARNING on ${host} (${site})"; priority=high; apprise_type=warning
  fi
${senders.join('\n')}
  if [ "$failed" -eq 0 ]; then
    mkdir -p "$(dirname "$state")"
    if [ "$apprise_type" = success ]; then : >"$state"; else printf '%s' "$body" >"$state"; fi
  else
    echo "backup-status: could not send every notification; will retry on the next run" >&2
  fi
}
`;
}

/** Where the status tool reads its inventory on a host. */
export const STATUS_INVENTORY_PATH = '/etc/backup-constructs/inventory.tsv';

/** The node-exporter series the tool writes with `--textfile`. */
export const STATUS_METRICS = { status: 'backup_inventory_status', newestAge: 'backup_inventory_newest_age_seconds' } as const;

/** Hours after which an entry without its own threshold is stale (seed 000: 24 h / 48 h). */
export const DEFAULT_STALE_HOURS = 24;

/**
 * `backup-status`: reads the host's inventory, finds each entry's newest artifact and reports
 * OK / WARNING / CRITICAL with a reason (fresh, stale, missing, unreadable, disabled,
 * unprotected, unchecked): WARNING past the entry's stale_after_hours, CRITICAL past twice that. As text,
 * as JSON (`--json`, the seed's audit output) or as node-exporter textfile metrics
 * (`--textfile DIR`). On a Proxmox node it also lists guests no job covers. Exit status: 0
 * all OK, 1 a WARNING, 2 a CRITICAL, 3 the tool itself failed.
 */
export function renderStatusScript(constructPath: string, site: string, host: string, notify: readonly StatusNotification[] = []): string {
  return `#!/bin/bash
${generatedHeader('#', constructPath, `backup-status for ${host} (site ${site}): freshness of every inventory entry`)}set -euo pipefail

inventory=${shellQuote(STATUS_INVENTORY_PATH)}
format=text
textfile_dir=""
check_proxmox=auto
default_hours=${DEFAULT_STALE_HOURS}

usage() {
  echo "usage: backup-status [--json] [--textfile DIR] [--inventory FILE] [--no-proxmox]" >&2
  exit 3
}

while [ "$#" -gt 0 ]; do
  case "$1" in
    --json) format=json ;;
    --textfile) textfile_dir="\${2:-}"; [ -n "$textfile_dir" ] || usage; shift ;;
    --inventory) inventory="\${2:-}"; [ -n "$inventory" ] || usage; shift ;;
    --no-proxmox) check_proxmox=no ;;
    -h | --help) usage ;;
    *) echo "unknown option $1" >&2; usage ;;
  esac
  shift
done

trap 'echo "backup-status: failed at line $LINENO" >&2; exit 3' ERR
[ -r "$inventory" ] || { echo "backup-status: cannot read $inventory" >&2; exit 3; }

now=$(date +%s)
results=()
worst=0

# name status reason age_seconds threshold_hours newest job; "-" stands for an empty field
# because read joins runs of tabs (tab is whitespace to IFS)
add() {
  results+=("$1"$'\\t'"$2"$'\\t'"$3"$'\\t'"$4"$'\\t'"$5"$'\\t'"\${6:--}"$'\\t'"\${7:--}")
  case "$2" in
    WARNING) [ "$worst" -ge 1 ] || worst=1 ;;
    CRITICAL) worst=2 ;;
  esac
}

while IFS=$'\\t' read -r name enabled base glob hours _class job; do
  case "$name" in '' | '#'*) continue ;; esac
  [ "$hours" -gt 0 ] 2>/dev/null || hours=$default_hours
  if [ "$enabled" != 1 ]; then
    add "$name" OK disabled -1 "$hours" "" "$job"
    continue
  fi
  if [ ! -d "$base" ] || [ ! -r "$base" ] || [ ! -x "$base" ]; then
    add "$name" CRITICAL unreadable -1 "$hours" "" "$job"
    continue
  fi
  # a glob with a / names a file in sub-folders (<stamp>/dump.tar.gz): find's -name never
  # matches those, so match the whole path at the depth the glob has
  depth=1
  rest=$glob
  while [ "$rest" != "\${rest#*/}" ]; do
    depth=$((depth + 1))
    rest=\${rest#*/}
  done
  # find's -path lets * match a hidden name too: what is still being written lives under one
  # (an app backup's .<stamp>.partial, an app dump's .bc-work-*) and is no backup yet
  newest=$(find "$base" -mindepth "$depth" -maxdepth "$depth" -type f -path "\${base%/}/$glob" ! -path "\${base%/}/.*" ! -path "\${base%/}/*/.*" -printf '%T@\\t%p\\n' 2>/dev/null | sort -n | tail -n 1)
  if [ -z "$newest" ]; then
    add "$name" CRITICAL missing -1 "$hours" "" "$job"
    continue
  fi
  mtime=\${newest%%.*}
  file=\${newest#*$'\\t'}
  age=$((now - mtime))
  if [ "$age" -gt $((2 * hours * 3600)) ]; then
    add "$name" CRITICAL stale "$age" "$hours" "$file" "$job"
  elif [ "$age" -gt $((hours * 3600)) ]; then
    add "$name" WARNING stale "$age" "$hours" "$file" "$job"
  else
    add "$name" OK fresh "$age" "$hours" "$file" "$job"
  fi
done <"$inventory"

if [ "$check_proxmox" = auto ] && command -v pvesh >/dev/null 2>&1; then
  # guests that no backup job covers, as Proxmox itself sees them; a check that could not
  # run is a finding of its own, never a silent "every guest is covered"
  if uncovered=$(pvesh get /cluster/backup-info/not-backed-up --output-format json | perl -MJSON::PP -e 'local $/; print "$_->{vmid}\\n" for @{decode_json(<STDIN>)}'); then
    while read -r vmid; do
      if [ -n "$vmid" ]; then add "guest-$vmid" CRITICAL unprotected -1 0 "" ""; fi
    done <<<"$uncovered"
  else
    echo "backup-status: could not ask Proxmox which guests no job covers (pvesh failed)" >&2
    add proxmox-guest-coverage CRITICAL unchecked -1 0 "" ""
  fi
fi

json_escape() {
  local s=$1
  s=\${s//\\\\/\\\\\\\\}
  s=\${s//\\"/\\\\\\"}
  s=\${s//$'\\n'/\\\\n}
  printf '%s' "$s"
}

case "$format" in
  text)
    printf '%-48s %-8s %-11s %9s %s\\n' ENTRY STATUS REASON AGE_H NEWEST
    for r in "\${results[@]}"; do
      IFS=$'\\t' read -r name status reason age hours file _job <<<"$r"
      [ "$file" = - ] && file=""
      age_h=-
      [ "$age" -ge 0 ] && age_h=$((age / 3600))
      printf '%-48s %-8s %-11s %9s %s\\n' "$name" "$status" "$reason" "$age_h" "$file"
    done
    ;;
  json)
    printf '['
    sep=""
    for r in "\${results[@]}"; do
      IFS=$'\\t' read -r name status reason age hours file job <<<"$r"
      [ "$file" = - ] && file=""
      [ "$job" = - ] && job=""
      printf '%s{"name":"%s","host":"%s","status":"%s","reason":"%s","age_seconds":%s,"stale_after_hours":%s,"newest":"%s","job":"%s"}' \\
        "$sep" "$(json_escape "$name")" ${shellQuote(host)} "$status" "$reason" "$age" "$hours" "$(json_escape "$file")" "$(json_escape "$job")"
      sep=","
    done
    printf ']\\n'
    ;;
esac

${notify.length ? notifyFunctions(site, host, notify) : ''}
if [ -n "$textfile_dir" ]; then
  mkdir -p "$textfile_dir"
  tmp=$(mktemp "$textfile_dir/backup_status.prom.XXXXXX")
  {
    echo "# HELP backup_inventory_status Freshness of an inventory entry: 0 OK, 1 WARNING, 2 CRITICAL."
    echo "# TYPE backup_inventory_status gauge"
    for r in "\${results[@]}"; do
      IFS=$'\\t' read -r name status reason _age _hours _file job <<<"$r"
      [ "$job" = - ] && job=""
      code=0
      [ "$status" = WARNING ] && code=1
      [ "$status" = CRITICAL ] && code=2
      echo "backup_inventory_status{entry=\\"$name\\",site=\\"${site}\\",host=\\"${host}\\",reason=\\"$reason\\",backup_job=\\"$job\\"} $code"
    done
    echo "# HELP backup_inventory_newest_age_seconds Age of the newest artifact of an inventory entry."
    echo "# TYPE backup_inventory_newest_age_seconds gauge"
    for r in "\${results[@]}"; do
      IFS=$'\\t' read -r name _status _reason age _hours _file job <<<"$r"
      [ "$job" = - ] && job=""
      [ "$age" -ge 0 ] && echo "backup_inventory_newest_age_seconds{entry=\\"$name\\",site=\\"${site}\\",host=\\"${host}\\",backup_job=\\"$job\\"} $age"
    done
  } >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$textfile_dir/backup_status.prom"
fi

${notify.length ? 'notify_changes\n' : ''}exit "$worst"
`;
}
