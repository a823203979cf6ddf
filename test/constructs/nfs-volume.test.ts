import { NfsVolume } from '../../constructs';
import { testSite } from '../helpers/fixtures';

describe('NfsVolume', () => {
  const volume = { name: 'x', namespace: 'ns', server: '192.168.1.127', path: '/srv/nfs/x' };

  it('fails when the mount options leave out soft, which Linux then mounts hard', () => {
    const { site } = testSite();
    expect(() => new NfsVolume(site, 'V', { ...volume, mountOptions: ['nfsvers=4.1'] })).toThrow(
      /\[test\/V\] mountOptions: expected a soft mount: without 'soft' Linux mounts hard \(the nfs\(5\) default\), which hangs the dump writing to it instead of failing when the NFS server is off, got \["nfsvers=4\.1"\] \(hint: add 'soft' with timeouts, mountOptions: \['soft', 'timeo=150', 'retrans=3', 'nfsvers=4\.1'\]/,
    );
    expect(() => new NfsVolume(site, 'W', { ...volume, mountOptions: [] })).toThrow(/\[test\/W\] mountOptions: expected a soft mount: without 'soft'/);
  });

  it('fails when the mount options say hard', () => {
    const { site } = testSite();
    expect(() => new NfsVolume(site, 'V', { ...volume, mountOptions: ['hard', 'bg'] })).toThrow(/\[test\/V\] mountOptions: expected a soft mount: 'hard' hangs the dump/);
  });

  it('fails when the server is a Tailscale IPv6 address or MagicDNS name', () => {
    const { site } = testSite();
    expect(() => new NfsVolume(site, 'V', { ...volume, server: 'fd7a:115c:a1e0::1' })).toThrow(
      /\[test\/V\] server: expected a LAN address, not one in the Tailscale IPv6 range fd7a:115c:a1e0::\/48: a Tailscale NFS server stalls every pod/,
    );
    expect(() => new NfsVolume(site, 'W', { ...volume, server: 'nas.tail1234.ts.net' })).toThrow(/\[test\/W\] server: expected a LAN address, not one under Tailscale's MagicDNS domain ts\.net/);
  });

  it('takes a soft list as given', () => {
    const { site } = testSite();
    expect(() => new NfsVolume(site, 'V', { ...volume, mountOptions: ['soft', 'nfsvers=4.1'] })).not.toThrow();
  });
});
