import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { HostFileRecord } from '../../lib/model/types';
import { blockMarkers, InstallPlan, ownerKey, planHash, renderInstallScript, renderRemoveScript, renderSweepScript } from '../../lib/render/install-script';
import { backupJobCommands } from '../../lib/render/pve-commands';
import { makeStandins } from '../helpers/standins';
import { describeWithTool, shellcheck, tempDir } from '../helpers/tools';

function file(p: string, content: string, mode = '0644'): HostFileRecord {
  return { host: 'h', path: p, content, mode, owner: 'root:root', kind: 'file', constructPath: 'site/C' };
}

function runScript(dir: string, script: string, name: string): { status: number; stderr: string } {
  const f = path.join(dir, name);
  fs.writeFileSync(f, script, { mode: 0o755 });
  const r = spawnSync('/bin/sh', [f], { encoding: 'utf8' });
  return { status: r.status ?? -1, stderr: r.stderr };
}

/** A temporary install root with stand-ins for the Proxmox and systemd tools first on PATH. */
function fakeHost() {
  const dir = tempDir();
  const root = path.join(dir, 'root');
  fs.mkdirSync(root);
  const { bin, calls } = makeStandins(dir);
  return { dir, root, bin, calls, target: { installRoot: root, extraPath: bin } };
}

/** Runs scripts at once, as Terraform runs the resources of one host in parallel. */
function runAtOnce(dir: string, scripts: readonly string[]): Promise<number[]> {
  return Promise.all(
    scripts.map(
      (script, i) =>
        new Promise<number>((resolve) => {
          const f = path.join(dir, `parallel-${i}-${Math.random().toString(36).slice(2)}.sh`);
          fs.writeFileSync(f, script, { mode: 0o755 });
          spawn('/bin/sh', [f], { stdio: 'ignore' }).on('close', (code) => resolve(code ?? -1));
        }),
    ),
  );
}

describe('install and remove scripts', () => {
  it('keeps every block of a shared file when the resources of one host install and remove at once (a host-wide install lock)', async () => {
    const dir = tempDir();
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    const { bin } = makeStandins(dir);
    const target = { installRoot: root, extraPath: bin };
    const mount = (i: number): InstallPlan => {
      const m = blockMarkers(`site/Mount${i}`);
      return {
        files: [{ ...file('/etc/fstab', `${m.begin}\nnas:/x${i} /mnt/x${i} nfs soft 0 0\n${m.end}\n`), kind: 'block', constructPath: `site/Mount${i}` }],
        enableUnits: [],
        postInstall: [],
        removals: [],
        preRemove: [],
        owner: `site/Mount${i}`,
      };
    };
    const plans = Array.from({ length: 8 }, (_, i) => mount(i));
    const mounted = () => (fs.readFileSync(path.join(root, 'etc/fstab'), 'utf8').match(/\/mnt\/x\d/g) ?? []).sort();
    for (let round = 0; round < 4; round++) {
      fs.writeFileSync(path.join(root, 'etc/fstab'), 'UUID=abc / ext4 defaults 0 1\n');
      expect(await runAtOnce(dir, plans.map((p) => renderInstallScript(p, target)))).toEqual(plans.map(() => 0));
      expect(mounted()).toEqual(plans.map((_, i) => `/mnt/x${i}`));
      // half removed while the other half is installed again
      const scripts = plans.map((p, i) => (i < 4 ? renderRemoveScript(p, target) : renderInstallScript(p, target)));
      expect(await runAtOnce(dir, scripts)).toEqual(plans.map(() => 0));
      expect(mounted()).toEqual(['/mnt/x4', '/mnt/x5', '/mnt/x6', '/mnt/x7']);
      expect(fs.readFileSync(path.join(root, 'etc/fstab'), 'utf8').startsWith('UUID=abc / ext4 defaults 0 1\n')).toBe(true);
    }
  });


  it('installs files byte for byte with their modes, splices a block into a shared file, and removes exactly what it installed', () => {
    const dir = tempDir();
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/fstab'), 'UUID=abc / ext4 defaults 0 1\n');
    fs.mkdirSync(path.join(root, 'usr/local/bin'), { recursive: true });
    fs.writeFileSync(path.join(root, 'usr/local/bin/unrelated'), 'keep me');
    const { bin, calls } = makeStandins(dir);
    const tricky = "#!/bin/bash\necho \"${HOME}\" '%{x}' $(date) `id`\n\u00e9\n";
    const m = blockMarkers('site/Mount');
    const plan: InstallPlan = {
      files: [
        file('/usr/local/lib/bc/run.sh', tricky, '0755'),
        file('/etc/systemd/system/bc.timer', '[Timer]\nOnCalendar=daily\n'),
        { ...file('/etc/fstab', `${m.begin}\nnas:/x /mnt/x nfs soft 0 0\n${m.end}\n`), kind: 'block', constructPath: 'site/Mount' },
      ],
      enableUnits: ['bc.timer'],
      postInstall: ['echo post-install-ran >"$R/post"'],
      removals: [],
      preRemove: ['rm -f "$R/post"'],
      owner: 'site/C',
    };
    const target = { installRoot: root, extraPath: bin };

    expect(runScript(dir, renderInstallScript(plan, target), 'install.sh')).toEqual({ status: 0, stderr: '' });
    expect(fs.readFileSync(path.join(root, 'usr/local/lib/bc/run.sh'), 'utf8')).toBe(tricky);
    expect(fs.statSync(path.join(root, 'usr/local/lib/bc/run.sh')).mode & 0o777).toBe(0o755);
    expect(fs.statSync(path.join(root, 'etc/systemd/system/bc.timer')).mode & 0o777).toBe(0o644);
    expect(fs.readFileSync(path.join(root, 'etc/fstab'), 'utf8')).toBe(`UUID=abc / ext4 defaults 0 1\n${m.begin}\nnas:/x /mnt/x nfs soft 0 0\n${m.end}\n`);
    expect(calls()).toEqual(['systemctl daemon-reload', 'systemctl enable --now bc.timer']);
    expect(fs.existsSync(path.join(root, 'post'))).toBe(true);

    // a second install replaces the block instead of adding another, and leaves no temp files
    expect(runScript(dir, renderInstallScript(plan, target), 'install.sh').status).toBe(0);
    expect(fs.readFileSync(path.join(root, 'etc/fstab'), 'utf8').match(/BEGIN backup-constructs/g)).toHaveLength(1);
    expect(fs.readdirSync(path.join(root, 'etc')).filter((n) => n.includes('bc-new'))).toEqual([]);

    expect(runScript(dir, renderRemoveScript(plan, target), 'remove.sh')).toEqual({ status: 0, stderr: '' });
    expect(fs.existsSync(path.join(root, 'usr/local/lib/bc/run.sh'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'etc/systemd/system/bc.timer'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'post'))).toBe(false);
    expect(fs.readFileSync(path.join(root, 'etc/fstab'), 'utf8')).toBe('UUID=abc / ext4 defaults 0 1\n');
    expect(fs.readFileSync(path.join(root, 'usr/local/bin/unrelated'), 'utf8')).toBe('keep me');
    expect(calls().slice(-2)).toEqual(['systemctl disable --now bc.timer', 'systemctl daemon-reload']);

    // removing twice is harmless
    expect(runScript(dir, renderRemoveScript(plan, target), 'remove.sh').status).toBe(0);
  });

  it('lets a replaced version remove only what the new version did not take over (create before destroy)', () => {
    const { dir, root, calls, target } = fakeHost();
    const v1: InstallPlan = {
      files: [file('/etc/bc/kept', 'same in both'), file('/etc/bc/changed', 'v1'), file('/etc/bc/dropped', 'only in v1')],
      enableUnits: [],
      postInstall: ['echo apply-v1'],
      removals: [{ entry: 'pve-backup-job:job-1', lines: ['pvesh delete /cluster/backup/job-1'] }],
      preRemove: [],
      owner: 'site/C',
    };
    const v2: InstallPlan = { ...v1, files: [file('/etc/bc/kept', 'same in both'), file('/etc/bc/changed', 'v2')], postInstall: ['echo apply-v2'] };
    expect(runScript(dir, renderInstallScript(v1, target), 'i1.sh').status).toBe(0);
    expect(runScript(dir, renderInstallScript(v2, target), 'i2.sh').status).toBe(0);
    // Terraform now destroys v1: it must leave v2's files and the job alone
    expect(runScript(dir, renderRemoveScript(v1, target), 'r1.sh')).toEqual({ status: 0, stderr: '' });
    expect(fs.readFileSync(path.join(root, 'etc/bc/kept'), 'utf8')).toBe('same in both');
    expect(fs.readFileSync(path.join(root, 'etc/bc/changed'), 'utf8')).toBe('v2');
    expect(fs.existsSync(path.join(root, 'etc/bc/dropped'))).toBe(false);
    expect(calls()).not.toContain('pvesh delete /cluster/backup/job-1');
    // destroying v2 later removes everything, markers included
    expect(runScript(dir, renderRemoveScript(v2, target), 'r2.sh').status).toBe(0);
    expect(fs.readdirSync(path.join(root, 'etc/bc'))).toEqual([]);
    expect(calls()).toContain('pvesh delete /cluster/backup/job-1');
    expect(fs.existsSync(path.join(root, 'var/lib/backup-constructs/owners'))).toBe(false);
  });

  it('when a construct moves (another path, same job), the old resource\'s removal leaves the entry and timer the new one took over, and removes an entry it dropped', () => {
    const { dir, root, calls, target } = fakeHost();
    const job = (id: string) => backupJobCommands(id, [['schedule', '02:00'], ['storage', 'backup-hdd']], ['schedule']);
    // v1 manages two vzdump jobs and a timer; the program then moves the construct (a refactor
    // renames its path) and drops job-2. Terraform sees two resources: the new one is created,
    // the old one destroyed, in either order.
    const v1: InstallPlan = {
      files: [file('/etc/systemd/system/bc.timer', '[Timer]\n')],
      enableUnits: ['bc.timer'],
      postInstall: [...job('job-1').apply, ...job('job-2').apply],
      removals: [job('job-1').removal, job('job-2').removal],
      preRemove: [],
      owner: 'site/Nightly',
    };
    const v2: InstallPlan = { ...v1, files: [{ ...file('/etc/systemd/system/bc.timer', '[Timer]\n'), constructPath: 'site/Pve/Nightly' }], postInstall: job('job-1').apply, removals: [job('job-1').removal], owner: 'site/Pve/Nightly' };
    expect(runScript(dir, renderInstallScript(v1, target), 'i1.sh').status).toBe(0);
    expect(runScript(dir, renderInstallScript(v2, target), 'i2.sh').status).toBe(0);
    const mark = calls().length;
    expect(runScript(dir, renderRemoveScript(v1, target), 'r1.sh')).toEqual({ status: 0, stderr: '' });
    const removal = calls().slice(mark);
    expect(removal).not.toContain('pvesh delete /cluster/backup/job-1');
    expect(removal).not.toContain('systemctl disable --now bc.timer');
    expect(removal).toContain('pvesh delete /cluster/backup/job-2');
    expect(fs.existsSync(path.join(root, 'etc/systemd/system/bc.timer'))).toBe(true);
    // destroying the moved construct later removes its job and timer, and every marker
    expect(runScript(dir, renderRemoveScript(v2, target), 'r2.sh').status).toBe(0);
    expect(calls().slice(mark)).toEqual(expect.arrayContaining(['pvesh delete /cluster/backup/job-1', 'systemctl disable --now bc.timer']));
    expect(fs.existsSync(path.join(root, 'var/lib/backup-constructs/owners'))).toBe(false);
  });

  it('keys an entry by its name, not its removal commands: a version whose removal reads differently still takes the entry over', () => {
    const { dir, calls, target } = fakeHost();
    // a later library version checks for the job another way before deleting it
    const apply = backupJobCommands('job-1', [['schedule', '02:00']], ['schedule']).apply;
    const v1: InstallPlan = { files: [], enableUnits: [], postInstall: apply, removals: [{ entry: 'pve-backup-job:job-1', lines: ['pvesh delete /cluster/backup/job-1'] }], preRemove: [], owner: 'site/Nightly' };
    const v2: InstallPlan = { ...v1, removals: [{ entry: 'pve-backup-job:job-1', lines: ['if pvesh get /cluster/backup/job-1 >/dev/null 2>&1; then', '  pvesh delete /cluster/backup/job-1', 'fi'] }] };
    expect(runScript(dir, renderInstallScript(v1, target), 'i1.sh').status).toBe(0);
    expect(runScript(dir, renderInstallScript(v2, target), 'i2.sh').status).toBe(0);
    expect(runScript(dir, renderRemoveScript(v1, target), 'r1.sh')).toEqual({ status: 0, stderr: '' });
    expect(calls()).not.toContain('pvesh delete /cluster/backup/job-1');
    expect(runScript(dir, renderRemoveScript(v2, target), 'r2.sh').status).toBe(0);
    expect(calls()).toContain('pvesh delete /cluster/backup/job-1');
  });

  it('still answers the removal of a resource an earlier version installed (one marker per construct path): a new version of that construct keeps its entries', () => {
    const { dir, root, bin, calls, target } = fakeHost();
    const job = backupJobCommands('job-1', [['schedule', '02:00']], ['schedule']);
    const old: InstallPlan = { files: [], enableUnits: ['bc.timer'], postInstall: job.apply, removals: [job.removal], preRemove: [], owner: 'site/Nightly' };
    const owners = path.join(root, 'var/lib/backup-constructs/owners');
    fs.mkdirSync(owners, { recursive: true });
    fs.writeFileSync(path.join(owners, ownerKey('cmd:site/Nightly')), planHash(old));
    // what the earlier version's removal script (kept in Terraform state) does
    const legacyRemove = `#!/bin/sh\nset -eu\nPATH='${bin}':"$PATH"\nif [ "$(cat '${owners}/${ownerKey('cmd:site/Nightly')}' 2>/dev/null)" = ${planHash(old)} ]; then\n  pvesh delete /cluster/backup/job-1\n  systemctl disable --now bc.timer\nfi\n`;
    const upgraded: InstallPlan = { ...old, postInstall: backupJobCommands('job-1', [['schedule', '03:00']], ['schedule']).apply };
    expect(runScript(dir, renderInstallScript(upgraded, target), 'i.sh').status).toBe(0);
    const mark = calls().length;
    expect(runScript(dir, legacyRemove, 'r-old.sh').status).toBe(0);
    expect(calls().slice(mark)).toEqual([]);
    expect(runScript(dir, renderRemoveScript(upgraded, target), 'r.sh').status).toBe(0);
    expect(calls().slice(mark)).toEqual(expect.arrayContaining(['pvesh delete /cluster/backup/job-1', 'systemctl disable --now bc.timer']));
    expect(fs.existsSync(owners)).toBe(false);
  });

  it('releases the host lock when the script ends, even if an install step left a process running in the background', () => {
    const dir = tempDir();
    const root = path.join(dir, 'root');
    fs.mkdirSync(root);
    const lock = path.join(root, 'run/lock/backup-constructs/install.lock');
    // a step that starts a daemon (as a mount helper may), which outlives the script
    const plan: InstallPlan = { files: [], enableUnits: [], postInstall: ['sleep 30 >/dev/null 2>&1 &', 'echo "$!" >"$R/daemon.pid"'], removals: [], preRemove: [], owner: 's/Daemon' };
    try {
      expect(runScript(dir, renderInstallScript(plan, { installRoot: root }), 'i.sh')).toEqual({ status: 0, stderr: '' });
      // the lock is free: the next install on the host need not wait for the daemon
      expect(spawnSync('flock', ['-n', lock, 'true']).status).toBe(0);
    } finally {
      spawnSync('kill', [fs.readFileSync(path.join(root, 'daemon.pid'), 'utf8').trim()]);
    }
  });

  it('fails with a clear message when another install holds the host lock past the wait', () => {
    const dir = tempDir();
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'run/lock/backup-constructs'), { recursive: true });
    const lock = path.join(root, 'run/lock/backup-constructs/install.lock');
    const plan: InstallPlan = { files: [], enableUnits: [], postInstall: ['echo ran >"$R/ran"'], removals: [], preRemove: [], owner: 's/Waits' };
    // the wait shortened to a second for the test: the rendered script waits 600 s
    const script = renderInstallScript(plan, { installRoot: root }).split('flock -w 600 ').join('flock -w 1 ');
    const holder = spawn('flock', [lock, 'sleep', '20'], { stdio: 'ignore' });
    try {
      spawnSync('sh', ['-c', `until ! flock -n '${lock}' true; do sleep 0.05; done`]);
      const r = runScript(dir, script, 'i.sh');
      expect(r.status).toBe(75);
      expect(r.stderr).toContain('another backup-constructs install or removal on this host held');
      expect(fs.existsSync(path.join(root, 'ran'))).toBe(false);
      // run from a string rather than a file, it takes the lock on a descriptor, and waits the same
      const fromString = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
      expect({ status: fromString.status, stderr: fromString.stderr }).toEqual({ status: 75, stderr: expect.stringContaining('another backup-constructs install or removal on this host held') });
      expect(fs.existsSync(path.join(root, 'ran'))).toBe(false);
    } finally {
      holder.kill();
    }
  });

  it('lets the removal of a version whose scripts differ only in wording (a library upgrade, same plan) leave the new install alone', () => {
    const dir = tempDir();
    const root = path.join(dir, 'root');
    fs.mkdirSync(root);
    const { bin, calls } = makeStandins(dir);
    const job = backupJobCommands('job-1', [['schedule', '02:00']], ['schedule']);
    const plan: InstallPlan = { files: [file('/etc/bc/run.sh', 'same plan')], enableUnits: ['bc.timer'], postInstall: job.apply, removals: [job.removal], preRemove: [], owner: 'site/Nightly' };
    // the same plan, scripts worded differently (here: PATH written with a trailing slash)
    const before = { installRoot: root, extraPath: bin };
    const after = { installRoot: root, extraPath: `${bin}/` };
    expect(renderRemoveScript(plan, after)).not.toBe(renderRemoveScript(plan, before));
    expect(planHash(plan, after)).not.toBe(planHash(plan, before));
    // Terraform replaces the resource by creating the new version first, then destroying the old
    expect(runScript(dir, renderInstallScript(plan, before), 'i1.sh').status).toBe(0);
    expect(runScript(dir, renderInstallScript(plan, after), 'i2.sh').status).toBe(0);
    const mark = calls().length;
    expect(runScript(dir, renderRemoveScript(plan, before), 'r1.sh')).toEqual({ status: 0, stderr: '' });
    expect(calls().slice(mark)).toEqual([]);
    expect(fs.readFileSync(path.join(root, 'etc/bc/run.sh'), 'utf8')).toBe('same plan');
    expect(runScript(dir, renderRemoveScript(plan, after), 'r2.sh').status).toBe(0);
    expect(calls().slice(mark)).toEqual(expect.arrayContaining(['pvesh delete /cluster/backup/job-1', 'systemctl disable --now bc.timer']));
    expect(fs.existsSync(path.join(root, 'etc/bc/run.sh'))).toBe(false);
  });

  it('sweeps the kept removals of versions no longer in the program, deepest first, and keeps the wanted ones', () => {
    const dir = tempDir();
    const root = path.join(dir, 'root');
    const kept = path.join(root, 'var/lib/backup-constructs/removals/lab');
    fs.mkdirSync(kept, { recursive: true });
    const log = path.join(dir, 'log');
    const removal = (name: string) => `#!/bin/sh\necho ${name} >>'${log}'\n`;
    fs.writeFileSync(path.join(kept, '00-storage1'), removal('storage1'));
    fs.writeFileSync(path.join(kept, '01-job1'), removal('job1'));
    fs.writeFileSync(path.join(kept, '01-job2'), removal('job2'));
    fs.writeFileSync(path.join(kept, '02-hook1'), removal('hook1'));
    fs.writeFileSync(path.join(kept, '01-job3.bc-new.123'), removal('half-written'));
    expect(runScript(dir, renderSweepScript('lab', ['job2'], { installRoot: root }), 'sweep.sh').status).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toBe('hook1\njob1\nstorage1\n');
    expect(fs.readdirSync(kept)).toEqual(['01-job2']);
    // another site's removals are never run
    fs.mkdirSync(path.join(root, 'var/lib/backup-constructs/removals/other'));
    fs.writeFileSync(path.join(root, 'var/lib/backup-constructs/removals/other/00-x'), removal('other'));
    expect(runScript(dir, renderSweepScript('lab', [], { installRoot: root }), 'sweep2.sh').status).toBe(0);
    expect(fs.readFileSync(log, 'utf8')).toBe('hook1\njob1\nstorage1\njob2\n');
    expect(fs.existsSync(kept)).toBe(false);
    expect(fs.existsSync(path.join(root, 'var/lib/backup-constructs/removals/other/00-x'))).toBe(true);
  });

  it('an install that fails halfway keeps its removal first, so what it took over is removed once it is no longer in the program', () => {
    const dir = tempDir();
    const root = path.join(dir, 'root');
    fs.mkdirSync(root);
    const { bin } = makeStandins(dir);
    const target = { installRoot: root, extraPath: bin, site: 'lab' };
    const v1: InstallPlan = { files: [file('/etc/bc/a', 'v1')], enableUnits: [], postInstall: [], removals: [], preRemove: [], owner: 'site/C' };
    // v2 takes a over and adds b, then fails (Terraform taints it; its destroy provisioner never runs)
    const v2: InstallPlan = { ...v1, files: [file('/etc/bc/a', 'v2'), file('/etc/bc/b', 'only in v2')], postInstall: ['false'] };
    expect(runScript(dir, renderInstallScript(v1, target), 'i1.sh').status).toBe(0);
    expect(runScript(dir, renderInstallScript(v2, target), 'i2.sh').status).not.toBe(0);
    // the program goes back to v1: v1 is installed again and the sweep keeps only v1
    expect(runScript(dir, renderInstallScript(v1, target), 'i3.sh').status).toBe(0);
    expect(runScript(dir, renderSweepScript('lab', [planHash(v1, target)], { installRoot: root }), 'sweep.sh').status).toBe(0);
    expect(fs.readdirSync(path.join(root, 'etc/bc'))).toEqual(['a']);
    expect(fs.readFileSync(path.join(root, 'etc/bc/a'), 'utf8')).toBe('v1');
    // or the construct leaves the program after the failed v2: the sweep removes everything
    expect(runScript(dir, renderInstallScript(v2, target), 'i4.sh').status).not.toBe(0);
    expect(runScript(dir, renderSweepScript('lab', [], { installRoot: root }), 'sweep2.sh').status).toBe(0);
    expect(fs.existsSync(path.join(root, 'etc/bc/a'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'etc/bc/b'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'var/lib/backup-constructs/removals/lab'))).toBe(false);
  });

  it('stops sweeping at a removal that fails and keeps it for the next apply', () => {
    const dir = tempDir();
    const root = path.join(dir, 'root');
    const kept = path.join(root, 'var/lib/backup-constructs/removals/lab');
    fs.mkdirSync(kept, { recursive: true });
    fs.writeFileSync(path.join(kept, '01-job1'), '#!/bin/sh\nexit 3\n');
    const r = runScript(dir, renderSweepScript('lab', [], { installRoot: root }), 'sweep.sh');
    expect(r.status).not.toBe(0);
    // says how to get past a removal that keeps failing
    expect(r.stderr).toContain(`the removal of what 01-job1 installed failed: fix the cause and apply again, or delete ${kept}/01-job1 to skip it`);
    expect(fs.readdirSync(kept)).toEqual(['01-job1']);
  });

  it('stops at the first failing command', () => {
    const dir = tempDir();
    const plan: InstallPlan = { files: [], enableUnits: [], postInstall: ['false', 'echo never >"$R/marker"'], removals: [], preRemove: [], owner: 's/C' };
    expect(runScript(dir, renderInstallScript(plan, { installRoot: dir }), 'i.sh').status).not.toBe(0);
    expect(fs.existsSync(path.join(dir, 'marker'))).toBe(false);
  });
});

describeWithTool('shellcheck', 'shellcheck', 'install scripts and shellcheck', () => {
  it('are shellcheck clean', () => {
    const dir = tempDir();
    const plan: InstallPlan = {
      files: [file('/a/b', 'x'), { ...file('/etc/fstab', '# BEGIN backup-constructs s/M\nx\n# END backup-constructs s/M\n'), kind: 'block', constructPath: 's/M' }],
      enableUnits: ['x.timer'],
      postInstall: ['echo apply'],
      removals: [{ entry: 'pve-backup-job:j', lines: ['if pvesh get /cluster/backup/j >/dev/null 2>&1; then', '  pvesh delete /cluster/backup/j', 'fi'] }],
      preRemove: ['echo plain'],
      owner: 's/M',
    };
    for (const [name, text] of [['i.sh', renderInstallScript(plan, { extraPath: '/opt/bin' })], ['r.sh', renderRemoveScript(plan)]]) {
      fs.writeFileSync(path.join(dir, name), text);
      expect(shellcheck(path.join(dir, name)).output).toBe('');
    }
  });
});
