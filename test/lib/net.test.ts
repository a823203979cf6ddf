import { z } from 'zod';
import { checkProps } from '../../lib/errors';
import { hostAddress, parseIPv6, tailscaleAddress } from '../../lib/net';
import { errorOf } from '../helpers/process-group';

describe('hostAddress', () => {
  const schema = z.object({ address: hostAddress('expected a host name or IP address', { user: 'user', port: 'port' }) });
  const check = (address: string) => errorOf(() => checkProps('home/H', schema, { address }));

  it.each(['10.0.0.5', '255.255.255.255', '0.0.0.0', 'pve', 'nas.lan', 'pve-01.example.com', 'fd00::1', '[fd00::1]', '::1', '2001:db8:0:0:0:0:0:1'])('accepts %s', (address) => {
    expect(schema.safeParse({ address }).success).toBe(true);
  });

  it('fails when an IPv4-looking address has a number above 255 or not four numbers, naming the bad number', () => {
    expect(check('192.0.2.300')).toBe('[home/H] address: expected an IPv4 address of four numbers from 0 to 255, got "192.0.2.300" (hint: 300 is above 255: copy the address again (ip -br addr on the machine shows it))');
    expect(check('192.168.1')).toBe('[home/H] address: expected an IPv4 address of four numbers from 0 to 255, got "192.168.1" (hint: an IPv4 address is four numbers from 0 to 255 with dots between, e.g. 192.168.1.10)');
    expect(check('10.0.0.1.')).toMatch(/expected an IPv4 address/);
  });

  it('fails on a number with a leading zero, which the resolver reads as octal (192.168.001.010 reaches 192.168.1.8)', () => {
    expect(check('192.168.001.010')).toBe(
      '[home/H] address: expected an IPv4 address of four numbers from 0 to 255, got "192.168.001.010" (hint: write 1, not 001; 10, not 010: a leading 0 makes the resolver read the number as octal, another address)',
    );
    expect(schema.safeParse({ address: '10.0.0.0' }).success).toBe(true);
  });

  it('fails when an IPv6 address does not parse', () => {
    expect(check('fd00:::1')).toMatch(/^\[home\/H\] address: expected a well-formed IPv6 address, got "fd00:::1" \(hint: /);
    expect(check('1:2:3:4:5:6:7:8:9')).toMatch(/expected a well-formed IPv6 address/);
  });

  it('points out a port, a user or a scheme written into the address', () => {
    expect(check('nas:22')).toBe("[home/H] address: expected a host name or IP address, got \"nas:22\" (hint: the port goes in its own prop (port: 22): write the address alone, 'nas')");
    expect(check('root@10.0.0.5')).toMatch(/\(hint: the user goes in its own prop \(user: 'root'\): write the address alone, '10\.0\.0\.5'\)$/);
    expect(check('ssh://pve.lan:22')).toMatch(/\(hint: the host alone, without the scheme, e.g. 'pve\.lan'\)$/);
    expect(check('ssh://root@10.0.0.7')).toMatch(/\(hint: the host alone, without the scheme, e.g. '10\.0\.0\.7'\)$/);
  });

  it('names the props the construct really has for a port or user, and none where it has none', () => {
    const bare = z.object({ server: hostAddress('expected a host name or IP address') });
    const message = (server: string) => errorOf(() => checkProps('home/S', bare, { server }));
    expect(message('10.0.0.150:2049')).toMatch(/\(hint: a port is not part of the address here: write the address alone, '10\.0\.0\.150'\)$/);
    expect(message('admin@nas')).toMatch(/\(hint: a user is not part of the address here: write the address alone, 'nas'\)$/);
  });
});

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
