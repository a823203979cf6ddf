import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { PveStorage, Retention } from '../../constructs';
import { testSite } from '../helpers/fixtures';
import { resourcesOf, reviewOf, synthJson } from '../helpers/synth';
import { errorOf } from '../helpers/process-group';
import { pveCfgCheck, tempDir } from '../helpers/tools';

function checkCfg(files: Map<string, { content: string }>): void {
  const dir = tempDir();
  const storage = path.join(dir, 'storage.cfg');
  fs.writeFileSync(storage, files.get('pve/pve/storage.cfg')!.content);
  const r = pveCfgCheck(['storage', storage]);
  expect(r.output).toMatch(/^ok: \d+ sections/);
  fs.writeFileSync(path.join(dir, 'cmds.txt'), files.get('pve/pve/commands.txt')!.content);
  const c = pveCfgCheck(['cmd', path.join(dir, 'cmds.txt'), '--storage-cfg', storage]);
  expect(c.output).toMatch(/^ok: \d+ commands/m);
  expect(c.output).not.toMatch(/error|warning/);
  expect(c.status).toBe(0);
}

describe('PveStorage', () => {
  it('renders an nfs storage with a soft mount by default, as Proxmox writes it', () => {
    const { site, host } = testSite();
    new PveStorage(site, 'Nas', { host, storageId: 'nas', type: 'nfs', server: '10.0.0.150', export: '/volume1/pve', retention: Retention.keepLast(3) });
    const cfg = reviewOf(site).get('pve/pve/storage.cfg')!.content;
    expect(cfg).toBe('nfs: nas\n\texport /volume1/pve\n\tpath /mnt/pve/nas\n\tserver 10.0.0.150\n\tcontent backup\n\toptions soft,timeo=150,retrans=3\n\tprune-backups keep-last=3\n');
    checkCfg(reviewOf(site));
  });

  it('renders every supported type so that the Proxmox checker accepts it', () => {
    const { site, host } = testSite();
    new PveStorage(site, 'Dir', { host, storageId: 'backup-hdd', type: 'dir', path: '/mnt/backup', retention: Retention.keepLast(7), shared: false });
    new PveStorage(site, 'Cifs', { host, storageId: 'smb', type: 'cifs', server: '10.0.0.9', share: 'backups', username: 'svc', passwordFile: '/root/.smb-pass' });
    new PveStorage(site, 'Pbs', { host, storageId: 'pbs', type: 'pbs', server: 'pbs.lan', datastore: 'store1', username: 'backup@pbs!iac', passwordFile: '/root/.pbs-token', fingerprint: Array(32).fill('ab').join(':') });
    new PveStorage(site, 'Zfs', { host, storageId: 'local-zfs', type: 'zfspool', pool: 'rpool/data' });
    const files = reviewOf(site);
    checkCfg(files);
    const cfg = files.get('pve/pve/storage.cfg')!.content;
    expect(cfg).toContain('dir: backup-hdd\n\tpath /mnt/backup\n\tcontent backup\n\tprune-backups keep-last=7\n\tshared 0\n');
    expect(cfg).toContain('zfspool: local-zfs\n\tpool rpool/data\n\tcontent images,rootdir\n');
    expect(cfg).not.toMatch(/password/);
    // the password is read from a file on the host: the reviewer sees where from, in a comment
    // above the command (the apply passes it on pvesm's stdin, tested below)
    const commands = files.get('pve/pve/commands.txt')!.content;
    expect(commands).toContain(`# --password: pvesm reads it from /root/.pbs-token on its stdin when applied, never an argument ps shows\npvesm add pbs pbs `);
    expect(commands).toMatch(/ --username 'backup@pbs!iac'\n/);
    expect(commands).not.toMatch(/^pvesm .*--password/m);
  });

  it('hands a PBS or CIFS password to pvesm on stdin, never as an argument that ps and /proc show (stand-ins)', () => {
    const { site, host } = testSite();
    const dir = tempDir();
    const secretFile = path.join(dir, 'pbs-token');
    fs.writeFileSync(secretFile, 'c7a5a5e4-0b1d-4c4e-9d8e-s3cret\n', { mode: 0o600 });
    new PveStorage(site, 'Pbs', { host, storageId: 'pbs', type: 'pbs', server: 'pbs.lan', datastore: 'store1', username: 'backup@pbs!iac', passwordFile: secretFile });
    const [res] = Object.values(resourcesOf(synthJson(site), 'null_resource')) as any[];
    const install = res.provisioner[0]['remote-exec'].inline[0] as string;
    expect(install).not.toContain('s3cret');
    const lines = install.slice(install.indexOf('if pvesh get /storage/pbs'));
    fs.mkdirSync(path.join(dir, 'bin'));
    // pvesh finds no storage (so pvesm add runs); pvesm records its arguments and what it reads on stdin
    fs.writeFileSync(path.join(dir, 'bin/pvesh'), '#!/bin/sh\nexit 2\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'bin/pvesm'), `#!/bin/sh\nprintf '%s\\n' "$*" >>'${dir}/args'\ncat >>'${dir}/stdin'\n`, { mode: 0o755 });
    const r = spawnSync('sh', ['-c', `set -eu\nR=${dir}\n${lines.slice(0, lines.indexOf('\nown '))}`], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}` } });
    expect(r).toMatchObject({ status: 0, stderr: '' });
    const args = fs.readFileSync(path.join(dir, 'args'), 'utf8');
    expect(args).toMatch(/^add pbs pbs .* --password\n$/);
    expect(args).not.toContain('s3cret');
    expect(fs.readFileSync(path.join(dir, 'stdin'), 'utf8')).toBe('c7a5a5e4-0b1d-4c4e-9d8e-s3cret\n');
  });

  it('tells the reviewer that a PBS storage with a retention needs prune rights for its user and token', () => {
    const { site, host } = testSite();
    const pbs = { host, type: 'pbs' as const, server: 'pbs.lan', datastore: 'store1', username: 'backup@pbs!iac', passwordFile: '/root/.pbs-token' };
    new PveStorage(site, 'Pruned', { ...pbs, storageId: 'pbs-pruned', retention: Retention.keepLast(7) });
    new PveStorage(site, 'Kept', { ...pbs, storageId: 'pbs-kept' });
    const notes = site.model.allFindings().filter((f) => f.rule === 'pbs-prune-rights');
    // only the storage vzdump prunes: without prune-backups nothing needs Datastore.Prune
    expect(notes.map((f) => [f.severity, f.subject])).toEqual([['info', 'test/Pruned']]);
    expect(notes[0].fix).toContain("proxmox-backup-manager acl update /datastore/store1 DatastorePowerUser --auth-id 'backup@pbs'");
    expect(notes[0].fix).toContain("--auth-id 'backup@pbs!iac'");
  });

  it('refuses a username that carries a password, without repeating it', () => {
    const { site, host } = testSite();
    let message = '';
    try {
      new PveStorage(site, 'Pbs', { host, storageId: 'pbs', type: 'pbs', server: 'pbs.lan', datastore: 'store1', username: 'backup@pbs!iac:hunter2hunter2', passwordFile: '/root/.pbs-token' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/\[test\/Pbs\] username: expected a user name without a password \(PBS: user@realm!tokenid; the secret goes in passwordFile\)/);
    expect(message).not.toContain('hunter2');
  });

  it('applies itself with pvesm create-or-update and removes itself on destroy', () => {
    const { site, host } = testSite();
    new PveStorage(site, 'Nas', { host, storageId: 'nas', type: 'nfs', server: '10.0.0.150', export: '/volume1/pve' });
    const json = synthJson(site);
    const [res] = Object.values(resourcesOf(json, 'null_resource')) as any[];
    const install = res.provisioner[0]['remote-exec'].inline[0] as string;
    expect(install).toContain('if pvesh get /storage/nas >/dev/null 2>&1; then\n');
    expect(install).toContain("\n  pvesm set nas --content backup --options soft,timeo=150,retrans=3 --delete prune-backups\nelse\n  pvesm add nfs nas");
    expect(res.triggers.remove_script).toContain('pvesm remove nas');
    expect(res.provisioner[1]['remote-exec']).toEqual({ when: 'destroy', inline: ['${self.triggers.remove_script}'] });
    expect(res.connection).toEqual({ type: 'ssh', host: '${self.triggers.host}', port: '${self.triggers.port}', user: '${self.triggers.user}', private_key: '${file(self.triggers.ssh_key_path)}' });
    expect(res.triggers.ssh_key_path).toBe('${var.ssh_private_key_path}');
  });

  it("clears on update only options the type's Proxmox plugin has (pvesm set --delete of another dies with 'no such option')", () => {
    const { site, host } = testSite();
    new PveStorage(site, 'Dir', { host, storageId: 'backup-hdd', type: 'dir', path: '/mnt/backup' });
    new PveStorage(site, 'Nfs', { host, storageId: 'nas', type: 'nfs', server: '10.0.0.150', export: '/volume1/pve' });
    new PveStorage(site, 'Cifs', { host, storageId: 'smb', type: 'cifs', server: '10.0.0.9', share: 'backups' });
    new PveStorage(site, 'Pbs', { host, storageId: 'pbs', type: 'pbs', server: 'pbs.lan', datastore: 'store1' });
    new PveStorage(site, 'Zfs', { host, storageId: 'local-zfs', type: 'zfspool', pool: 'rpool/data' });
    const json = synthJson(site);
    const cfg = reviewOf(site).get('pve/pve/storage.cfg')!.content;
    // a valid value for each key an update may delete, so the checker judges only whether the type has it
    const sample: Record<string, string> = { shared: '0', is_mountpoint: 'yes', options: 'vers=4.2', 'prune-backups': 'keep-last=1', namespace: 'ns1', fingerprint: Array(32).fill('ab').join(':'), username: 'svc@pbs', content: 'backup' };
    const deleted: Record<string, string[]> = {};
    for (const res of Object.values(resourcesOf(json, 'null_resource')) as any[]) {
      const install = res.provisioner[0]['remote-exec'].inline[0] as string;
      const m = /\n {2}pvesm set (\S+) .*?--delete (\S+)\n/.exec(install);
      if (m) deleted[m[1]] = m[2].split(',');
    }
    expect(deleted).toEqual({
      'backup-hdd': ['prune-backups', 'shared', 'is_mountpoint'],
      nas: ['prune-backups'],
      smb: ['options', 'prune-backups', 'username'],
      pbs: ['prune-backups', 'namespace', 'fingerprint', 'username'],
    });
    // each section with every key its update may delete is still one Proxmox accepts
    const sections = cfg.split('\n\n').map((section) => {
      const id = /^\w+: (\S+)/.exec(section)![1];
      return section.replace(/\n*$/, '') + (deleted[id] ?? []).map((k) => `\n\t${k} ${sample[k]}`).join('') + '\n';
    });
    const file = path.join(tempDir(), 'storage.cfg');
    fs.writeFileSync(file, sections.join('\n'));
    expect(pveCfgCheck(['storage', file]).output).toMatch(/^ok: 5 sections/);
  });

  describe('adopting a storage that exists already', () => {
    /** Runs the storage's apply lines against a storage.cfg, with pvesh/pvesm stand-ins that find the storage. */
    function apply(cfg: string) {
      const { site, host } = testSite();
      new PveStorage(site, 'Nas', { host, storageId: 'nas', type: 'nfs', server: '10.0.0.150', export: '/volume1/pve' });
      const json = synthJson(site);
      const [res] = Object.values(resourcesOf(json, 'null_resource')) as any[];
      const install = res.provisioner[0]['remote-exec'].inline[0] as string;
      const lines = install.slice(install.indexOf('if pvesh get /storage/nas'));
      const dir = tempDir();
      fs.mkdirSync(path.join(dir, 'etc/pve'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'etc/pve/storage.cfg'), cfg);
      fs.mkdirSync(path.join(dir, 'bin'));
      for (const cmd of ['pvesh', 'pvesm']) fs.writeFileSync(path.join(dir, 'bin', cmd), `#!/bin/sh\necho "${cmd} $*" >>"${dir}/calls"\n`, { mode: 0o755 });
      const r = spawnSync('sh', ['-c', `set -eu\nR=${dir}\n${lines.slice(0, lines.indexOf('\nown '))}`], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}` } });
      const calls = fs.existsSync(path.join(dir, 'calls')) ? fs.readFileSync(path.join(dir, 'calls'), 'utf8') : '';
      return { status: r.status, stderr: r.stderr, calls };
    }

    it('updates it when the server, export and path are the ones the program names', () => {
      const r = apply('dir: local\n\tpath /var/lib/vz\n\tcontent iso\n\nnfs: nas\n\texport /volume1/pve\n\tpath /mnt/pve/nas\n\tserver 10.0.0.150\n\tcontent backup\n');
      expect(r).toMatchObject({ status: 0, stderr: '' });
      expect(r.calls).toContain('pvesm set nas');
    });

    it('stops, naming the key, when it is on another server (pvesm set cannot change it)', () => {
      const r = apply('nfs: nas\n\texport /volume1/pve\n\tpath /mnt/pve/nas\n\tserver 100.102.199.111\n\tcontent backup\n');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('storage "nfs: nas" has server 100.102.199.111, the program says 10.0.0.150: Proxmox cannot change it in place');
      expect(r.calls).not.toContain('pvesm set');
    });

    it('stops when a storage of that id has another type', () => {
      const r = apply('dir: nas\n\tpath /mnt/nas\n\tcontent backup\n');
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('storage.cfg has no section "nfs: nas"');
      expect(r.calls).not.toContain('pvesm set');
    });
  });

  it('warns when a backup dir could fill the root filesystem, and takes the mount point it lies under', () => {
    const { site, host } = testSite();
    new PveStorage(site, 'Bare', { host, storageId: 'bare', type: 'dir', path: '/tank/backups/vzdump', retention: Retention.keepLast(2) });
    new PveStorage(site, 'Guarded', { host, storageId: 'guarded', type: 'dir', path: '/tank/backups/other', isMountpoint: '/tank/backups', retention: Retention.keepLast(2) });
    new PveStorage(site, 'Disk', { host, storageId: 'disk', type: 'dir', path: '/mnt/backup', isMountpoint: true, retention: Retention.keepLast(2) });
    new PveStorage(site, 'Local', { host, storageId: 'local-backups', type: 'dir', path: '/var/lib/vz/backups', retention: Retention.keepLast(2) });
    expect(site.model.findings.filter((f) => f.rule === 'mount-guard').map((f) => f.subject)).toEqual(['test/Bare']);
    const files = reviewOf(site);
    const cfg = files.get('pve/pve/storage.cfg')!.content;
    expect(cfg).toContain('dir: guarded\n\tpath /tank/backups/other\n\tcontent backup\n\tis_mountpoint /tank/backups\n');
    expect(cfg).toContain('\tis_mountpoint yes\n');
    checkCfg(files);
    expect(() => new PveStorage(site, 'Rel', { host, storageId: 'rel', type: 'dir', path: '/x', isMountpoint: 'tank' })).toThrow(/\[test\/Rel\] isMountpoint: expected an absolute path/);
    expect(() => new PveStorage(site, 'Elsewhere', { host, storageId: 'elsewhere', type: 'dir', path: '/srv/backups', isMountpoint: '/tank' })).toThrow(/\[test\/Elsewhere\] isMountpoint: expected \/srv\/backups or a folder above it, got \/tank/);
    expect(() => new PveStorage(site, 'Prefix', { host, storageId: 'prefix', type: 'dir', path: '/tank2/backups', isMountpoint: '/tank' })).toThrow(/isMountpoint: expected \/tank2\/backups or a folder above it/);
  });

  it('declares an existing storage without applying anything', () => {
    const { site, host } = testSite();
    const s = PveStorage.existing(site, 'Local', { host, storageId: 'local', medium: 'source-disk' });
    expect(s.dumpDirectory).toBe('/var/lib/vz/dump');
    expect(resourcesOf(synthJson(site), 'null_resource')).toEqual({});
    expect(reviewOf(site).has('pve/pve/storage.cfg')).toBe(false);
  });

  it('fails when an nfs or cifs server is a Tailscale IPv6 address or MagicDNS name', () => {
    const { site, host } = testSite();
    const nfs = { host, type: 'nfs' as const, export: '/v' };
    expect(() => new PveStorage(site, 'A', { ...nfs, storageId: 'a', server: 'fd7a:115c:a1e0::1' })).toThrow(
      /\[test\/A\] server: expected a LAN address, got fd7a:115c:a1e0::1 in the Tailscale IPv6 range fd7a:115c:a1e0::\/48 \(hint: use the LAN address \(backups must not depend on the VPN\) or set allowCgnatServer: true\)/,
    );
    expect(() => new PveStorage(site, 'B', { ...nfs, storageId: 'b', server: 'FD7A:115C:A1E0:0:0:0:0:1' })).toThrow(/\[test\/B\] server: expected a LAN address, got FD7A:115C:A1E0:0:0:0:0:1 in the Tailscale IPv6 range/);
    expect(() => new PveStorage(site, 'C', { ...nfs, storageId: 'c', server: '[fd7a:115c:a1e0::1]' })).toThrow(/\[test\/C\] server: expected a LAN address/);
    expect(() => new PveStorage(site, 'D', { ...nfs, storageId: 'd', server: 'nas.tail1234.ts.net' })).toThrow(
      /\[test\/D\] server: expected a LAN address, got nas\.tail1234\.ts\.net under Tailscale's MagicDNS domain ts\.net/,
    );
    expect(() => new PveStorage(site, 'E', { host, type: 'cifs', storageId: 'e', server: 'nas.tail1234.ts.net', share: 'Backup' })).toThrow(/\[test\/E\] server: expected a LAN address/);
    expect(() => new PveStorage(site, 'F', { ...nfs, storageId: 'f', server: 'nas.tail1234.ts.net', allowCgnatServer: true })).not.toThrow();
    expect(() => new PveStorage(site, 'G', { ...nfs, storageId: 'g', server: 'fd7a:115c:a1e0::1', allowCgnatServer: true })).not.toThrow();
    expect(() => new PveStorage(site, 'H', { ...nfs, storageId: 'h', server: 'fd00::150' })).not.toThrow();
  });

  it('fails when an nfs server is in the Tailscale/CGNAT range', () => {
    const { site, host } = testSite();
    expect(() => new PveStorage(site, 'Nas', { host, storageId: 'nas', type: 'nfs', server: '100.102.199.111', export: '/v' })).toThrow(
      /\[test\/Nas\] server: expected a LAN address, got 100\.102\.199\.111 in the Tailscale\/CGNAT range 100\.64\.0\.0\/10 \(hint: use the LAN address/,
    );
    expect(() => new PveStorage(site, 'Nas2', { host, storageId: 'nas2', type: 'nfs', server: '100.102.199.111', export: '/v', allowCgnatServer: true })).not.toThrow();
  });

  it('fails when a storage id is declared twice on one host, naming storageId (not id), and lets another host use it', () => {
    const { site, host } = testSite();
    const props = { host, storageId: 'nas-backups', type: 'nfs' as const, server: '10.0.0.150', export: '/volume1/backups' };
    new PveStorage(site, 'Nas', props);
    expect(() => new PveStorage(site, 'Nas2', { ...props, export: '/volume1/other' })).toThrow(
      /^\[test\/Nas2\] storageId: target "pve-storage:pve:nas-backups" is already registered in site test by test\/Nas \(hint: a storage id is unique on a host: declare nas-backups once and pass that PveStorage to every job, or name another storage\)$/,
    );
  });

  it('fails when a dir storage has no path, saying it is required and what to add', () => {
    const { site, host } = testSite();
    expect(errorOf(() => new PveStorage(site, 'D', { host, storageId: 'd', type: 'dir' }))).toBe(
      "[test/D] path: required: expected the folder backups go to (dir storage needs it), got nothing (hint: add path: '/mnt/backup', the backup disk's mount point)",
    );
  });

  it('fails when an nfs storage has no server or export, saying what to add for each', () => {
    const { site, host } = testSite();
    expect(errorOf(() => new PveStorage(site, 'N', { host, storageId: 'n', type: 'nfs' }))).toBe(
      "[test/N] server: required: expected the host name or IP address of the server (nfs storage needs it), got nothing (hint: add server: '10.0.0.150', the server's LAN address)\n" +
        "[test/N] export: required: expected the folder the NFS server exports (nfs storage needs it), got nothing (hint: add export: '/volume1/backups' (showmount -e <server> lists them))",
    );
  });

  it('fails when the storage id has a space or the type is not a storage type, saying what to write', () => {
    const { site, host } = testSite();
    expect(errorOf(() => new PveStorage(site, 'A', { host, storageId: 'Backup HDD', type: 'dir', path: '/mnt/backup' }))).toBe(
      '[test/A] storageId: expected a storage id of letters, digits, - _ . (starting with a letter), got "Backup HDD" (hint: write it as \'backup-hdd\')',
    );
    expect(errorOf(() => new PveStorage(site, 'B', { host, storageId: 'b', type: 'vm' } as never))).toBe(
      '[test/B] type: invalid option: expected one of "dir"|"nfs"|"pbs"|"zfspool"|"cifs", got "vm" (hint: dir for a folder on a disk of the host, nfs or cifs for a NAS share, pbs for a Proxmox Backup Server, zfspool for a ZFS pool (guest disks, not backups))',
    );
  });

  it('fails when a storage path is / (backups on the root filesystem), or / is named as the mount point guarding it', () => {
    const { site, host } = testSite();
    expect(errorOf(() => new PveStorage(site, 'Root', { host, storageId: 'root', type: 'dir', path: '/' }))).toBe(
      "[test/Root] path: expected the folder of the backup disk, not /: backups there fill the root filesystem and the host stops (hint: use the backup disk's mount point, e.g. path: '/mnt/backup' with isMountpoint: true)",
    );
    expect(errorOf(() => new PveStorage(site, 'Nfs', { host, storageId: 'nfs', type: 'nfs', server: '10.0.0.150', export: '/v', path: '/' }))).toBe(
      '[test/Nfs] path: expected a mount point for the nfs share other than / (hint: omit path for the default /mnt/pve/nfs)',
    );
    expect(errorOf(() => new PveStorage(site, 'Guard', { host, storageId: 'guard', type: 'dir', path: '/srv/backup', isMountpoint: '/' }))).toMatch(/^\[test\/Guard\] isMountpoint: expected the mount point of the backup disk, not \/ \(always mounted, so it guards nothing\)/);
  });

  it('fails when a field belongs to another storage type', () => {
    const { site, host } = testSite();
    expect(() => new PveStorage(site, 'D', { host, storageId: 'd', type: 'dir', path: '/x', export: '/y' })).toThrow(/export: only applies to nfs storage, not dir/);
  });

  it('fails when shared is set on a storage type without the option (pvesm add nfs --shared is refused)', () => {
    const { site, host } = testSite();
    expect(() => new PveStorage(site, 'N', { host, storageId: 'n', type: 'nfs', server: '10.0.0.150', export: '/volume1/pve', shared: true })).toThrow(/\[test\/N\] shared: only applies to dir storage, not nfs/);
  });

  it('fails when the storage id or a path is malformed, listing every problem', () => {
    const { site, host } = testSite();
    let message = '';
    try {
      new PveStorage(site, 'D', { host, storageId: '1bad id', type: 'dir', path: 'relative' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/\[test\/D\] storageId: expected a storage id .*got "1bad id"/);
    expect(message).toMatch(/\[test\/D\] path: expected an absolute path of letters, digits and _ \. @ \+ , : = - .*, got "relative"/);
  });

  it('fails when a value would split or change its storage.cfg line (newline, space, shell characters)', () => {
    const { site, host } = testSite();
    const nfs = { host, type: 'nfs' as const, server: '10.0.0.150', export: '/volume1/b' };
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['server', { ...nfs, server: '10.0.0.150\n\tpath /etc' }, /server: expected a host name or IP address, got "10\.0\.0\.150\\n\\tpath \/etc"/],
      ['server', { ...nfs, server: '$(reboot)' }, /server: expected a host name or IP address/],
      ['pool', { host, type: 'zfspool', pool: 'tank\n\tsparse 1' }, /pool: expected a ZFS pool or dataset such as rpool\/data, got "tank\\n\\tsparse 1"/],
      ['datastore', { host, type: 'pbs', server: 'pbs.lan', datastore: 'ds;x\ny' }, /datastore: expected a PBS datastore name of 3-32 letters/],
      ['namespace', { host, type: 'pbs', server: 'pbs.lan', datastore: 'store1', namespace: 'a b' }, /namespace: expected a PBS namespace such as pve\/colo, got "a b"/],
      ['share', { host, type: 'cifs', server: '10.0.0.9', share: 'backups\n\tpath /etc' }, /share: expected a share name such as Backup/],
      ['export', { ...nfs, export: '/volume1/../etc' }, /export: expected a path written one way/],
      ['path', { host, type: 'dir', path: '/mnt/backup/' }, /path: expected a path without a trailing slash, got "\/mnt\/backup\/"/],
    ];
    cases.forEach(([field, props, message], i) => {
      const error = errorOf(() => new PveStorage(site, `S${i}`, { storageId: `s${i}`, ...props } as never));
      expect(error).toMatch(new RegExp(`\\[test\\/S${i}\\] ${field}: `));
      expect(error).toMatch(message);
    });
  });

  it('fails when nfs mount options would drop the soft mount (an empty list mounts hard)', () => {
    const { site, host } = testSite();
    const nfs = { host, type: 'nfs' as const, server: '10.0.0.150', export: '/volume1/b' };
    expect(() => new PveStorage(site, 'A', { ...nfs, storageId: 'a', mountOptions: [] })).toThrow(
      /\[test\/A\] mountOptions: expected a soft mount, got no options: without 'soft' Linux mounts hard \(the nfs\(5\) default\), which hangs the hypervisor when the NFS server is off \(hint: add 'soft' with timeouts, mountOptions: \['soft', 'timeo=150', 'retrans=3'\], or omit mountOptions for the default soft,timeo=150,retrans=3\)/,
    );
    expect(() => new PveStorage(site, 'B', { ...nfs, storageId: 'b', mountOptions: ['hard', 'timeo=150'] })).toThrow(/\[test\/B\] mountOptions: expected a soft mount, got hard,timeo=150: 'hard' hangs the hypervisor/);
    expect(() => new PveStorage(site, 'C', { ...nfs, storageId: 'c', mountOptions: ['soft', 'vers=4.1'] })).not.toThrow();
  });

  it('fails when nfs mount options leave out soft, which Linux then mounts hard', () => {
    const { site, host } = testSite();
    const nfs = { host, type: 'nfs' as const, server: '10.0.0.150', export: '/volume1/b' };
    expect(() => new PveStorage(site, 'A', { ...nfs, storageId: 'a', mountOptions: ['timeo=150', 'retrans=3'] })).toThrow(
      /\[test\/A\] mountOptions: expected a soft mount, got timeo=150,retrans=3: without 'soft' Linux mounts hard .*\(hint: add 'soft' with timeouts, mountOptions: \['soft', 'timeo=150', 'retrans=3'\]/,
    );
    expect(() => new PveStorage(site, 'B', { ...nfs, storageId: 'b', mountOptions: ['vers=4.1'] })).toThrow(
      /\[test\/B\] mountOptions: expected a soft mount, got vers=4\.1: .*\(hint: add 'soft' with timeouts, mountOptions: \['soft', 'timeo=150', 'retrans=3', 'vers=4\.1'\]/,
    );
    expect(() => new PveStorage(site, 'C', { ...nfs, storageId: 'c', mountOptions: ['softerr', 'timeo=150', 'retrans=3'] })).not.toThrow();
  });

  it('fails when nfs mount options say hard, even with bg (which only backgrounds the first mount)', () => {
    const { site, host } = testSite();
    const nfs = { host, type: 'nfs' as const, server: '10.0.0.150', export: '/volume1/b' };
    expect(() => new PveStorage(site, 'A', { ...nfs, storageId: 'a', mountOptions: ['hard', 'bg', 'timeo=150'] })).toThrow(
      /\[test\/A\] mountOptions: expected a soft mount, got hard,bg,timeo=150: 'hard' hangs the hypervisor when the NFS server is off \('bg' only backgrounds the first mount attempt\) \(hint: add 'soft' with timeouts, mountOptions: \['soft', 'retrans=3', 'bg', 'timeo=150'\]/,
    );
    expect(() => new PveStorage(site, 'B', { ...nfs, storageId: 'b', mountOptions: ['soft', 'hard'] })).toThrow(/\[test\/B\] mountOptions: expected a soft mount, got soft,hard/);
  });

  it('fails when an option is unknown', () => {
    const { site, host } = testSite();
    expect(() => new PveStorage(site, 'D', { host, storageId: 'd', type: 'dir', path: '/x', maxfiles: 3 } as never)).toThrow(/\[test\/D\] maxfiles: not a known option \(hint: Proxmox replaced maxfiles with prune-backups: use retention: Retention\.keepLast\(n\); known options here: .*\bretention\b/);
  });

  it('fails when zfspool is asked to hold backups', () => {
    const { site, host } = testSite();
    expect(() => new PveStorage(site, 'Z', { host, storageId: 'z', type: 'zfspool', pool: 'rpool', content: ['backup'] })).toThrow(/content: zfspool storage cannot hold backups/);
  });
});

describe('two storages over one folder', () => {
  it('are refused: each would prune the other\'s archives by its own retention', () => {
    const { site, host } = testSite();
    new PveStorage(site, 'A', { host, storageId: 'a', type: 'dir', path: '/mnt/b', isMountpoint: true, retention: Retention.keepLast(7) });
    expect(() => new PveStorage(site, 'B', { host, storageId: 'b', type: 'dir', path: '/mnt/b', isMountpoint: true, retention: Retention.keepLast(1) })).toThrow(
      "[test/B] path: expected a folder no other storage on pve uses, got /mnt/b, which overlaps /mnt/b of storage a (test/A): each would prune the other's archives in /mnt/b/dump (hint: pass a's PveStorage to the jobs instead of declaring the folder twice, or give this storage a folder of its own)",
    );
    // another folder, or the same folder on another host, is fine
    expect(() => new PveStorage(site, 'C', { host, storageId: 'c', type: 'dir', path: '/mnt/c', isMountpoint: true, retention: Retention.keepLast(1) })).not.toThrow();
  });
});
