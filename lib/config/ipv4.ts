/** IPv4 arithmetic for the config rules: address ranges, overlap, containment, private ranges. */

const ADDRESS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as a number, or undefined when it is not a dotted IPv4 address. */
export function ipv4Number(address: string): number | undefined {
  const match = ADDRESS.exec(address);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  return octets.every((octet) => octet <= 255) ? octets.reduce((n, octet) => n * 256 + octet, 0) : undefined;
}

export function isIpv4Address(value: string): boolean {
  return ipv4Number(value) !== undefined;
}

/** First and last address of a CIDR block (host bits ignored). */
export function cidrRange(cidr: string): [number, number] {
  const [address, prefix] = cidr.split('/');
  const base = ipv4Number(address) ?? 0;
  const size = 2 ** (32 - Number(prefix));
  const start = base - (base % size);
  return [start, start + size - 1];
}

export function cidrsOverlap(a: string, b: string): boolean {
  const [aStart, aEnd] = cidrRange(a);
  const [bStart, bEnd] = cidrRange(b);
  return aStart <= bEnd && bStart <= aEnd;
}

export function cidrContains(cidr: string, address: string): boolean {
  const n = ipv4Number(address);
  if (n === undefined) return false;
  const [start, end] = cidrRange(cidr);
  return n >= start && n <= end;
}

/**
 * Ranges that are never reachable on the internet: RFC 1918 private networks, shared address space (RFC 6598),
 * loopback, link-local, "this network", and multicast/reserved. An address here only works over a private path.
 */
const NON_PUBLIC = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '0.0.0.0/8', '224.0.0.0/3'];

export function isPublicIpv4(address: string): boolean {
  return isIpv4Address(address) && !NON_PUBLIC.some((range) => cidrContains(range, address));
}
