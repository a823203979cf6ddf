/** True for an IPv4 address in 100.64.0.0/10 (carrier-grade NAT, used by Tailscale). */
export function isCgnatAddress(address: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address.trim());
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a === 100 && b >= 64 && b <= 127;
}

/** A host name or IPv4/IPv6 address, loosely: what ssh and mount accept. */
export const HOST_ADDRESS_PATTERN = /^(\[[0-9a-fA-F:]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:]+|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/;
