import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BackupAlertRules, BackupSite, Guest, MetricsSink, PveHost, PveStorage, Retention, Schedule, VzdumpJob } from '../../constructs';
import { freePort, Pushgateway } from '../helpers/pushgateway';
import { freshApp, reviewOf, writeTree } from '../helpers/synth';
import { hasTool, tempDir } from '../helpers/tools';

interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

async function alerts(url: string): Promise<PromAlert[]> {
  const r = await fetch(`${url}/api/v1/alerts`);
  return ((await r.json()) as { data: { alerts: PromAlert[] } }).data.alerts;
}

/**
 * A generated vzdump hook pushes a failure to a real Pushgateway, a real Prometheus scrapes it
 * with the generated rules, and the job's Failing alert becomes active. Bounded: about 5 s of
 * waiting, 60 s at most.
 */
const tools = hasTool('prometheus', 'prometheus') && hasTool('prometheus-pushgateway', 'prometheus-pushgateway');
(tools ? describe : describe.skip)('alerts end to end with real Prometheus and Pushgateway', () => {
  let gw: Pushgateway;
  let prom: ChildProcess | undefined;
  jest.setTimeout(90_000);

  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => {
    gw?.stop();
    prom?.kill();
  });

  it('a failed backup pushed by the generated hook fires the generated Failing alert', async () => {
    const dir = tempDir('bc-prom-');
    const site = new BackupSite(freshApp(), 'e2e', { metrics: MetricsSink.pushgateway(gw.url, { persistence: true }) });
    const host = new PveHost(site, 'Pve', { name: 'pve', address: '127.0.0.1' });
    const storage = new PveStorage(site, 'Disk', { host, storageId: 'backup-hdd', type: 'dir', path: '/mnt/backup', retention: Retention.keepLast(7) });
    new VzdumpJob(site, 'Nightly', { host, jobId: 'nightly-vm100', schedule: Schedule.daily('02:00'), storage, guests: [new Guest(site, 'G', { host, vmid: 100, type: 'qemu', name: 'golden' })] });
    // no waiting period, so the test sees the alert within a few evaluations
    new BackupAlertRules(site, 'Alerts', { failingFor: '0s' });
    writeTree(dir, reviewOf(site).values());

    const hook = path.join(dir, 'hosts/pve/usr/local/lib/backup-constructs/vzdump-hook-nightly-vm100.sh');
    const env = { ...process.env, BC_STATE_DIR: path.join(dir, 'state') };
    for (const args of [['job-start'], ['backup-abort', 'snapshot', '100'], ['job-end']]) {
      expect(spawnSync(hook, args, { env }).status).toBe(0);
    }

    const port = await freePort();
    const config = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(
      config,
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: [${JSON.stringify(path.join(dir, 'prometheus/backup-e2e.rules.yml'))}]`,
        'scrape_configs:',
        '  - job_name: pushgateway',
        '    honor_labels: true',
        `    static_configs: [{ targets: ["${gw.url.replace('http://', '')}"] }]`,
        '',
      ].join('\n'),
    );
    prom = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    let firing: PromAlert[] = [];
    while (Date.now() < deadline) {
      try {
        firing = (await alerts(url)).filter((a) => a.state === 'firing');
        if (firing.some((a) => a.labels.alertname === 'NightlyVm100Failing')) break;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(firing.find((a) => a.labels.alertname === 'NightlyVm100Failing')?.labels).toMatchObject({ backup_job: 'nightly-vm100', site: 'e2e', host: 'pve', severity: 'warning', component: 'backup' });
    expect(firing.find((a) => a.labels.alertname === 'NightlyVm100GuestFailing')?.labels).toMatchObject({ guest: '100' });
    // the job ran, so "never ran" stays quiet
    expect(firing.some((a) => a.labels.alertname === 'NightlyVm100NeverRan')).toBe(false);
  });
});
