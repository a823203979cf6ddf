import { z } from 'zod';
import { hintedCheck } from './private/zod-helpers';

/** True for an IPv4 address in 100.64.0.0/10 (carrier-grade NAT, used by Tailscale). */
export function isCgnatAddress(address: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address.trim());
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a === 100 && b >= 64 && b <= 127;
}

/**
 * Where an address puts a server on Tailscale, as a phrase for messages (`in the
 * Tailscale/CGNAT range 100.64.0.0/10`), or undefined for any other address.
 *
 * Tailscale gives each node an IPv4 address in 100.64.0.0/10, an IPv6 one in its ULA prefix
 * fd7a:115c:a1e0::/48, and a MagicDNS name under `ts.net`; all three stop answering when the
 * tunnel does. IPv6 is compared numerically, so compressed, expanded, upper-case, bracketed
 * and zone-suffixed forms all count, as does an IPv4-mapped CGNAT address.
 *
 * @see https://tailscale.com/kb/1033/ip-and-dns-addresses
 */
export function tailscaleAddress(address: string): string | undefined {
  const text = address.trim();
  if (isCgnatAddress(text)) return 'in the Tailscale/CGNAT range 100.64.0.0/10';
  const v6 = parseIPv6(text);
  if (v6 && v6[0] === 0xfd7a && v6[1] === 0x115c && v6[2] === 0xa1e0) return 'in the Tailscale IPv6 range fd7a:115c:a1e0::/48';
  // ::ffff:100.64.x.x reaches the same CGNAT address over an IPv6 socket
  if (v6 && v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff && v6[6] >> 6 === (100 << 2) + 1) {
    return 'in the Tailscale/CGNAT range 100.64.0.0/10';
  }
  if (/(^|\.)ts\.net\.?$/i.test(text)) return "under Tailscale's MagicDNS domain ts.net";
  return undefined;
}

/**
 * The eight 16-bit groups of an IPv6 address, or undefined when it is not one. Takes `::`
 * compression, any case, brackets, a zone (`%eth0`) and a dotted IPv4 tail.
 */
export function parseIPv6(address: string): number[] | undefined {
  let text = address.trim();
  const bracketed = /^\[(.*)\]$/.exec(text);
  if (bracketed) text = bracketed[1];
  text = text.replace(/%[A-Za-z0-9_.-]+$/, '');
  const v4 = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const bytes = v4.slice(2).map(Number);
    if (bytes.some((b) => b > 255)) return undefined;
    text = `${v4[1]}${((bytes[0] << 8) | bytes[1]).toString(16)}:${((bytes[2] << 8) | bytes[3]).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return undefined;
  return all.map((g) => parseInt(g, 16));
}

/** A host name or IPv4/IPv6 address, loosely: what ssh and mount accept. */
export const HOST_ADDRESS_PATTERN = /^(\[[0-9a-fA-F:]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:]+|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/;

/** The props a construct has beside its address, for a port or user written into it. */
export interface AddressNeighbours {
  /** The prop that takes the port, if the construct has one. */
  readonly port?: string;
  /** The prop that takes the user name, if the construct has one. */
  readonly user?: string;
}

/** The fix for a value the host-address pattern refuses: a port, a user or a scheme written into it. */
function addressPatternHint(v: string, props: AddressNeighbours): string | undefined {
  const elsewhere = (what: 'port' | 'user', value: string) =>
    props[what] ? `the ${what} goes in its own prop (${props[what]}: ${what === 'port' ? value : `'${value}'`})` : `a ${what} is not part of the address here`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return `the host alone, without the scheme, e.g. '${v.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^[^@/]*@/, '').split(/[/:]/)[0]}'`;
  if (/^[^@\s]+@[^@\s]+$/.test(v)) return `${elsewhere('user', v.split('@')[0])}: write the address alone, '${v.split('@')[1]}'`;
  if (/^[A-Za-z0-9.-]+:\d+$/.test(v)) return `${elsewhere('port', v.split(':')[1])}: write the address alone, '${v.split(':')[0]}'`;
  if (v.trim() !== v && HOST_ADDRESS_PATTERN.test(v.trim())) return `write it without spaces: '${v.trim()}'`;
  return undefined;
}

/** Digits and dots only: no host name looks like that (a top-level domain is never numeric), so it is meant as IPv4. */
const looksIPv4 = (v: string) => /^[\d.]+$/.test(v);
// no leading zeros: the resolver ssh and mount use reads 010 as octal (192.168.001.010 is 192.168.1.8)
const validIPv4 = (v: string) => /^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/.test(v) && v.split('.').every((o) => Number(o) <= 255);
const looksIPv6 = (v: string) => v.includes(':') && /^\[?[0-9A-Fa-f:]+\]?$/.test(v);

function ipv4Hint(v: string): string {
  const parts = v.split('.');
  const high = parts.filter((o) => /^\d+$/.test(o) && Number(o) > 255);
  if (parts.length === 4 && high.length > 0) return `${high.join(' and ')} is above 255: copy the address again (ip -br addr on the machine shows it)`;
  const padded = parts.filter((o) => /^0\d+$/.test(o));
  if (parts.length === 4 && padded.length > 0) {
    return `write ${padded.map((o) => `${Number(o)}, not ${o}`).join('; ')}: a leading 0 makes the resolver read the number as octal, another address`;
  }
  return 'an IPv4 address is four numbers from 0 to 255 with dots between, e.g. 192.168.1.10';
}

/**
 * A host name or IPv4/IPv6 address prop, checked beyond {@link HOST_ADDRESS_PATTERN}: digits and
 * dots must make an IPv4 address (`192.0.2.300` is refused, not left to fail at ssh or mount
 * time) and an IPv6 one must parse; a port, a user or a scheme written into it is pointed out.
 */
export function hostAddress(message: string, neighbours: AddressNeighbours = {}) {
  return z
    .string()
    .check(hintedCheck((v) => HOST_ADDRESS_PATTERN.test(v), message, (v) => addressPatternHint(v, neighbours)))
    .check(...IP_ADDRESS_CHECKS);
}

/**
 * For an address prop with its own pattern: digits and dots must make an IPv4 address, and
 * hex and colons an IPv6 one (`.check(...IP_ADDRESS_CHECKS)`).
 */
export const IP_ADDRESS_CHECKS = [
  hintedCheck<string>((v) => !looksIPv4(v) || validIPv4(v), 'expected an IPv4 address of four numbers from 0 to 255', ipv4Hint),
  hintedCheck<string>((v) => !looksIPv6(v) || parseIPv6(v) !== undefined, 'expected a well-formed IPv6 address', () => 'copy the address again (ip -br addr on the machine shows it), at most one ::'),
];
