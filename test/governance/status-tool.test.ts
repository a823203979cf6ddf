import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { renderStatusScript } from '../../lib/render/status-script';
import { describeWithTool, shellcheck, tempDir } from '../helpers/tools';

const HOUR = 3600;

/** A temporary tree of artifacts with chosen ages, and an inventory that points at it. */
function fixture() {
  const dir = tempDir('bc-status-');
  const dump = path.join(dir, 'dump');
  fs.mkdirSync(dump);
  const now = Date.now() / 1000;
  const file = (name: string, ageHours: number) => {
    const p = path.join(dump, name);
    fs.writeFileSync(p, 'x');
    fs.utimesSync(p, now - ageHours * HOUR, now - ageHours * HOUR);
  };
  file('vzdump-qemu-100-2026_01_01-03_00_00.vma.zst', 30); // older archive of the fresh guest
  file('vzdump-qemu-100-2026_01_02-03_00_00.vma.zst', 1);
  file('vzdump-qemu-101-2026_01_01-03_00_00.vma.zst', 30);
  file('vzdump-qemu-102-2026_01_01-03_00_00.vma.zst', 50);
  file('vzdump-lxc-103-2026_01_01-03_00_00.tar.zst', 25);
  // an app backup: one folder per run (ComposeAppBackup's */<part> glob)
  const app = path.join(dir, 'app');
  const stamped = (stamp: string, ageHours: number) => {
    fs.mkdirSync(path.join(app, stamp), { recursive: true });
    const p = path.join(app, stamp, 'gitea-dump.tar.gz');
    fs.writeFileSync(p, 'x');
    fs.utimesSync(p, now - ageHours * HOUR, now - ageHours * HOUR);
  };
  stamped('20260101T020000Z', 30);
  stamped('20260102T020000Z', 1);
  fs.writeFileSync(path.join(app, 'gitea-dump.tar.gz'), 'not a run'); // not in a run folder: not a match
  // a run in progress (or killed): its hidden folder is no backup yet, however new
  stamped('.20260103T020000Z.partial', 0.1);
  const rows = [
    ['fresh', '1', dump, 'vzdump-qemu-100-*.vma.zst', '26', 'critical', 'p0'],
    ['late', '1', dump, 'vzdump-qemu-101-*.vma.zst', '26', 'critical', 'p0'],
    ['very-late', '1', dump, 'vzdump-qemu-102-*.vma.zst', '24', 'critical', 'p0'],
    ['default-threshold', '1', dump, 'vzdump-lxc-103-*.tar.zst', '0', 'important', 'p1'],
    ['never-made', '1', dump, 'vzdump-lxc-105-*.tar.zst', '170', 'rebuildable', 'p2'],
    ['gone-folder', '1', path.join(dir, 'nope'), '*', '48', 'critical', 'ha'],
    ['switched-off', '0', dump, 'vzdump-qemu-999-*', '26', 'important', 'old'],
    ['app-runs', '1', app, '*/gitea-dump.tar.gz', '26', 'critical', 'app'],
    ['app-runs-none', '1', app, '*/postgres.sql.gz', '26', 'critical', 'app'],
    ['no-job', '1', dump, 'vzdump-qemu-100-*.vma.zst', '26', 'critical', '-'], // an artifact no job of the program makes
  ];
  const inventory = path.join(dir, 'inventory.tsv');
  fs.writeFileSync(inventory, ['# name\tenabled\tbase_path\tglob\tstale_after_hours\tclassification\tjob', ...rows.map((r) => r.join('\t'))].join('\n') + '\n');
  const script = path.join(dir, 'backup-status');
  fs.writeFileSync(script, renderStatusScript('site/Status', 'home', 'proxmox-home'), { mode: 0o755 });
  return { dir, dump, inventory, script };
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(script, args, { encoding: 'utf8', env });
}

describe('backup-status, run for real against a tree of files with chosen ages', () => {
  it('reports OK, WARNING past the threshold, CRITICAL past twice it, with reason codes, as JSON', () => {
    const { inventory, script, dump, dir } = fixture();
    const r = run(script, ['--json', '--no-proxmox', '--inventory', inventory]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(2);
    const byName = Object.fromEntries((JSON.parse(r.stdout) as any[]).map((e) => [e.name, [e.status, e.reason]]));
    expect(byName).toEqual({
      fresh: ['OK', 'fresh'],
      late: ['WARNING', 'stale'],
      'very-late': ['CRITICAL', 'stale'],
      'default-threshold': ['WARNING', 'stale'], // 25 h old, the seed's 24 h default
      'never-made': ['CRITICAL', 'missing'],
      'gone-folder': ['CRITICAL', 'unreadable'],
      'switched-off': ['OK', 'disabled'],
      'app-runs': ['OK', 'fresh'],
      'app-runs-none': ['CRITICAL', 'missing'],
      'no-job': ['OK', 'fresh'],
    });
    const entry = (name: string) => (JSON.parse(r.stdout) as any[]).find((e) => e.name === name);
    expect(entry('fresh').newest).toBe(path.join(dump, 'vzdump-qemu-100-2026_01_02-03_00_00.vma.zst'));
    expect(entry('fresh').age_seconds).toBeLessThan(2 * HOUR);
    expect(entry('app-runs').newest).toBe(path.join(dir, 'app', '20260102T020000Z', 'gitea-dump.tar.gz'));
  });

  it('prints a text table and exits 1 when the worst is a WARNING', () => {
    const { dir, inventory, script } = fixture();
    const only = path.join(dir, 'only.tsv');
    fs.writeFileSync(only, fs.readFileSync(inventory, 'utf8').split('\n').filter((l) => /^(fresh|late)\t/.test(l)).join('\n') + '\n');
    const r = run(script, ['--no-proxmox', '--inventory', only]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^ENTRY\s+STATUS\s+REASON/);
    expect(r.stdout).toMatch(/^late\s+WARNING\s+stale\s+30\s/m);
  });

  it('writes textfile metrics atomically', () => {
    const { dir, inventory, script } = fixture();
    run(script, ['--no-proxmox', '--inventory', inventory, '--textfile', path.join(dir, 'prom')]);
    const prom = fs.readFileSync(path.join(dir, 'prom/backup_status.prom'), 'utf8');
    expect(prom).toContain('backup_inventory_status{entry="late",site="home",host="proxmox-home",reason="stale",backup_job="p0"} 1');
    expect(prom).toContain('backup_inventory_status{entry="gone-folder",site="home",host="proxmox-home",reason="unreadable",backup_job="ha"} 2');
    expect(prom).toMatch(/^backup_inventory_newest_age_seconds\{entry="fresh",[^}]*\} \d+$/m);
    // an entry without a job has one label set on both series, so they join
    expect(prom).toContain('backup_inventory_status{entry="no-job",site="home",host="proxmox-home",reason="fresh",backup_job=""} 0');
    expect(prom).toMatch(/^backup_inventory_newest_age_seconds\{entry="no-job",site="home",host="proxmox-home",backup_job=""\} \d+$/m);
    expect(fs.readdirSync(path.join(dir, 'prom'))).toEqual(['backup_status.prom']);
  });

  it('on a Proxmox node, reports guests no job covers as unprotected (pvesh stand-in)', () => {
    const { dir, inventory, script } = fixture();
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'pvesh'), `#!/bin/sh\n[ "$*" = "get /cluster/backup-info/not-backed-up --output-format json" ] || exit 9\necho '[{"vmid":104,"name":"new-vm","type":"qemu"},{"vmid":230,"name":"ct","type":"lxc"}]'\n`, { mode: 0o755 });
    const r = run(script, ['--json', '--inventory', inventory], { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    const unprotected = (JSON.parse(r.stdout) as any[]).filter((e) => e.reason === 'unprotected').map((e) => [e.name, e.status]);
    expect(unprotected).toEqual([['guest-104', 'CRITICAL'], ['guest-230', 'CRITICAL']]);
  });

  it('reports a Proxmox coverage check that could not run as CRITICAL unchecked, and still reports every entry', () => {
    const { dir, inventory, script } = fixture();
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'pvesh'), `#!/bin/sh\necho 'ipcc_send_rec[1] failed: Connection refused' >&2\nexit 255\n`, { mode: 0o755 });
    const r = run(script, ['--json', '--inventory', inventory], { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/could not ask Proxmox which guests no job covers/);
    const entries = JSON.parse(r.stdout) as any[];
    expect(entries.find((e) => e.name === 'proxmox-guest-coverage')).toMatchObject({ status: 'CRITICAL', reason: 'unchecked' });
    expect(entries.find((e) => e.name === 'fresh')).toMatchObject({ status: 'OK', reason: 'fresh' });
  });

  it('reports nothing unprotected when Proxmox lists no uncovered guest', () => {
    const { dir, inventory, script } = fixture();
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'pvesh'), `#!/bin/sh\necho '[]'\n`, { mode: 0o755 });
    const r = run(script, ['--json', '--inventory', inventory], { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    expect(r.stderr).toBe('');
    const reasons = (JSON.parse(r.stdout) as any[]).map((e) => e.reason);
    expect(reasons).not.toContain('unprotected');
    expect(reasons).not.toContain('unchecked');
  });

  it('fails with status 3 when its inventory cannot be read', () => {
    const { script, dir } = fixture();
    const r = run(script, ['--inventory', path.join(dir, 'missing.tsv')]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/cannot read/);
  });
});

describeWithTool('shellcheck', 'shellcheck', 'backup-status and shellcheck', () => {
  it('is shellcheck clean', () => {
    const { script } = fixture();
    expect(shellcheck(script).output).toBe('');
  });
});
