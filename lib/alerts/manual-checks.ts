import { Duration } from '../duration';
import { artifactStaleHours } from '../governance/inventory';
import type { SiteModel } from '../model/site-model';
import { shellQuote } from '../render/shell';
import { tableRow } from '../review/markdown-table';
import { pveStorageIdOf } from '../model/target-ids';

/**
 * `runbooks/manual-checks.md`: what the undelivered alerts would watch, as checks to run by
 * hand on each host (a site whose backups are monitored manually until its alerting is
 * deployed). Derived from the model: every job's metrics and stale threshold, every copy's
 * archives, every target's mount, and Proxmox's task log where vzdump jobs run.
 */
export function renderManualChecks(model: SiteModel, reason: string, diskFullRatio: number): string {
  const hosts = [...new Set([...model.jobs.map((j) => j.host), ...model.targets.map((t) => t.host)].filter((h): h is string => !!h))].sort();
  const lines = [
    `# Manual checks: site \`${model.site}\``,
    '',
    `The alert rules are rendered but not deployed (${reason}), so nothing reports a backup that stopped. Until they are, run these checks by hand every day. Each threshold is the one the alert would use; the first two blocks print nothing when all is well.`,
    '',
  ];
  for (const host of hosts) {
    lines.push(`## On ${host}`, '');
    let n = 0;
    const section = (title: string, text: string, commands: readonly string[]) => {
      if (!commands.length) return;
      lines.push(`### ${++n}. ${title}`, '', text, '', '```sh', ...commands, '```', '');
    };

    const jobs = model.jobs.filter((j) => j.host === host && j.enabled);
    const signals = model.signals.filter((s) => s.host === host && s.sink === 'textfile' && jobs.some((j) => j.id === s.job));
    const table = jobs
      .filter((j) => signals.some((s) => s.job === j.id))
      .map((j) => tableRow([`\`${j.id}\``, j.scheduleHuman, hours(j.staleAfterHours).toHumanString()]));
    section(
      'Every job ran and succeeded',
      ['What the Stale and Failing alerts watch: the status of the last run (0 is success) and the age of the last success, from the metrics each job writes.', '', '| job | runs | last success within |', '|---|---|---|', ...table].join('\n'),
      signals.length
        ? [
            'check() { # metrics file, threshold in seconds: prints a line only for a problem',
            '  if [ ! -f "$1" ]; then echo "$1: missing: the job has not reported (expected only before its first run)"; return; fi',
            `  awk -v now="$(date +%s)" -v max="$2" -v f="$1" '/^backup_last_status[{ ]/ && $NF != 0 { print f ": last run failed (status " $NF ")" } /^backup_last_success_timestamp_seconds[{ ]/ { ok = $NF } END { if (ok == "") print f ": no success recorded"; else if (now - ok > max) printf "%s: last success %dh ago\\n", f, (now - ok) / 3600 }' "$1"`,
            '}',
            ...signals.map((s) => `check ${shellQuote(s.destination)} ${Math.round(model.job(s.job)!.staleAfterHours * 3600)}`),
          ]
        : [],
    );

    const copies = model.copies.filter((c) => c.artifact?.host === host && jobs.some((j) => j.id === c.job));
    section(
      'The archives are on disk',
      "The newest archive of each asset is younger than the inventory's threshold for it (a copy of a copy: its source's plus one period of the job that copies it).",
      copies.map((c) => {
        const a = c.artifact!;
        const stale = artifactStaleHours(model, c);
        const minutes = Math.round(stale * 60);
        const match = a.glob.includes('/') ? `-path ${shellQuote(`${a.basePath}/${a.glob}`)}` : `-maxdepth 1 -name ${shellQuote(a.glob)}`;
        const what = `no archive of ${model.asset(c.asset)?.name ?? c.asset} younger than ${hours(stale).toHumanString()} in ${a.basePath}`;
        return `find ${shellQuote(a.basePath)} ${match} -mmin -${minutes} | grep -q . || echo ${shellQuote(what)}`;
      }),
    );

    if (jobs.some((j) => j.kind === 'vzdump')) {
      section('Proxmox reports no errors', "Failed backup tasks of the last two days (the list should be empty), and vzdump's log lines; Proxmox VE 8 and later log to the journal, not /var/log/syslog.", [
        `pvenode task list --typefilter vzdump --errors 1 --since "$(date -d '-2 days' +%s)"`,
        'journalctl --since -2d | grep vzdump | tail -50',
      ]);
    }

    const targets = model.targets.filter((t) => t.host === host && t.mountPoint);
    const storages = model.targets.filter((t) => t.host === host && pveStorageIdOf(t.id) !== undefined);
    section(
      'The backup storage is mounted and has room',
      `What the disk-full alert watches: under ${Math.round(diskFullRatio * 100)}% used. Each mount point must show its own filesystem, not the root disk's.`,
      [...storages.map((t) => `pvesm status --storage ${shellQuote(pveStorageIdOf(t.id)!)}`), ...targets.flatMap((t) => [`findmnt ${shellQuote(t.mountPoint!)}`, `df -h ${shellQuote(t.mountPoint!)}`])],
    );
  }
  lines.push(...pushgatewayChecks(model));
  return lines.join('\n');
}

/**
 * Jobs that push to a Pushgateway (CronJobs in a cluster): the same check as the textfile
 * one, read from the Pushgateway's /metrics, from any machine that reaches it.
 */
function pushgatewayChecks(model: SiteModel): string[] {
  const enabled = new Set(model.jobs.filter((j) => j.enabled).map((j) => j.id));
  const byGateway = new Map<string, Set<string>>();
  for (const s of model.signals.filter((x) => x.sink === 'pushgateway' && enabled.has(x.job))) {
    const base = s.destination.slice(0, s.destination.indexOf('/metrics/job/'));
    if (!byGateway.has(base)) byGateway.set(base, new Set());
    byGateway.get(base)!.add(s.job);
  }
  const out: string[] = [];
  for (const [gateway, jobs] of [...byGateway].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out.push(
      `## From a machine that reaches ${gateway}`,
      '',
      'What the Stale and Failing alerts watch for the jobs that push there: prints a line only for a problem.',
      '',
      '```sh',
      'pg=$(mktemp)',
      `curl -fsS ${shellQuote(`${gateway}/metrics`)} >"$pg" || echo ${shellQuote(`the Pushgateway at ${gateway} does not answer`)}`,
      'checkpg() { # job id, threshold in seconds',
      `  awk -v now="$(date +%s)" -v max="$2" -v id="$1" -v sel="backup_job=\\"$1\\"" 'index($0, sel) && /^backup_last_status[{]/ && $NF != 0 { print id ": last run failed (status " $NF ")" } index($0, sel) && /^backup_last_success_timestamp_seconds[{]/ && $NF + 0 > ok + 0 { ok = $NF } END { if (ok == "") print id ": no success recorded"; else if (now - ok > max) printf "%s: last success %dh ago\\n", id, (now - ok) / 3600 }' "$pg"`,
      '}',
      ...[...jobs].sort().map((j) => `checkpg ${shellQuote(j)} ${Math.round(model.job(j)!.staleAfterHours * 3600)}`),
      'rm -f "$pg"',
      '```',
      '',
    );
  }
  return out;
}

function hours(h: number): Duration {
  return Duration.seconds(Math.round(h * 3600));
}
