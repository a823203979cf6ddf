import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { homelabSite } from '../../stacks/homelab';
import { freePort, Pushgateway } from '../helpers/pushgateway';
import { freshApp, synthJson } from '../helpers/synth';
import { shellcheck, tempDir } from '../helpers/tools';
import { busyboxPath, describeWithTools, listDir, newArtifacts, podScripts, PodScripts, runPod, which } from './run';
import { sh } from './servers';

/** A real Prometheus with the admin API, scraping itself, in a temporary folder. */
async function startPrometheus(adminApi: boolean): Promise<{ url: string; data: string; stop: () => Promise<void> }> {
  const dir = tempDir('bc-prom-');
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), `global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: self\n    static_configs: [{targets: ['127.0.0.1:${port}']}]\n`);
  const data = path.join(dir, 'data');
  const proc: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${dir}/prometheus.yml`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, ...(adminApi ? ['--web.enable-admin-api'] : [])],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('prometheus was not ready');
    await new Promise((r) => setTimeout(r, 200));
  }
  // enough scrapes for the head to hold a chunk: a snapshot taken sooner has no block at all
  // (which the job's check refuses)
  await new Promise((r) => setTimeout(r, 8000));
  return {
    url,
    data,
    stop: async () => {
      const exited = new Promise((r) => proc.on('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
    },
  };
}

describeWithTools([['prometheus', 'prometheus'], ['busybox', 'busybox'], ['prometheus-pushgateway', 'prometheus-pushgateway']], "homelab's monthly Prometheus TSDB backup against a real Prometheus, with busybox tools as in the curl image", () => {
  let gw: Pushgateway;
  let scripts: PodScripts;
  let PATH: string;

  beforeAll(async () => {
    gw = await Pushgateway.start();
    scripts = podScripts(synthJson(homelabSite(freshApp())), 'prometheus-backup');
    PATH = busyboxPath({ curl: which('curl') });
  });
  afterAll(() => gw?.stop());

  it('the stack\'s command and check pass shellcheck', () => {
    const file = path.join(tempDir(), 'prometheus-backup.sh');
    fs.writeFileSync(file, scripts.dump);
    expect(shellcheck(file)).toEqual({ status: 0, output: '' });
  });

  it('snapshots the TSDB through the admin API, archives it with its blocks and removes the snapshot from Prometheus\'s volume', async () => {
    const prom = await startPrometheus(true);
    try {
      const out = tempDir();
      // a fresh Prometheus holds kilobytes, below the homelab's 1 MiB floor
      const run = runPod(scripts, 'busybox', { PATH, PROMETHEUS_URL: prom.url, PROMETHEUS_DATA: prom.data, BC_OUT_DIR: out, BC_STATUS_DIR: tempDir(), BC_MIN_BYTES: '1', BC_ANY_WEEKDAY: '1' }, gw.url);
      expect(run.dump.stderr).not.toMatch(/FAILED/);
      expect(run.report.status).toBe(0);
      const [archive] = newArtifacts(out, 'prometheus-backup', '.tar.gz');
      const contents = sh('tar', ['-tzf', path.join(out, archive)]).split('\n');
      expect(contents.some((l) => /^[^/]+\/[0-9A-Z]{26}\/index$/.test(l))).toBe(true);
      expect(listDir(path.join(prom.data, 'snapshots'))).toEqual([]);
      expect(await gw.value('backup_last_status', { backup_job: 'prometheus-backup', site: 'homelab', host: 'k8s' })).toBe(0);

      // the homelab's own floor refuses a near-empty TSDB
      const floor = runPod(scripts, 'busybox', { PATH, PROMETHEUS_URL: prom.url, PROMETHEUS_DATA: prom.data, BC_OUT_DIR: tempDir(), BC_STATUS_DIR: tempDir(), BC_ANY_WEEKDAY: '1' }, gw.url);
      expect(floor.dump.stderr).toMatch(/below the floor of 1048576/);
      expect(floor.report.status).toBe(1);
      expect(listDir(path.join(prom.data, 'snapshots'))).toEqual([]);
    } finally {
      await prom.stop();
    }
  }, 120_000);

  it('fails and pushes the failure when Prometheus runs without the admin API', async () => {
    const prom = await startPrometheus(false);
    try {
      const out = tempDir();
      const run = runPod(scripts, 'busybox', { PATH, PROMETHEUS_URL: prom.url, PROMETHEUS_DATA: prom.data, BC_OUT_DIR: out, BC_STATUS_DIR: tempDir(), BC_MIN_BYTES: '1', BC_ANY_WEEKDAY: '1' }, gw.url);
      expect(run.report.status).not.toBe(0);
      expect(await gw.value('backup_last_status', { backup_job: 'prometheus-backup', site: 'homelab', host: 'k8s' })).not.toBe(0);
      expect(listDir(out)).toEqual([]);
    } finally {
      await prom.stop();
    }
  }, 120_000);
});
