import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { NfsMount, PveStorage } from '../../constructs';
import { systemdEscapePath } from '../../lib/render/systemd';
import { testSite } from '../helpers/fixtures';
import { makeStandins } from '../helpers/standins';
import { resourcesOf, reviewOf, synthJson } from '../helpers/synth';
import { describeWithTool, run, tempDir } from '../helpers/tools';

type Style = 'fstab' | 'mount-unit';

/** The install and remove scripts of one NfsMount in this style, installing under `root` with stand-ins from `bin`. */
function scriptsOf(style: Style, root: string, bin: string): { install: string; remove: string } {
  const { site, host } = testSite({}, { installRoot: root, extraPath: bin });
  new NfsMount(site, 'NasMount', { host, server: '10.0.0.150', export: '/volume1/backups', mountPoint: '/mnt/nas', style });
  const [res] = Object.values(resourcesOf(synthJson(site), 'null_resource')) as any[];
  // Terraform turns $${ into ${ before the script runs
  const unescape = (t: string) => t.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
  return { install: unescape(res.provisioner[0]['remote-exec'].inline[0]), remove: unescape(res.triggers.remove_script) };
}

describe('NfsMount', () => {
  it('adds a managed fstab line with a soft mount and timeouts by default (seed 001)', () => {
    const { site, host } = testSite();
    const m = new NfsMount(site, 'NasMount', { host, server: '10.0.0.150', export: '/volume1/backups/proxmox_backups', mountPoint: '/mnt/nas-backups' });
    expect(m.options).toEqual(['soft', 'timeo=150', 'retrans=3']);
    const fstab = reviewOf(site).get('hosts/pve/etc/fstab')!.content;
    expect(fstab).toBe(
      '# BEGIN backup-constructs test/NasMount\n' +
        '10.0.0.150:/volume1/backups/proxmox_backups /mnt/nas-backups nfs defaults,soft,timeo=150,retrans=3,x-systemd.requires=network-online.target 0 0\n' +
        '# END backup-constructs test/NasMount\n',
    );
  });

  it('two mounts each own their block of /etc/fstab', () => {
    const { site, host } = testSite();
    new NfsMount(site, 'A', { host, server: '10.0.0.150', export: '/a', mountPoint: '/mnt/a' });
    new NfsMount(site, 'B', { host, server: '10.0.0.150', export: '/b', mountPoint: '/mnt/b' });
    expect(reviewOf(site).get('hosts/pve/etc/fstab')!.content.match(/^# BEGIN/gm)).toHaveLength(2);
  });

  it.each([
    ['fstab', 'mount-unit'],
    ['mount-unit', 'fstab'],
  ] as const)('switching from %s to %s hands the mount over: the old version\'s removal neither stops nor disables it', (from, to) => {
    const dir = tempDir();
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/fstab'), '');
    const { bin, calls } = makeStandins(dir);
    const sh = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text, { mode: 0o755 });
      return spawnSync(path.join(dir, name), [], { encoding: 'utf8' });
    };
    const before = scriptsOf(from, root, bin);
    const after = scriptsOf(to, root, bin);
    expect(sh('old-install.sh', before.install).status).toBe(0);
    // create before destroy: the new version is installed, then the old one removed
    expect(sh('new-install.sh', after.install).status).toBe(0);
    const mark = calls().length;
    expect(sh('old-remove.sh', before.remove).status).toBe(0);
    expect(calls().slice(mark).filter((c) => /systemctl (stop|disable)/.test(c))).toEqual([]);
    // destroying the new version later does take the mount down
    expect(sh('new-remove.sh', after.remove).status).toBe(0);
    expect(calls().slice(mark).some((c) => /systemctl (stop|disable --now) mnt-nas\.mount/.test(c))).toBe(true);
  });

  it('fails when two mounts on a host manage one mount point (destroying either would unmount the other\'s)', () => {
    const { site, host } = testSite();
    new NfsMount(site, 'A', { host, server: '10.0.0.150', export: '/a', mountPoint: '/mnt/nas' });
    expect(() => new NfsMount(site, 'B', { host, server: '10.0.0.150', export: '/b', mountPoint: '/mnt/nas', style: 'mount-unit' })).toThrow(
      /\[test\/B\] host: expected unit:mnt-nas\.mount on host pve to be managed by one construct, got a second one: test\/A manages it already/,
    );
  });

  it('fails when a mount point or export carries shell characters (the removal script echoes it inside double quotes)', () => {
    const { site, host } = testSite();
    expect(() => new NfsMount(site, 'M', { host, server: '10.0.0.150', export: '/x', mountPoint: '/mnt/$(reboot)' })).toThrow(
      /\[test\/M\] mountPoint: expected an absolute path of letters, digits and _ \. @ \+ , : = - \(no spaces, quotes or shell characters such as \$ ` ; %\), got "\/mnt\/\$\(reboot\)" \(hint: a folder such as \/mnt\/nas-backups\)/,
    );
    expect(() => new NfsMount(site, 'N', { host, server: '10.0.0.150', export: '/x', mountPoint: '/mnt/a"b' })).toThrow(/\[test\/N\] mountPoint: expected an absolute path of letters/);
    expect(() => new NfsMount(site, 'O', { host, server: '10.0.0.150', export: '/volume1/`id`', mountPoint: '/mnt/o' })).toThrow(/\[test\/O\] export: expected an absolute path of letters.*hint: the server's export path/);
    expect(() => new NfsMount(site, 'P', { host, server: '10.0.0.150', export: '/x', mountPoint: '/mnt/../etc' })).toThrow(/\[test\/P\] mountPoint: expected a path written one way/);
  });

  it('fails when the server is a Tailscale address', () => {
    const { site, host } = testSite();
    expect(() => new NfsMount(site, 'M', { host, server: '100.102.199.111', export: '/x', mountPoint: '/mnt/x' })).toThrow(
      /\[test\/M\] server: expected a LAN address, not one in the Tailscale\/CGNAT range 100\.64\.0\.0\/10, got "100\.102\.199\.111" \(hint: use the LAN address/,
    );
  });

  it('fails when the server is a Tailscale IPv6 address or MagicDNS name', () => {
    const { site, host } = testSite();
    expect(() => new NfsMount(site, 'M', { host, server: '[FD7A:115C:A1E0::1]', export: '/x', mountPoint: '/mnt/x' })).toThrow(
      /\[test\/M\] server: expected a LAN address, not one in the Tailscale IPv6 range fd7a:115c:a1e0::\/48, got "\[FD7A:115C:A1E0::1\]" \(hint: use the LAN address, e\.g\. 10\.0\.0\.150, or set allowCgnatServer: true\)/,
    );
    expect(() => new NfsMount(site, 'N', { host, server: 'nas.tail1234.ts.net', export: '/x', mountPoint: '/mnt/x' })).toThrow(
      /\[test\/N\] server: expected a LAN address, not one under Tailscale's MagicDNS domain ts\.net, got "nas\.tail1234\.ts\.net"/,
    );
    expect(() => new NfsMount(site, 'O', { host, server: 'nas.tail1234.ts.net', export: '/x', mountPoint: '/mnt/o', allowCgnatServer: true })).not.toThrow();
  });

  it('fails when the mount is hard', () => {
    const { site, host } = testSite();
    expect(() => new NfsMount(site, 'M', { host, server: '10.0.0.150', export: '/x', mountPoint: '/mnt/x', options: ['hard'] })).toThrow(/options: expected a soft mount: 'hard' hangs the hypervisor/);
    expect(() => new NfsMount(site, 'N', { host, server: '10.0.0.150', export: '/x', mountPoint: '/mnt/x', options: ['hard', 'bg'] })).toThrow(
      /\[test\/N\] options: expected a soft mount: 'hard' hangs the hypervisor when the NFS server is off \('bg' only backgrounds the first mount attempt\), got \["hard","bg"\] \(hint: add 'soft' with timeouts, options: \['soft', 'timeo=150', 'retrans=3', 'bg'\]/,
    );
  });

  it('fails when the options leave out soft, which Linux then mounts hard', () => {
    const { site, host } = testSite();
    expect(() => new NfsMount(site, 'M', { host, server: '10.0.0.150', export: '/x', mountPoint: '/mnt/x', options: ['defaults'] })).toThrow(
      /\[test\/M\] options: expected a soft mount: without 'soft' Linux mounts hard \(the nfs\(5\) default\), which hangs the hypervisor when the NFS server is off, got \["defaults"\] \(hint: add 'soft' with timeouts, options: \['soft', 'timeo=150', 'retrans=3', 'defaults'\], or omit options for the default soft,timeo=150,retrans=3\)/,
    );
    expect(() => new NfsMount(site, 'N', { host, server: '10.0.0.150', export: '/x', mountPoint: '/mnt/x', options: [] })).toThrow(/\[test\/N\] options: expected a soft mount: without 'soft'/);
    expect(() => new NfsMount(site, 'O', { host, server: '10.0.0.150', export: '/x', mountPoint: '/mnt/o', options: ['soft', 'timeo=600', 'vers=4.1'] })).not.toThrow();
  });
});

describeWithTool('systemd-escape', 'systemd', 'NfsMount unit names, checked by systemd-escape', () => {
  it("fails at synth when a dir storage on the mount is not declared medium 'nas' (seed 001's plan: its tmpdir and 3-2-1 depend on it)", () => {
    const { site, host } = testSite();
    new NfsMount(site, 'Mount', { host, server: '192.168.1.13', export: '/volume1/backups', mountPoint: '/mnt/nas-backups' });
    const dir = new PveStorage(site, 'Backups', { host, storageId: 'nas-backups', type: 'dir', path: '/mnt/nas-backups/proxmox', isMountpoint: '/mnt/nas-backups' });
    expect(dir.medium).toBe('local-disk');
    expect(() => synthJson(site)).toThrow(
      /\[test\/Backups\] medium: expected 'nas' for a dir storage on the NFS mount \/mnt\/nas-backups \(192\.168\.1\.13:\/volume1\/backups, test\/Mount\), got 'local-disk'.*\(hint: medium: 'nas'\)/,
    );
    const ok = testSite();
    new NfsMount(ok.site, 'Mount', { host: ok.host, server: '192.168.1.13', export: '/volume1/backups', mountPoint: '/mnt/nas-backups' });
    new PveStorage(ok.site, 'Backups', { host: ok.host, storageId: 'nas-backups', type: 'dir', path: '/mnt/nas-backups', isMountpoint: true, medium: 'nas' });
    new PveStorage(ok.site, 'Local', { host: ok.host, storageId: 'local-backups', type: 'dir', path: '/mnt/nas-backups-local', isMountpoint: true });
    expect(() => synthJson(ok.site)).not.toThrow();
  });

  it('can be a native mount unit, named as systemd-escape names it', () => {
    const { site, host } = testSite();
    const m = new NfsMount(site, 'U', { host, server: 'nas.lan', export: '/x', mountPoint: '/mnt/nas-backups', style: 'mount-unit' });
    expect(m.unitName).toBe(run('systemd-escape', ['--path', '--suffix=mount', '/mnt/nas-backups']).trim());
    const unit = reviewOf(site).get(`hosts/pve/etc/systemd/system/${m.unitName}`)!.content;
    expect(unit).toContain('[Mount]\nWhat=nas.lan:/x\nWhere=/mnt/nas-backups\nType=nfs\nOptions=soft,timeo=150,retrans=3\n');
  });

  it('escapes paths like systemd-escape', () => {
    for (const p of ['/mnt/nas-backups', '/srv/nfs/a b', '/mnt/.hidden/x', '/mnt/über']) {
      expect(systemdEscapePath(p)).toBe(run('systemd-escape', ['--path', p]).trim());
    }
  });
});
