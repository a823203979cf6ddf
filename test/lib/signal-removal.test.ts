import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { pushgatewayPath, signalRemoval, textfileName } from '../../lib/metrics';
import { InstallPlan, renderInstallScript, renderRemoveScript } from '../../lib/render/install-script';
import { shellQuote } from '../../lib/render/shell';
import { ScheduledHostJob, Schedule, VzdumpJob } from '../../constructs';
import { nfsStorage, testSite, vm } from '../helpers/fixtures';
import { Pushgateway } from '../helpers/pushgateway';
import { modelOf, resourcesOf, synthJson } from '../helpers/synth';
import { App } from 'cdktf';
import { SITES } from '../../stacks';
import { describeWithTool, tempDir } from '../helpers/tools';

function run(dir: string, script: string, name: string): { status: number; stderr: string } {
  const f = path.join(dir, name);
  fs.writeFileSync(f, script, { mode: 0o755 });
  const r = spawnSync('/bin/sh', [f], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status ?? -1, stderr: r.stderr };
}

const site = 'home';
const host = 'pve';
const job = 'backup-p0';

/** A vzdump job's install as VzdumpJob plans it: its series' removals, one entry per group. */
function plan(sink: Parameters<typeof signalRemoval>[0], guests: string[]): InstallPlan {
  return {
    files: [],
    enableUnits: [],
    postInstall: [],
    removals: [signalRemoval(sink, { job, site, host }), ...guests.map((guest) => signalRemoval(sink, { job, site, host, guest }))],
    preRemove: [],
    owner: 'home/P0',
  };
}

describe('series removal with the job', () => {
  it('textfile: a guest taken out of the job loses its file when the old version goes; removing the job removes the rest', () => {
    const dir = tempDir();
    const root = path.join(dir, 'root');
    const textfiles = '/var/lib/prometheus/node-exporter';
    const sink = { kind: 'textfile' as const, directory: textfiles };
    const prom = (guest?: string) => path.join(root, textfiles, textfileName({ job, site, host, guest }));
    fs.mkdirSync(path.join(root, textfiles), { recursive: true });
    for (const p of [prom(), prom('100'), prom('101'), path.join(root, textfiles, 'node_other.prom')]) fs.writeFileSync(p, 'x 1\n');
    const target = { installRoot: root };
    const v1 = plan(sink, ['100', '101']);
    const v2 = plan(sink, ['100']);
    expect(run(dir, renderInstallScript(v1, target), 'i1.sh').status).toBe(0);
    expect(run(dir, renderInstallScript(v2, target), 'i2.sh').status).toBe(0);
    // create before destroy: v1 goes once v2 is in, and removes only what v2 did not take over
    expect(run(dir, renderRemoveScript(v1, target), 'r1.sh')).toEqual({ status: 0, stderr: '' });
    expect([prom(), prom('100'), prom('101')].map((p) => fs.existsSync(p))).toEqual([true, true, false]);
    expect(run(dir, renderRemoveScript(v2, target), 'r2.sh')).toEqual({ status: 0, stderr: '' });
    expect(fs.readdirSync(path.join(root, textfiles))).toEqual(['node_other.prom']);
  });
});

describe('constructs that push series plan their removal', () => {
  it("a vzdump job removes its own and each declared guest's series, a host job its own and its steps'", () => {
    const { site, host } = testSite();
    new VzdumpJob(site, 'P0', { host, jobId: 'backup-p0', schedule: Schedule.daily('02:00'), storage: nfsStorage(site, host), guests: [vm(site, host, 100), vm(site, host, 101)] });
    new ScheduledHostJob(site, 'Files', { host, jobId: 'daily-backup', schedule: Schedule.daily('03:00'), description: 'files', body: 'true', steps: [{ jobId: 'pfsense-backup', description: 'pfSense' }] });
    const removeScripts = Object.values(resourcesOf(synthJson(site), 'null_resource')).map((r: any) => String(r.triggers?.remove_script ?? '')).join('\n');
    const model = modelOf(site);
    const sink = model.settings.metrics;
    for (const id of [{ job: 'backup-p0' }, { job: 'backup-p0', guest: '100' }, { job: 'backup-p0', guest: '101' }, { job: 'daily-backup' }, { job: 'pfsense-backup' }]) {
      const [line] = signalRemoval(sink, { site: model.site, host: host.name, ...id }).lines;
      expect({ id, planned: removeScripts.includes(line) }).toEqual({ id, planned: true });
    }
    // the files of guests an `all` job reports without declaring them: by pattern, this job's only
    expect(removeScripts).toContain(`rm -f "$R"${shellQuote(`${(sink as { directory: string }).directory}/backup_backup-p0_guest_`)}*.prom`);
  });
});

describe('every series group a host pushes has its removal planned on that host', () => {
  it.each(Object.keys(SITES))('%s', (id) => {
    const site = SITES[id](new App());
    const model = modelOf(site);
    const hosts = new Set(model.hosts.map((h) => h.name));
    const removeScripts = Object.values(resourcesOf(synthJson(site), 'null_resource')).map((r: any) => String(r.triggers?.remove_script ?? '')).join('\n');
    const missing = model.signals
      // a CronJob's series are pushed from the cluster, which no host install covers
      .filter((s) => hosts.has(s.host))
      .filter((s) => !removeScripts.includes(signalRemoval(model.settings.metrics, { job: s.job, site: model.site, host: s.host, guest: s.labels.guest }).lines[0]))
      .map((s) => `${s.job}@${s.host}${s.labels.guest ? ` guest ${s.labels.guest}` : ''}`);
    expect(missing).toEqual([]);
    if (model.statusTools.length) expect(removeScripts).toContain('/backup_status.prom');
  });
});

describeWithTool('prometheus-pushgateway', 'prometheus-pushgateway', 'series removal on a Pushgateway', () => {
  let gw: Pushgateway;
  beforeAll(async () => {
    gw = await Pushgateway.start();
  });
  afterAll(() => gw?.stop());

  it("deletes the job's groups when the job goes, and only warns when the Pushgateway cannot be reached", async () => {
    const dir = tempDir();
    const sink = { kind: 'pushgateway' as const, url: gw.url };
    for (const guest of [undefined, '100']) {
      const r = await fetch(`${gw.url}${pushgatewayPath({ job, site, host, guest })}`, { method: 'POST', body: 'backup_last_status 0\n' });
      expect(r.ok).toBe(true);
    }
    await fetch(`${gw.url}${pushgatewayPath({ job: 'other-job', site, host })}`, { method: 'POST', body: 'backup_last_status 0\n' });
    const target = { installRoot: path.join(dir, 'root') };
    fs.mkdirSync(target.installRoot);
    const p = plan(sink, ['100']);
    expect(run(dir, renderInstallScript(p, target), 'i.sh').status).toBe(0);
    expect(run(dir, renderRemoveScript(p, target), 'r.sh')).toEqual({ status: 0, stderr: '' });
    expect(await gw.value('backup_last_status', { backup_job: job })).toBeUndefined();
    expect(await gw.value('backup_last_status', { backup_job: job, guest: '100' })).toBeUndefined();
    expect(await gw.value('backup_last_status', { backup_job: 'other-job' })).toBe(0);

    const down = plan({ kind: 'pushgateway', url: 'http://127.0.0.1:9' }, []);
    expect(run(dir, renderInstallScript(down, target), 'i2.sh').status).toBe(0);
    const r = run(dir, renderRemoveScript(down, target), 'r2.sh');
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`warning: could not delete the series of ${job} from the Pushgateway: curl -X DELETE http://127.0.0.1:9/metrics/job/${job}/`);
  });
});
