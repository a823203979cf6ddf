import { parseIPv6, tailscaleAddress } from '../../lib/net';

describe('tailscaleAddress', () => {
  it.each([
    ['100.102.199.111', 'in the Tailscale/CGNAT range 100.64.0.0/10'],
    ['fd7a:115c:a1e0::1', 'in the Tailscale IPv6 range fd7a:115c:a1e0::/48'],
    ['FD7A:115C:A1E0:0:0:0:0:1', 'in the Tailscale IPv6 range fd7a:115c:a1e0::/48'],
    ['[fd7a:115c:a1e0::1]', 'in the Tailscale IPv6 range fd7a:115c:a1e0::/48'],
    ['fd7a:115c:a1e0:ab12:4843:cd96:6258:b240', 'in the Tailscale IPv6 range fd7a:115c:a1e0::/48'],
    ['fd7a:115c:a1e0::1%tailscale0', 'in the Tailscale IPv6 range fd7a:115c:a1e0::/48'],
    ['::ffff:100.64.0.1', 'in the Tailscale/CGNAT range 100.64.0.0/10'],
    ['nas.tail1234.ts.net', "under Tailscale's MagicDNS domain ts.net"],
    ['NAS.Tail1234.TS.NET.', "under Tailscale's MagicDNS domain ts.net"],
  ])('finds %s on Tailscale', (address, where) => {
    expect(tailscaleAddress(address)).toBe(where);
  });

  it.each(['10.0.0.150', '100.128.0.1', 'fd7a:115c:a1e1::1', 'fd7a:115c::a1e0:1', '::ffff:100.128.0.1', 'nas.lan', 'nas.its.net', 'fd00::1'])('leaves %s alone', (address) => {
    expect(tailscaleAddress(address)).toBeUndefined();
  });
});

describe('parseIPv6', () => {
  it('expands compressed, bracketed and IPv4-tailed forms', () => {
    expect(parseIPv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('[2001:DB8::1]')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('1:2:3:4:5:6:7::')).toEqual([1, 2, 3, 4, 5, 6, 7, 0]);
    expect(parseIPv6('::ffff:10.0.0.1')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0a00, 1]);
  });

  it.each(['1::2::3', '1:2:3:4:5:6:7:8:9', '::1:2:3:4:5:6:7:8', '1:2:3', '12345::', 'nas.lan', '10.0.0.1', '::ffff:10.0.0.256'])('refuses %s', (address) => {
    expect(parseIPv6(address)).toBeUndefined();
  });
});
