import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { BackupAlertRules, BackupSite, Guest, MetricsSink, PveHost, PveStorage, Retention, Schedule, VzdumpJob } from '../../constructs';
import { freshApp, reviewOf, writeTree } from '../helpers/synth';
import { describeWithTool, tempDir } from '../helpers/tools';

const HOUR = 3600;

/** The site with one daily vzdump job of the given guests, its review tree written to `dir`. */
function site(dir: string, vmids: number[]): string {
  const s = new BackupSite(freshApp(), 'home', { metrics: MetricsSink.textfile('/var/lib/prometheus/node-exporter') });
  const host = new PveHost(s, 'Pve', { name: 'pve', address: '10.0.0.2' });
  const storage = new PveStorage(s, 'Disk', { host, storageId: 'backup-hdd', type: 'dir', path: '/mnt/backup', isMountpoint: true, retention: Retention.keepLast(3) });
  const guests = vmids.map((vmid) => new Guest(s, `G${vmid}`, { host, vmid, type: 'qemu', name: `vm${vmid}` }));
  new VzdumpJob(s, 'Nightly', { host, jobId: 'nightly', schedule: Schedule.daily('02:00'), storage, guests });
  new BackupAlertRules(s, 'Alerts');
  writeTree(dir, reviewOf(s).values());
  return path.join(dir, 'hosts/pve/usr/local/lib/backup-constructs/vzdump-hook-nightly.sh');
}

/** Runs a whole vzdump job through the generated hook at Unix time `now` (a stand-in `date +%s`). */
function runJob(hook: string, env: NodeJS.ProcessEnv, now: number, vmids: number[]): void {
  const bin = path.join(env.BC_STATE_DIR as string, '..', 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'date'), `#!/bin/sh\nif [ "$*" = +%s ]; then echo ${now}; else exec /usr/bin/date "$@"; fi\n`, { mode: 0o755 });
  const phases = [['job-start'], ...vmids.map((v) => ['backup-end', 'snapshot', String(v)]), ['job-end']];
  for (const args of phases) {
    const r = spawnSync(hook, args, { env: { ...process.env, ...env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
    expect({ args, status: r.status, stderr: r.stderr }).toEqual({ args, status: 0, stderr: '' });
  }
}

/** Every series in the textfile collector's folder, as node-exporter exposes it. */
function scrape(dir: string): Map<string, string> {
  const series = new Map<string, string>();
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.prom'))) {
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      const m = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
      if (m) series.set(`${m[1]}{${m[2]},job="node",instance="10.0.0.2:9100"}`, m[3]);
    }
  }
  return series;
}

/**
 * A guest taken out of a vzdump job leaves its series behind (its textfile, or its group on a
 * Pushgateway; nothing removes them). The per-guest alerts must watch the job's guests only,
 * or GuestStale fires for the removed guest forever. Real series from the generated hook,
 * evaluated by promtool against the generated rules.
 */
describeWithTool('promtool', 'prometheus', 'per-guest vzdump alerts on the series the hook really writes', () => {
  it("ignore a guest's series left from before it was taken out of the job, and still fire for a guest of the job", () => {
    const dir = tempDir('bc-guests-');
    const textfiles = path.join(dir, 'textfile');
    const env = { BC_TEXTFILE_DIR: textfiles, BC_STATE_DIR: path.join(dir, 'state') };

    // night 1: the job backs up 100 and 102; then 102 leaves the job (moved elsewhere, or deleted)
    runJob(site(path.join(dir, 'before'), [100, 102]), env, 1 * HOUR, [100, 102]);
    const night1 = scrape(textfiles);
    const hook = site(path.join(dir, 'after'), [100]);
    runJob(hook, env, 25 * HOUR, [100]);
    const night2 = scrape(textfiles);
    expect(night2.get('backup_last_success_timestamp_seconds{backup_job="nightly",site="home",host="pve",guest="102",job="node",instance="10.0.0.2:9100"}')).toBe(String(HOUR));

    // hourly samples: night 1's series from 1h, night 2's from 25h, then nothing runs any more
    const hours = 60;
    const values = (key: string) =>
      Array.from({ length: hours + 1 }, (_, h) => (h >= 25 ? night2.get(key) : h >= 1 ? night1.get(key) : undefined) ?? '_').join(' ');
    const keys = [...new Set([...night1.keys(), ...night2.keys()])].sort();
    const prom = path.join(dir, 'after/prometheus');
    const rules = parse(fs.readFileSync(path.join(prom, 'backup-home.rules.yml'), 'utf8')).groups[0].rules as { alert: string; annotations: Record<string, string> }[];
    const firing = (guest: string) => [
      {
        exp_labels: { severity: 'warning', component: 'backup', backup_job: 'nightly', site: 'home', host: 'pve', guest },
        exp_annotations: rules.find((x) => x.alert === 'NightlyGuestStale')?.annotations,
      },
    ];
    const test = {
      rule_files: ['backup-home.rules.yml'],
      evaluation_interval: '1h',
      tests: [
        {
          interval: '1h',
          input_series: keys.map((series) => ({ series, values: values(series) })),
          alert_rule_test: [
            // 102's last success (1h) is 29h old: not a guest of the job any more, so no alert
            { eval_time: '30h', alertname: 'NightlyGuestStale', exp_alerts: [] },
            { eval_time: '30h', alertname: 'NightlyGuestFailing', exp_alerts: [] },
            // 100's last success (25h) is over 1d 2h old at 52h (and 30m of for:)
            { eval_time: '53h', alertname: 'NightlyGuestStale', exp_alerts: firing('100') },
          ],
        },
      ],
    };
    fs.writeFileSync(path.join(prom, 'real-series.test.yml'), JSON.stringify(test));
    const r = spawnSync('promtool', ['test', 'rules', 'real-series.test.yml'], { cwd: prom, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toMatch(/SUCCESS/);
  });
});
