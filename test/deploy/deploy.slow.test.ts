import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App, TerraformResource } from 'cdktf';
import { BackupSite, Duration, Guest, NfsMount, PveHost, PveStorage, Retention, Schedule, VzdumpJob } from '../../constructs';
import { freePort } from '../helpers/pushgateway';
import { Sshd } from '../helpers/sshd';
import { makeStandins } from '../helpers/standins';
import { planActions, Terraform } from '../helpers/terraform';
import { hasTool, tempDir } from '../helpers/tools';
import { readTree } from '../helpers/tree';

/**
 * End to end: a host-only site synthesized in-process, deployed with the real Terraform over
 * real SSH (an sshd on loopback) into a temporary install root, with stand-ins recording the
 * systemctl/pvesh/pvesm calls. Terraform's built-in `terraform_data` needs no provider, so
 * this runs offline.
 */
const ready =
  hasTool('terraform', 'terraform (not in Debian; install by hand)', { optional: true }) &&
  hasTool('sshd', 'openssh-server') &&
  hasTool('ssh-keygen', 'openssh-client');

/**
 * The site does not let a stack set the SSH connection timeout (Terraform's default is 5
 * minutes of retries), so the test sets it on the synthesized resources; it also keeps the
 * scripts remote-exec uploads out of the real /tmp.
 */
const CONNECT_TIMEOUT = Duration.seconds(3);

const HOOK_DAILY = '/usr/local/lib/backup-constructs/vzdump-hook-deploy-daily.sh';
const HOOK_WEEKLY = '/usr/local/lib/backup-constructs/vzdump-hook-deploy-weekly.sh';
const MOUNT_UNIT = '/etc/systemd/system/mnt-nas\\x2dbackups.mount';
/** Files that are not the site's, in the same folders as its files. */
const UNRELATED: Record<string, string> = {
  'usr/local/lib/backup-constructs/keep-me.sh': '#!/bin/sh\necho not ours\n',
  'etc/systemd/system/unrelated.service': '[Service]\nExecStart=/bin/true\n',
};

(ready ? describe : describe.skip)('deploying a site with Terraform over SSH', () => {
  jest.setTimeout(60_000);

  let dir: string;
  let root: string;
  let outdir: string;
  let stackDir: string;
  let sshd: Sshd;
  let deadPort: number;
  let standins: ReturnType<typeof makeStandins>;
  let tf: Terraform;
  let varArgs: string[];
  const timings: string[] = [];

  /** Builds the site in a fresh App and synthesizes it into the same outdir every time. */
  function synth(opts: { dailyTime?: string; port?: number; dailyJobId?: string; weekly?: boolean } = {}): void {
    const app = new App({ outdir });
    const site = new BackupSite(app, 'deploy-test', { delivery: 'terraform_data' });
    const host = new PveHost(site, 'Pve', {
      name: 'pve',
      address: '127.0.0.1',
      port: opts.port ?? sshd.port,
      user: 'root',
      installRoot: root,
      extraPath: standins.bin,
      connectTimeout: CONNECT_TIMEOUT,
    });
    const disk = new PveStorage(site, 'Disk', { host, storageId: 'backup-disk', type: 'dir', path: '/mnt/backup', retention: Retention.keepLast(3) });
    const vm = new Guest(site, 'Vm100', { host, vmid: 100, type: 'qemu', name: 'web', classification: 'critical' });
    const ct = new Guest(site, 'Ct101', { host, vmid: 101, type: 'lxc', name: 'dns' });
    new VzdumpJob(site, 'Daily', { host, jobId: opts.dailyJobId ?? 'deploy-daily', schedule: Schedule.daily(opts.dailyTime ?? '03:00'), storage: disk, guests: [vm] });
    if (opts.weekly !== false) new VzdumpJob(site, 'Weekly', { host, jobId: 'deploy-weekly', schedule: Schedule.weekly('sun', '04:00'), storage: disk, guests: [ct] });
    new NfsMount(site, 'Nas', { host, server: '10.0.0.150', export: '/volume1/backups', mountPoint: '/mnt/nas-backups', style: 'mount-unit' });
    for (const c of site.node.findAll()) {
      if (c instanceof TerraformResource && c.terraformResourceType === 'terraform_data') {
        c.addOverride('connection.script_path', path.join(dir, 'remote-scripts', 'terraform_%RAND%.sh'));
      }
    }
    app.synth();
  }

  /** Terraform address of the delivery resource a construct path owns. */
  function address(constructPath: string): string {
    const json = JSON.parse(fs.readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    const found = Object.entries<any>(json.resource.terraform_data).find(([, r]) => r['//'].metadata.path === constructPath);
    if (!found) throw new Error(`no terraform_data for ${constructPath}`);
    return `terraform_data.${found[0]}`;
  }

  /** The review's host files: relative path -> bytes. */
  function reviewHostFiles(): Map<string, Buffer> {
    return readTree(path.join(stackDir, 'review/hosts/pve'));
  }

  /** Everything under the install root except the unrelated files, the ownership markers, the kept removals and the install lock. */
  function installed(): Map<string, Buffer> {
    const tree = readTree(root);
    for (const f of Object.keys(UNRELATED)) tree.delete(f);
    // and the removal scripts each install keeps for the host's sweep
    for (const f of [...tree.keys()]) if (f.startsWith('var/lib/backup-constructs/owners/') || f.startsWith('var/lib/backup-constructs/removals/')) tree.delete(f);
    // the host-wide lock every install and removal takes (on a host, /run is emptied at boot)
    tree.delete('run/lock/backup-constructs/install.lock');
    tree.delete('etc/pve/storage.cfg'); // Proxmox's own file, written by the pvesm stand-in
    return tree;
  }

  function inode(p: string): number {
    return fs.statSync(path.join(root, p)).ino;
  }

  /** Calls the stand-ins recorded after `mark` (a previous `calls().length`). */
  function callsSince(mark: number): string[] {
    return standins.calls().slice(mark);
  }

  /** A command line from the review as the stand-ins log it (`$*`: words joined by spaces, quotes gone). */
  function asLogged(line: string): string {
    return execFileSync('sh', ['-c', `set -- ${line}; printf '%s' "$*"`], { encoding: 'utf8' });
  }

  function expectUnrelatedIntact(): void {
    for (const [f, content] of Object.entries(UNRELATED)) expect(fs.readFileSync(path.join(root, f), 'utf8')).toBe(content);
  }

  function timed<T>(label: string, fn: () => T): T {
    const t = Date.now();
    try {
      return fn();
    } finally {
      timings.push(`${label}: ${Date.now() - t} ms`);
    }
  }

  beforeAll(async () => {
    dir = tempDir('bc-deploy-');
    root = path.join(dir, 'root');
    outdir = path.join(dir, 'cdktf.out');
    stackDir = path.join(outdir, 'stacks/deploy-test');
    fs.mkdirSync(path.join(dir, 'remote-scripts'), { recursive: true });
    for (const [f, content] of Object.entries(UNRELATED)) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), content, { mode: 0o755 });
    }
    fs.mkdirSync(path.join(root, 'etc/pve'), { recursive: true });
    standins = makeStandins(dir, undefined, { storageCfg: path.join(root, 'etc/pve/storage.cfg') });
    sshd = await Sshd.start(path.join(dir, 'sshd'));
    deadPort = await freePort();
    varArgs = ['-input=false', '-no-color', '-var', `ssh_private_key_path=${sshd.clientKey}`];
    synth();
    tf = new Terraform(stackDir, path.join(dir, 'terraform'));
  });

  afterAll(async () => {
    await sshd?.stop();
    // eslint-disable-next-line no-console
    if (timings.length) console.log(`deploy test timings:\n  ${timings.join('\n  ')}`);
    if (dir && !process.env.BC_KEEP_TEST_TMPDIR) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('synthesizes a stack folder that terraform inits and validates offline', () => {
    expect(fs.existsSync(path.join(stackDir, 'cdk.tf.json'))).toBe(true);
    expect([...reviewHostFiles().keys()].sort()).toEqual([MOUNT_UNIT, HOOK_DAILY, HOOK_WEEKLY].map((p) => p.slice(1)).sort());
    timed('init', () => tf.ok(['init', '-input=false', '-no-color']));
    const v = timed('validate', () => tf.ok(['validate', '-no-color']));
    expect(v.stdout).toMatch(/The configuration is valid/);
  });

  it('applies: every file lands byte for byte with its mode, and Proxmox and systemd get the reviewed commands', () => {
    const mark = standins.calls().length;
    const r = timed('apply', () => tf.ok(['apply', '-auto-approve', ...varArgs]));
    expect(r.stdout).toMatch(/Apply complete! Resources: 5 added, 0 changed, 0 destroyed\./);

    const review = reviewHostFiles();
    expect(installed()).toEqual(review);
    for (const hook of [HOOK_DAILY, HOOK_WEEKLY]) expect(fs.statSync(path.join(root, hook)).mode & 0o777).toBe(0o755);
    expect(fs.statSync(path.join(root, MOUNT_UNIT)).mode & 0o777).toBe(0o644);
    for (const f of review.keys()) expect(fs.statSync(path.join(root, f))).toMatchObject({ uid: 0, gid: 0 });
    expectUnrelatedIntact();

    const calls = callsSince(mark);
    // the create commands reviewers read in review/pve/pve/commands.txt are the ones that ran
    const creates = fs.readFileSync(path.join(stackDir, 'review/pve/pve/commands.txt'), 'utf8').trim().split('\n').map(asLogged);
    expect(creates).toHaveLength(3);
    expect([...calls].sort()).toEqual(
      [
        ...creates,
        'pvesh get /storage/backup-disk',
        'pvesh get /cluster/backup/deploy-daily',
        'pvesh get /cluster/backup/deploy-weekly',
        'systemctl daemon-reload',
        'systemctl enable --now mnt-nas\\x2dbackups.mount',
      ].sort(),
    );
    expect(creates).toEqual(
      expect.arrayContaining([
        'pvesm add dir backup-disk --path /mnt/backup --content backup --prune-backups keep-last=3',
        expect.stringMatching(/^pvesh create \/cluster\/backup --id deploy-daily --schedule 03:00 .*--script \/usr\/local\/lib\/backup-constructs\/vzdump-hook-deploy-daily\.sh --storage backup-disk --vmid 100$/),
        expect.stringMatching(/^pvesh create \/cluster\/backup --id deploy-weekly --schedule sun 04:00 .*--vmid 101$/),
      ]),
    );
    // within one resource the order is fixed: reload before enabling, look before creating
    expect(calls.indexOf('systemctl daemon-reload')).toBeLessThan(calls.indexOf('systemctl enable --now mnt-nas\\x2dbackups.mount'));
    expect(calls.indexOf('pvesh get /cluster/backup/deploy-daily')).toBeLessThan(calls.findIndex((c) => c.startsWith('pvesh create /cluster/backup --id deploy-daily ')));
    expect(tf.stateList()).toHaveLength(5); // and the host's sweep
  });

  it('plans no changes on a second run', () => {
    const mark = standins.calls().length;
    const r = timed('plan (no changes)', () => tf.run('plan', '-detailed-exitcode', ...varArgs));
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/No changes\./);
    expect(callsSince(mark)).toEqual([]);
  });

  it('replaces only the changed job\'s resource when its schedule changes, and the new job settings land', () => {
    const dailyHookIno = inode(HOOK_DAILY);
    const untouched = { weekly: inode(HOOK_WEEKLY), unit: inode(MOUNT_UNIT) };
    synth({ dailyTime: '03:30' });
    expect(fs.readFileSync(path.join(stackDir, 'review/pve/pve/jobs.cfg'), 'utf8')).toMatch(/^vzdump: deploy-daily\n\tschedule 03:30\n/m);

    const planFile = path.join(dir, 'schedule.tfplan');
    const p = timed('plan (schedule change)', () => tf.ok(['plan', '-detailed-exitcode', `-out=${planFile}`, ...varArgs], [2]));
    // the job's resource, and the host's sweep that runs after every change of what is installed
    expect(p.stdout).toMatch(/Plan: 2 to add, 0 to change, 2 to destroy\./);
    const plan = tf.showPlan(planFile);
    const daily = address('deploy-test/Daily/Install-pve');
    expect(planActions(plan)).toEqual({
      [daily]: 'create,delete',
      [address('deploy-test/Weekly/Install-pve')]: 'no-op',
      [address('deploy-test/Disk/Install-pve')]: 'no-op',
      [address('deploy-test/Nas/Install-pve')]: 'no-op',
      [address('deploy-test/Pve/Sweep')]: 'create,delete',
    });
    const change = plan.resource_changes!.find((c) => c.address === daily)!;
    expect(change.change.replace_paths).toEqual([['triggers_replace']]);

    const mark = standins.calls().length;
    const r = timed('apply (schedule change)', () => tf.ok(['apply', '-input=false', '-no-color', planFile]));
    expect(r.stdout).toMatch(/Apply complete! Resources: 2 added, 0 changed, 2 destroyed\./);
    const calls = callsSince(mark);
    // the new version updates the existing job in place; the old version's removal sees that
    // the new one owns the job now and deletes nothing, so the job never disappears
    expect(calls).toHaveLength(2);
    expect(calls[0]).toBe('pvesh get /cluster/backup/deploy-daily');
    expect(calls[1]).toMatch(/^pvesh set \/cluster\/backup\/deploy-daily --schedule 03:30 .*--storage backup-disk --vmid 100/);
    expect(installed()).toEqual(reviewHostFiles());
    expect(fs.statSync(path.join(root, HOOK_DAILY)).mode & 0o777).toBe(0o755);
    expect(inode(HOOK_DAILY)).not.toBe(dailyHookIno); // reinstalled
    expect({ weekly: inode(HOOK_WEEKLY), unit: inode(MOUNT_UNIT) }).toEqual(untouched); // not touched
    expect(tf.run('plan', '-detailed-exitcode', ...varArgs).status).toBe(0);
  });

  // Terraform runs no destroy-time provisioner for the old version a create-before-destroy
  // replacement leaves behind, nor for a resource removed from the configuration: the host's
  // sweep runs their removals, kept on the host by each install.
  it('removes a job taken out of the program, and the old job when a job\'s id changes', () => {
    synth({ dailyTime: '03:30', dailyJobId: 'deploy-daily-2', weekly: false });
    const mark = standins.calls().length;
    timed('apply (job removed, job id changed)', () => tf.ok(['apply', '-auto-approve', ...varArgs]));
    const calls = callsSince(mark);
    expect(calls).toEqual(expect.arrayContaining(['pvesh delete /cluster/backup/deploy-weekly', 'pvesh delete /cluster/backup/deploy-daily']));
    expect(calls).toContainEqual(expect.stringMatching(/^pvesh create \/cluster\/backup --id deploy-daily-2 /));
    expect(calls.filter((c) => /^(pvesm remove|systemctl disable)/.test(c))).toEqual([]);
    expect(calls.indexOf('pvesh delete /cluster/backup/deploy-daily')).toBeGreaterThan(calls.findIndex((c) => c.startsWith('pvesh create /cluster/backup --id deploy-daily-2 ')));
    // the old hooks went with their jobs; what is installed is what the review shows
    expect(installed()).toEqual(reviewHostFiles());
    expectUnrelatedIntact();
    expect(tf.run('plan', '-detailed-exitcode', ...varArgs).status).toBe(0);

    // and back: the jobs return, deploy-daily-2 goes
    synth({ dailyTime: '03:30' });
    const back = standins.calls().length;
    timed('apply (jobs back)', () => tf.ok(['apply', '-auto-approve', ...varArgs]));
    expect(callsSince(back)).toContain('pvesh delete /cluster/backup/deploy-daily-2');
    expect(installed()).toEqual(reviewHostFiles());
  });

  it('destroys: removes every file it installed and the Proxmox entries, and nothing else', () => {
    const mark = standins.calls().length;
    const r = timed('destroy', () => tf.ok(['destroy', '-auto-approve', ...varArgs]));
    expect(r.stdout).toMatch(/Destroy complete! Resources: 5 destroyed\./);
    expect([...callsSince(mark)].sort()).toEqual(
      [
        'pvesh get /cluster/backup/deploy-daily',
        'pvesh delete /cluster/backup/deploy-daily',
        'pvesh get /cluster/backup/deploy-weekly',
        'pvesh delete /cluster/backup/deploy-weekly',
        'pvesh get /storage/backup-disk',
        'pvesm remove backup-disk',
        'systemctl disable --now mnt-nas\\x2dbackups.mount',
        'systemctl daemon-reload',
      ].sort(),
    );
    // only folders are left besides the unrelated files
    expect([...installed().keys()]).toEqual([]);
    // and no kept removal: each removal forgets its own
    expect([...readTree(root).keys()].filter((f) => f.startsWith('var/lib/backup-constructs/'))).toEqual([]);
    expectUnrelatedIntact();
    expect(tf.stateList()).toEqual([]);
  });

  it('fails the apply with Terraform\'s error when the host is unreachable, and leaves the installed files and entries alone', async () => {
    timed('apply (fresh, before the host goes away)', () => tf.ok(['apply', '-auto-approve', ...varArgs]));
    const before = installed();
    expect(before).toEqual(reviewHostFiles());
    const inodes = [...before.keys()].map(inode);
    const addresses = tf.stateList();

    await sshd.stop();
    synth({ dailyTime: '04:30' });
    const mark = standins.calls().length;
    const r = timed('apply (host unreachable)', () => tf.run('apply', '-auto-approve', ...varArgs));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Error: remote-exec provisioner error/);
    expect(r.stderr).toMatch(new RegExp(`timeout - last error: dial tcp 127\\.0\\.0\\.1:${sshd.port}: connect: connection refused`));
    expect(r.ms).toBeLessThan(30_000);
    expect(callsSince(mark)).toEqual([]);
    expect(installed()).toEqual(before);
    expect([...before.keys()].map(inode)).toEqual(inodes);
    expectUnrelatedIntact();
    expect(tf.stateList()).toEqual(addresses);

    // once the host is back, the same change is still pending and goes through
    await sshd.resume();
    const planFile = path.join(dir, 'retry.tfplan');
    tf.ok(['plan', '-detailed-exitcode', `-out=${planFile}`, ...varArgs], [2]);
    // the failed new version is tainted and the old one kept (deposed): retrying replaces the
    // one and drops the other, and touches nothing else but the sweep
    const daily = address('deploy-test/Daily/Install-pve');
    const sweep = address('deploy-test/Pve/Sweep');
    const changes = tf.showPlan(planFile).resource_changes!;
    expect(changes.filter((c) => c.address !== daily && c.address !== sweep).map((c) => c.change.actions.join(','))).toEqual(['no-op', 'no-op', 'no-op']);
    // the sweep did not run either: it follows every install of the host
    expect(changes.filter((c) => c.address === sweep).map((c) => c.change.actions.join(','))).toEqual(['create,delete']);
    expect(changes.filter((c) => c.address === daily).flatMap((c) => c.change.actions)).toEqual(expect.arrayContaining(['create', 'delete']));
    timed('apply (host back)', () => tf.ok(['apply', '-input=false', '-no-color', planFile]));
    expect(callsSince(mark).pop()).toMatch(/^pvesh (set|create) .*--schedule 04:30 /);
    expect(installed()).toEqual(reviewHostFiles());
  });

  // Only content replaces a resource (terraform_data): a new port is taken into the resources'
  // input in place, for the next install and removal, and nothing is installed or removed now,
  // so a port where nothing listens cannot break the host's installed state.
  it('leaves the installed files and entries alone when only the SSH port changes to one where nothing listens', () => {
    const before = installed();
    expect(before).toEqual(reviewHostFiles());
    const inodes = [...before.keys()].map(inode);
    synth({ dailyTime: '04:30', port: deadPort });
    const mark = standins.calls().length;
    const r = timed('apply (port changed to a dead one)', () => tf.run('apply', '-auto-approve', ...varArgs));
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/Apply complete! Resources: 0 added, 5 changed, 0 destroyed\./);
    expect(callsSince(mark)).toEqual([]);
    expect(installed()).toEqual(before);
    expect([...before.keys()].map(inode)).toEqual(inodes);
    // the new port is what the next run would connect to, and nothing more is pending
    expect(tf.run('plan', '-detailed-exitcode', ...varArgs).status).toBe(0);
  });
});
