import { Construct } from 'constructs';
import { z } from 'zod';
import { BackupConfigError, checkOptions, checkProps, describeValue, NOT_SHOWN, Problem } from '../lib/errors';
import { credentialIn } from '../lib/private/credentials';
import { buildInventory, renderInventoryTsv } from '../lib/governance/inventory';
import { DEFAULTS } from '../lib/defaults';
import type { SiteModel } from '../lib/model/site-model';
import { instanceOf } from '../lib/private/zod-helpers';
import { generatedHeader, shellQuote } from '../lib/render/shell';
import { renderStatusScript, STATUS_INVENTORY_PATH, STATUS_METRICS, StatusNotification } from '../lib/render/status-script';
import { Schedule } from '../lib/schedule';
import { Host } from './host';
import { membersOf, onSiteComplete, siteModelOf } from './private/site-anchor';
import { ScheduledHostJob } from './scheduled-host-job';

/** Where the status tool sends WARNING/CRITICAL findings (sites without Prometheus). */
export class StatusNotify {
  /** An ntfy topic URL (`https://ntfy.example/backups`); a token, if any, from a root-only file. */
  static ntfy(url: string, opts: { tokenFile?: string } = {}): StatusNotify {
    checkOptions('StatusNotify.ntfy', opts, ['tokenFile']);
    return new StatusNotify({ kind: 'ntfy', url, tokenFile: opts.tokenFile });
  }
  /** An Apprise API notify endpoint (`http://apprise:8000/notify/backups`). */
  static appriseApi(url: string): StatusNotify {
    return new StatusNotify({ kind: 'apprise-api', url });
  }
  /** The apprise CLI with a config file on the host holding the service URLs (and their secrets). */
  static appriseCli(configFile: string): StatusNotify {
    return new StatusNotify({ kind: 'apprise-cli', configFile });
  }
  private constructor(readonly spec: StatusNotification) {}
}

/**
 * A notification target must reference its credentials, never hold them: a URL is written into
 * the status script on the host and into the review tree. Nothing found is repeated.
 */
function notifyProblems(n: StatusNotification, field: string): Problem[] {
  const problems: Problem[] = [];
  const FILE = /^\/[^\s'"$`\\]*[^\s'"$`\\/]$/;
  if (n.kind !== 'apprise-cli') {
    const what = typeof n.url === 'string' ? credentialIn(n.url) : undefined;
    if (typeof n.url !== 'string' || what !== undefined || !/^https?:\/\/[^\s@'"]+$/.test(n.url)) {
      problems.push({
        field: `${field}.url`,
        message: `expected an http(s) URL without credentials, got ${what ? `${what} (value not shown)` : describeValue(n.url)}`,
        hint: n.kind === 'ntfy'
          ? "the topic URL only; a token goes in a root-only file: StatusNotify.ntfy(url, { tokenFile: '/root/.ntfy-token' })"
          : "the Apprise API's notify endpoint (http://apprise:8000/notify/<key>); the service URLs and their tokens stay in Apprise's configuration, or use StatusNotify.appriseCli('/etc/apprise/backups.yml')",
      });
    }
  }
  if (n.kind === 'ntfy' && n.tokenFile !== undefined && (typeof n.tokenFile !== 'string' || !FILE.test(n.tokenFile))) {
    problems.push({ field: `${field}.tokenFile`, message: `expected the absolute path of a root-only file holding the token, got ${NOT_SHOWN}`, hint: "e.g. '/root/.ntfy-token'" });
  }
  if (n.kind === 'apprise-cli' && (typeof n.configFile !== 'string' || !FILE.test(n.configFile))) {
    problems.push({ field: `${field}.configFile`, message: `expected the absolute path of an apprise config file on the host, got ${NOT_SHOWN}`, hint: "the service URLs (tgram://..., slack://...) go in that file, e.g. '/etc/apprise/backups.yml'" });
  }
  return problems;
}

/** Props of {@link BackupStatus}. */
export interface BackupStatusProps {
  /**
   * Send findings when they change (and once when all is well again).
   * @default - no notifications (the site's alert rules, when deployed, alert on its metrics)
   */
  readonly notify?: readonly StatusNotify[];
  /** @default Schedule.everyHours(1) */
  readonly schedule?: Schedule;
  /**
   * Hosts to install the tool on. A site may have several status tools (each notifying its
   * own way), each with its own hosts.
   * @default - every host with inventory entries (then it is the site's only status tool)
   */
  readonly hosts?: readonly Host[];
}

const schema = z
  .object({
    schedule: instanceOf(Schedule, "expected a Schedule, e.g. Schedule.everyHours(1)").optional(),
    hosts: z.array(z.instanceof(Host, { message: 'expected Host constructs' })).optional(),
    notify: z.array(instanceOf(StatusNotify, 'expected StatusNotify.ntfy(url), .appriseApi(url) or .appriseCli(file)')).optional(),
  })
  .strict();

/**
 * The status tool on every host that holds artifacts: `backup-status` (usable by hand), the
 * host's part of the inventory, and an hourly run that writes node-exporter metrics, so
 * freshness is checked where the files are even without Prometheus alerts on the jobs.
 */
export class BackupStatus extends Construct {
  private readonly model: SiteModel;

  constructor(scope: Construct, id: string, props: BackupStatusProps = {}) {
    super(scope, id);
    const p = checkProps(this.node.path, schema, props, {});
    this.model = siteModelOf(this);
    const schedule = p.schedule ?? Schedule.everyHours(1);
    // The inventory depends on every job of the site: install once the site is complete.
    const notify = (p.notify ?? []).map((n) => n.spec);
    const problems = notify.flatMap((n, i) => notifyProblems(n, `notify.${i}`));
    if (problems.length) throw new BackupConfigError(this.node.path, problems);
    // Several status tools may share a site (each host notifying its own way), one per host:
    // the tool, its inventory and its check job are one per host.
    const hostNames = p.hosts?.map((h) => h.name);
    const earlier = this.model.statusTools;
    for (const other of earlier) {
      const shared = !other.hosts || !hostNames ? undefined : other.hosts.filter((h) => hostNames.includes(h));
      if (shared && !shared.length) continue;
      throw new BackupConfigError(this.node.path, [
        {
          field: 'hosts',
          message: shared
            ? `expected hosts no other status tool of site ${this.model.site} runs on, got ${shared.join(', ')}, where ${other.constructPath} installs backup-status already`
            : `expected hosts of its own for a second status tool of site ${this.model.site}, got ${hostNames ? hostNames.join(', ') : 'none (every host holding artifacts)'}, while ${other.constructPath} installs on ${other.hosts ? other.hosts.join(', ') : 'every host holding artifacts'}`,
          hint: shared
            ? `one status tool per host: leave ${shared.join(', ')} out of one of them`
            : `one status tool per host: list the hosts of each (hosts: [...]) on both, or give ${other.constructPath} this one's notify targets`,
        },
      ]);
    }
    this.model.addStatusTool({ ...(hostNames ? { hosts: hostNames } : {}), notifies: notify.length > 0, constructPath: this.node.path });
    // the alert covers every host of the site: the first tool defines it
    if (!earlier.length) this.alertOnFindings();
    onSiteComplete(this, () => this.installAll(schedule, p.hosts, notify));
  }

  /**
   * The tool's findings as an alert, so a site whose rules are deployed hears of an overdue
   * artifact even from a job that reports nothing itself (a backup another tool makes).
   */
  private alertOnFindings(): void {
    const site = this.model.site;
    const entry = { entry: 'app-x', site, host: 'h', reason: 'stale', backup_job: 'x' };
    const series = (code: string) => [{ series: `backup_inventory_status{${Object.entries(entry).map(([k, v]) => `${k}="${v}"`).join(',')}}`, values: code }];
    this.model.addAlertSpec({
      name: 'BackupArtifactOverdue',
      expr: `max by (entry, site, host, backup_job, reason) (backup_inventory_status{site="${site}"}) >= 1`,
      for: '1h',
      severity: 'warning',
      summary: 'the newest artifact of an inventory entry is overdue, missing or unreadable',
      description: 'backup-status on the host reports an inventory entry past its stale_after_hours (or its files missing or unreadable): the job that makes it has stopped or writes elsewhere.',
      watches: [STATUS_METRICS.status],
      labels: { site },
      runbook: [
        '1. On the host, `backup-status` names the entry, its newest artifact and why it is overdue.',
        "2. Find the job that makes it (the alert's `backup_job`) and its runbook; for a backup another tool makes, look at that tool.",
        '3. The alert clears at the next hourly check after a fresh artifact lands.',
      ].join('\n'),
      test: { firing: series('1'), silent: series('0'), firingLabels: entry },
      constructPath: this.node.path,
    });
  }

  private installAll(schedule: Schedule, only: readonly Host[] | undefined, notify: readonly StatusNotification[]): void {
    const entries = buildInventory(this.model);
    const candidates = only ?? membersOf<Host>(this, 'host');
    const hosts = candidates.filter((h) => entries.some((e) => e.host === h.name));
    const idle = (only ?? []).filter((h) => !hosts.includes(h));
    // installed nowhere, its notifications would be configured and never sent
    if (!hosts.length || idle.length) {
      const where = [...new Set(entries.map((e) => e.host))].join(', ') || 'none: no job of the site leaves a file a status check could find';
      throw new BackupConfigError(this.node.path, [
        {
          field: 'hosts',
          message: `${idle.length ? `no inventory entry lies on ${idle.map((h) => h.name).join(', ')}` : `no host this program manages holds an inventory entry`} (artifacts are on: ${where}), so the status tool would check nothing there`,
          hint: idle.length ? 'list only hosts that hold artifacts, or leave hosts out' : 'remove BackupStatus, or declare where the artifacts land on a managed host (a mount of the storage)',
        },
      ]);
    }
    for (const host of hosts) {
      const part = new Construct(this, `On-${host.name}`);
      const textfile = this.model.settings.metrics.kind === 'textfile' ? this.model.settings.metrics.directory : DEFAULTS.textfileDirectory;
      const tool = host.install(part, {
        // node-exporter would export the last findings forever, and BackupArtifactOverdue reads them site-wide
        removals: [{ entry: 'metrics:backup-status', lines: [`rm -f "$R"${shellQuote(`${textfile}/backup_status.prom`)}`] }],
        files: [
          { path: '/usr/local/bin/backup-status', content: renderStatusScript(part.node.path, this.model.site, host.name, notify), mode: '0755' },
          { path: STATUS_INVENTORY_PATH, content: generatedHeader('#', part.node.path) + renderInventoryTsv(entries, host.name) },
        ],
      });
      new ScheduledHostJob(part, 'Check', {
        host,
        jobId: `backup-status-${host.name}`,
        schedule,
        description: `check the freshness of every backup artifact on ${host.name}`,
        // WARNING (1) and CRITICAL (2) are findings, not failures of the check itself
        body: 'rc=0\n/usr/local/bin/backup-status --textfile "$STATUS_TEXTFILE_DIR" >/dev/null || rc=$?\n[ "$rc" -le 2 ]',
        settings: { STATUS_TEXTFILE_DIR: textfile },
        expectedDuration: undefined,
        // written by the tool itself into the same textfile folder
        extraMetrics: [STATUS_METRICS.status, STATUS_METRICS.newestAge],
        kind: 'status-check',
        classification: 'important',
        // the timer runs the tool: installed first, removed last
        installedAfter: [tool],
      });
    }
  }
}
