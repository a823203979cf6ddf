import { NfsMount } from '../../constructs';
import { systemdEscapePath } from '../../lib/render/systemd';
import { testSite } from '../helpers/fixtures';
import { reviewOf } from '../helpers/synth';
import { describeWithTool, run } from '../helpers/tools';

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

  it('fails when the server is a Tailscale address', () => {
    const { site, host } = testSite();
    expect(() => new NfsMount(site, 'M', { host, server: '100.102.199.111', export: '/x', mountPoint: '/mnt/x' })).toThrow(
      /\[test\/M\] server: expected a LAN address, not one in the Tailscale\/CGNAT range 100\.64\.0\.0\/10, got "100\.102\.199\.111" \(hint: use the LAN address/,
    );
  });

  it('fails when the mount is hard', () => {
    const { site, host } = testSite();
    expect(() => new NfsMount(site, 'M', { host, server: '10.0.0.150', export: '/x', mountPoint: '/mnt/x', options: ['hard'] })).toThrow(/options: expected a soft mount: 'hard' hangs the hypervisor/);
  });
});

describeWithTool('systemd-escape', 'systemd', 'NfsMount unit names, checked by systemd-escape', () => {
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
