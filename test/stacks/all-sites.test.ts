import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import { SITES } from '../../stacks';
import { readTree } from '../helpers/tree';
import { parse } from 'yaml';
import { EXPORTER_METRICS } from '../../lib/alerts/derive-alerts';
import { systemdVerify } from '../helpers/systemd';
import { describeWithTool, pveCfgCheck, run, shellcheck, tempDir } from '../helpers/tools';

/** Synthesizes every site the way `npm run synth` does, into a fresh folder. */
function synthAll(): string {
  const outdir = tempDir('bc-synth-');
  const app = new App({ outdir });
  for (const make of Object.values(SITES)) make(app);
  app.synth();
  return outdir;
}

const outdir = synthAll();
const siteIds = Object.keys(SITES);

describe('every site', () => {
  it('synthesizes deterministically: a second synth gives byte-identical output', () => {
    const again = synthAll();
    const a = readTree(path.join(outdir, 'stacks'));
    const b = readTree(path.join(again, 'stacks'));
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [file, bytes] of a) expect({ file, same: bytes.equals(b.get(file)!) }).toEqual({ file, same: true });
  });

  it.each(siteIds)('%s: writes cdk.tf.json and the review tree', (site) => {
    const dir = path.join(outdir, 'stacks', site);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'cdk.tf.json'), 'utf8')).terraform.backend.local.path).toBe(`../../../terraform.${site}.tfstate`);
    for (const f of ['review/REVIEW.md', 'review/model.json']) expect(fs.existsSync(path.join(dir, f))).toBe(true);
  });

  it.each(siteIds)('%s: every Proxmox cfg and command passes the Proxmox checker', (site) => {
    const pveDir = path.join(outdir, 'stacks', site, 'review/pve');
    const model = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', site, 'review/model.json'), 'utf8'));
    // only a site that manages no Proxmox section (homelab) has no pve/ folder to check
    expect({ site, pveDir: fs.existsSync(pveDir) }).toEqual({ site, pveDir: model.pveSections.length > 0 });
    if (model.pveSections.length === 0) return;
    for (const host of fs.readdirSync(pveDir)) {
      const d = path.join(pveDir, host);
      const storage = path.join(d, 'storage.cfg');
      const jobs = path.join(d, 'jobs.cfg');
      if (fs.existsSync(storage)) expect(pveCfgCheck(['storage', storage]).output).toMatch(/^ok: /);
      if (fs.existsSync(jobs)) expect(pveCfgCheck(['jobs', jobs, ...(fs.existsSync(storage) ? ['--storage-cfg', storage] : [])]).output).toMatch(/^ok: /);
      const args = ['cmd', path.join(d, 'commands.txt')];
      if (fs.existsSync(storage)) args.push('--storage-cfg', storage);
      if (fs.existsSync(jobs)) args.push('--jobs-cfg', jobs);
      // not even a warning: a PBS or CIFS password reaches pvesm on stdin, and the reviewer's
      // command says so in a comment instead of typing it as an argument
      const out = pveCfgCheck(args).output.split('\n').filter((l) => l && !/^0 errors, 0 warnings$/.test(l));
      expect(out.filter((l) => /error|warning/.test(l))).toEqual([]);
    }
  });

  it.each(siteIds)('%s: every vzdump job copies something, so the matrix, RPO table and its runbook show what it protects', (site) => {
    const model = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', site, 'review/model.json'), 'utf8'));
    for (const job of model.jobs.filter((j: any) => j.kind === 'vzdump')) {
      expect({ job: job.id, copies: model.copies.some((c: any) => c.job === job.id) }).toEqual({ job: job.id, copies: true });
    }
  });

  it.each(siteIds)('%s: no secret-looking value is written anywhere in the output', (site) => {
    for (const [file, bytes] of readTree(path.join(outdir, 'stacks', site))) {
      const text = bytes.toString('utf8');
      expect({ file, key: /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text), pass: /(password|passphrase|secret)\s*[=:]\s*["']?[A-Za-z0-9]{6,}/i.test(text) }).toEqual({ file, key: false, pass: false });
    }
  });
});

describe('alert coverage', () => {
  it.each(siteIds)('%s: every job that pushes metrics has Stale and Failing alerts, and every alert watches a pushed metric', (site) => {
    const model = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', site, 'review/model.json'), 'utf8'));
    const rulesFile = fs.readdirSync(path.join(outdir, 'stacks', site, 'review/prometheus')).find((f) => f.endsWith('.rules.yml'))!;
    const rules = parse(fs.readFileSync(path.join(outdir, 'stacks', site, 'review/prometheus', rulesFile), 'utf8')).groups.flatMap((g: any) => g.rules);
    const pushing = [...new Set<string>(model.signals.map((s: any) => s.job))];
    for (const job of pushing) {
      const watching = rules.filter((r: any) => r.expr.includes(`backup_job="${job}"`));
      expect({ job, stale: watching.some((r: any) => /Stale$/.test(r.alert)), failing: watching.some((r: any) => /Failing$/.test(r.alert)) }).toEqual({ job, stale: true, failing: true });
    }
    const pushed = new Set<string>([...model.signals.flatMap((s: any) => s.metrics), ...EXPORTER_METRICS]);
    for (const r of rules) {
      const metrics = [...r.expr.matchAll(/([a-z_:][a-z0-9_:]*)\{/g)].map((m: RegExpMatchArray) => m[1]).filter((m: string) => !['absent', 'max', 'time'].includes(m));
      expect(metrics.length).toBeGreaterThan(0);
      for (const m of metrics) expect({ alert: r.alert, metric: m, pushed: pushed.has(m) }).toEqual({ alert: r.alert, metric: m, pushed: true });
    }
  });
});

describeWithTool('promtool', 'prometheus', 'every site\'s alert rules', () => {
  it.each(siteIds)('%s: pass promtool check rules and promtool test rules', (site) => {
    const dir = path.join(outdir, 'stacks', site, 'review/prometheus');
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.rules.yml'))) {
      expect(run('promtool', ['check', 'rules', f], { cwd: dir })).toMatch(/SUCCESS/);
      expect(run('promtool', ['test', 'rules', f.replace('.rules.yml', '.test.yml')], { cwd: dir })).toMatch(/SUCCESS/);
    }
  });
});

describeWithTool('shellcheck', 'shellcheck', 'every generated shell script', () => {
  it.each(siteIds)('%s: passes shellcheck', (site) => {
    const hosts = path.join(outdir, 'stacks', site, 'review/hosts');
    // every seed site installs scripts on its hosts (vzdump hooks, job scripts, the status tool)
    expect(fs.existsSync(hosts)).toBe(true);
    let checked = 0;
    for (const [file, bytes] of readTree(hosts)) {
      if (!/^#!.*\b(ba)?sh\b/.test(bytes.subarray(0, 64).toString())) continue;
      const r = shellcheck(path.join(hosts, file));
      expect({ file, output: r.output }).toEqual({ file, output: '' });
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe('install order', () => {
  it.each(['home', 'shop'])("%s: the status check's timer is installed after the tool it runs, and removed before it", (site) => {
    const resources = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', site, 'cdk.tf.json'), 'utf8')).resource.null_resource as Record<string, any>;
    const checks = Object.entries(resources).filter(([, r]) => /\/Status\/On-[^/]+\/Check on /.test(r.triggers.description));
    expect(checks.length).toBeGreaterThan(0);
    for (const [, check] of checks) {
      const tool = Object.entries(resources).find(([, r]) => r.triggers.description === check.triggers.description.replace('/Check on ', ' on '))!;
      expect(check.depends_on).toEqual([`null_resource.${tool[0]}`]);
    }
  });
});

describeWithTool('shellcheck', 'shellcheck', 'every delivery script in cdk.tf.json', () => {
  it.each(siteIds)('%s: install, removal and sweep scripts pass shellcheck', (site) => {
    const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', site, 'cdk.tf.json'), 'utf8'));
    const dir = tempDir('bc-delivery-');
    const kinds = new Set<string>();
    for (const [id, r] of Object.entries<any>(json.resource?.null_resource ?? {})) {
      const scripts: [string, string][] = (r.provisioner ?? []).flatMap((p: any) => (p['remote-exec']?.inline ?? []).map((t: string) => [p['remote-exec'].when === 'destroy' ? 'destroy' : 'create', t]));
      if (r.triggers?.remove_script) scripts.push(['remove', r.triggers.remove_script]);
      for (const [kind, text] of scripts) {
        if (text.startsWith('${self.')) continue; // the destroy step runs the kept remove_script
        // Terraform reads $${ and %%{ as the literal ${ and %{ the host gets
        const file = path.join(dir, `${id}-${kind}.sh`);
        fs.writeFileSync(file, text.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{'));
        expect({ id, kind, output: shellcheck(file).output }).toEqual({ id, kind, output: '' });
        kinds.add(id.includes('Sweep') ? 'sweep' : kind);
      }
    }
    expect([...kinds].sort()).toEqual(['create', 'remove', 'sweep']);
  });
});

describeWithTool('systemd-analyze', 'systemd', 'every generated systemd unit', () => {
  it.each(siteIds)('%s: passes systemd-analyze verify', (site) => {
    const hosts = path.join(outdir, 'stacks', site, 'review/hosts');
    const checked: string[] = [];
    for (const host of fs.existsSync(hosts) ? fs.readdirSync(hosts) : []) {
      const unitDir = path.join(hosts, host, 'etc/systemd/system');
      if (!fs.existsSync(unitDir)) continue;
      const units = fs.readdirSync(unitDir).filter((u) => /\.(service|timer|mount|automount)$/.test(u));
      const r = systemdVerify(path.join(hosts, host), units);
      expect({ host, units, ...r }).toEqual({ host, units, status: 0, output: '' });
      checked.push(...units);
    }
    // every seed site runs at least one job from a systemd timer
    expect(checked.length).toBeGreaterThan(0);
  });
});
