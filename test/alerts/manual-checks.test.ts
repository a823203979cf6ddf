import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import { AlertDelivery, BackupAlertRules } from '../../constructs';
import { clientStandardSite } from '../../stacks/client-standard';
import { testSite } from '../helpers/fixtures';
import { modelOf, reviewOf, synthJson } from '../helpers/synth';
import { describeWithTool, describeWithTools, shellcheck, tempDir } from '../helpers/tools';
import { Pushgateway } from '../helpers/pushgateway';
import { MetricsSink, Schedule, VzdumpJob } from '../../constructs';
import { nfsStorage, vm } from '../helpers/fixtures';

/** The client-standard site (backups monitored manually, seed 003) and its manual-checks runbook. */
function checklist() {
  const site = clientStandardSite(new App({ outdir: tempDir() }));
  synthJson(site);
  const text = reviewOf(site).get('runbooks/manual-checks.md')!.content;
  /** The sh block of the section whose heading contains `title`. */
  const block = (title: string) => {
    const section = text.split(/^### /m).find((s) => s.split('\n')[0].includes(title))!;
    return /```sh\n([\s\S]*?)\n```/.exec(section)![1];
  };
  return { site, text, block };
}

/** Runs a block with bash, its absolute paths moved under `root`. */
function runBlock(block: string, moves: Record<string, string>) {
  let script = block;
  for (const [from, to] of Object.entries(moves)) script = script.split(from).join(to);
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  return { status: r.status, lines: r.stdout.split('\n').filter(Boolean), stderr: r.stderr };
}

const now = () => Math.floor(Date.now() / 1000);
const prom = (job: string, status: number, successAgoSeconds?: number) =>
  [`backup_last_status{backup_job="${job}",site="client-standard",host="pve"} ${status}`, ...(successAgoSeconds === undefined ? [] : [`backup_last_success_timestamp_seconds{backup_job="${job}",site="client-standard",host="pve"} ${now() - successAgoSeconds}`])].join('\n') + '\n';

describe('manual checks (a site monitored by hand until its alerting is deployed)', () => {
  it('are rendered only when review-only delivery asks for them, and the finding points at them', () => {
    const { site, text } = checklist();
    expect(text).toContain('backups are monitored manually until the VM220 monitoring standard is deployed (seed 003)');
    expect(modelOf(site).findings.find((f) => f.rule === 'alerts-delivered')!.fix).toContain('runbooks/manual-checks.md');
    const plain = testSite();
    new BackupAlertRules(plain.site, 'Alerts', { delivery: AlertDelivery.reviewOnly('no Prometheus yet') });
    expect(reviewOf(plain.site).has('runbooks/manual-checks.md')).toBe(false);
    expect(modelOf(plain.site).findings.find((f) => f.rule === 'alerts-delivered')!.fix).not.toContain('manual-checks');
  });

  it("list every job with its alert's stale threshold", () => {
    const { site, text } = checklist();
    const rows = [...text.matchAll(/^\| `([^`]+)` \| [^|]+ \| ([^|]+) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(rows.map((r) => r[0])).toEqual(modelOf(site).jobs.map((j) => j.id));
    // the Stale alert of each job has the same threshold as its row
    const alerts = modelOf(site).toJSON(() => '').alerts as { name: string; job: string; threshold: string }[];
    for (const [job, within] of rows) expect(alerts.find((a) => a.job === job && a.name.endsWith('Stale'))!.threshold).toMatch(new RegExp(`^${within}\\b`));
  });

  it("the jobs check prints only the jobs that failed, went stale or never reported", () => {
    const { block } = checklist();
    const dir = tempDir('bc-manual-');
    const files: Record<string, string> = {
      'nightly-vm100': prom('nightly-vm100', 0, 3600),
      'nightly-vm200': prom('nightly-vm200', 1, 3600),
      'nightly-vm210': prom('nightly-vm210', 0, 30 * 3600),
      'nightly-vm100_guest_100': prom('nightly-vm100', 0, 3600),
      'nightly-vm200_guest_200': prom('nightly-vm200', 0, 3600),
      'nightly-vm210_guest_210': prom('nightly-vm210', 0, 3600),
      'nightly-vm220_guest_220': prom('nightly-vm220', 2),
      'restore-drill-vm100': prom('restore-drill-vm100', 0, 80 * 86400),
      'restore-drill-vm200': prom('restore-drill-vm200', 0, 110 * 86400),
      'restore-drill-vm210': prom('restore-drill-vm210', 0, 86400),
      'restore-drill-vm220': prom('restore-drill-vm220', 0, 86400),
    };
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, `backup_${name}.prom`), content);
    const r = runBlock(block('Every job ran'), { '/var/lib/prometheus/node-exporter': dir });
    expect(r.stderr).toBe('');
    expect(r.lines).toEqual([
      `${dir}/backup_nightly-vm200.prom: last run failed (status 1)`,
      `${dir}/backup_nightly-vm210.prom: last success 30h ago`,
      `${dir}/backup_nightly-vm220.prom: missing: the job has not reported (expected only before its first run)`,
      `${dir}/backup_nightly-vm220_guest_220.prom: last run failed (status 2)`,
      `${dir}/backup_nightly-vm220_guest_220.prom: no success recorded`,
      `${dir}/backup_restore-drill-vm200.prom: last success 2640h ago`,
    ]);
  });

  it('the archives check prints only the guests whose newest archive is missing or older than the threshold', () => {
    const { block } = checklist();
    const dump = tempDir('bc-dump-');
    const touch = (name: string, ageHours: number) => {
      const f = path.join(dump, name);
      fs.writeFileSync(f, 'x');
      const t = new Date(Date.now() - ageHours * 3600_000);
      fs.utimesSync(f, t, t);
    };
    touch('vzdump-qemu-100-2026_01_10-02_00_01.vma.zst', 2);
    touch('vzdump-qemu-200-2026_01_09-02_00_01.vma.zst', 30);
    touch('vzdump-qemu-210-2026_01_10-02_00_01.vma.zst', 2);
    touch('vzdump-qemu-2200-2026_01_10-02_00_01.vma.zst', 2); // another guest's: does not count for 220
    const r = runBlock(block('archives are on disk'), { '/mnt/backup/dump': dump });
    expect(r.lines).toEqual([`no archive of VM 200 docker-host younger than 1d 2h in ${dump}`, `no archive of VM 220 monitoring younger than 1d 2h in ${dump}`]);
  });

  it('name the Proxmox commands for errors and the backup storage', () => {
    const { block } = checklist();
    expect(block('Proxmox reports no errors').split('\n')[0]).toMatch(/^pvenode task list --typefilter vzdump --errors 1 --since /);
    expect(block('storage is mounted').split('\n')).toEqual(['pvesm status --storage backup-hdd', 'findmnt /mnt/backup', 'df -h /mnt/backup']);
  });
});

describeWithTool('shellcheck', 'shellcheck', 'manual checks, as shell', () => {
  it('pass shellcheck', () => {
    const { text } = checklist();
    const dir = tempDir('bc-manual-sc-');
    const blocks = [...text.matchAll(/```sh\n([\s\S]*?)\n```/g)].map((m) => m[1]);
    expect(blocks.length).toBe(4);
    blocks.forEach((b, i) => {
      const f = path.join(dir, `block${i}.sh`);
      fs.writeFileSync(f, `#!/bin/bash\n${b}\n`);
      expect(shellcheck(f).output).toBe('');
    });
  });
});

describeWithTools([['prometheus-pushgateway', 'prometheus-pushgateway'], ['shellcheck', 'shellcheck']], 'manual checks of jobs that push to a Pushgateway', () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  it('read the Pushgateway and print only the jobs that failed, went stale or never reported', async () => {
    const { site, host } = testSite({ metrics: MetricsSink.pushgateway(gw.url) });
    const storage = nfsStorage(site, host);
    for (const [id, vmid] of [['fresh', 100], ['failed', 101], ['old', 102], ['silent', 103]] as const) {
      new VzdumpJob(site, `J${vmid}`, { host, jobId: id, storage, guests: [vm(site, host, vmid)], schedule: Schedule.daily('03:00') });
    }
    new BackupAlertRules(site, 'Alerts', { delivery: AlertDelivery.reviewOnly('not yet', { manualChecks: true }) });
    synthJson(site);
    const text = reviewOf(site).get('runbooks/manual-checks.md')!.content;
    const section = text.slice(text.indexOf(`## From a machine that reaches ${gw.url}`));
    const block = /```sh\n([\s\S]*?)\n```/.exec(section)![1];
    const push = async (job: string, body: string) => {
      const r = await fetch(`${gw.url}/metrics/job/${job}/backup_job/${job}/site/test/host/pve`, { method: 'PUT', body });
      expect(r.ok).toBe(true);
    };
    const t = Math.floor(Date.now() / 1000);
    await push('fresh', `backup_last_status 0\nbackup_last_success_timestamp_seconds ${t - 3600}\n`);
    await push('failed', `backup_last_status 1\nbackup_last_success_timestamp_seconds ${t - 3600}\n`);
    await push('old', `backup_last_status 0\nbackup_last_success_timestamp_seconds ${t - 30 * 3600}\n`);
    const r = spawnSync('bash', ['-c', block], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['failed: last run failed (status 1)', 'old: last success 30h ago', 'silent: no success recorded']);
    const dir = tempDir('bc-manual-pg-');
    fs.writeFileSync(path.join(dir, 'b.sh'), `#!/bin/bash\n${block}\n`);
    expect(shellcheck(path.join(dir, 'b.sh')).output).toBe('');
  });
});
