import { ipv4Value, ipv6Value, isIP } from '../kernel/networks.js';

/**
 * Which network addresses the service may fetch an issuer's discovery document and keys
 * from: public ones only. Everything else (loopback, private, shared CGNAT space,
 * link-local with the cloud metadata services, documentation, multicast, reserved) is a
 * way into the service's own network, e.g. the Lambda Runtime API on 127.0.0.1:9001 or
 * the instance metadata on 169.254.169.254 and fd00:ec2::254. IPv6 forms that carry an
 * IPv4 address (mapped, NAT64, 6to4) are judged by that IPv4 address.
 */

/** What the deployment allows beyond public addresses: loopback, for local development only. */
export interface AddressRules {
  allowLoopback: boolean;
}

type Range = readonly [base: string, prefix: number, what: string];

const IPV4_RANGES: Range[] = [
  ['0.0.0.0', 8, '"this network"'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved for protocols'],
  ['192.0.2.0', 24, 'for documentation'],
  ['192.88.99.0', 24, 'a 6to4 relay'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'for benchmarking'],
  ['198.51.100.0', 24, 'for documentation'],
  ['203.0.113.0', 24, 'for documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

/** Outside global unicast (2000::/3), everything is refused; these are named for the message. */
const IPV6_NAMED: Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fc00::', 7, 'unique local (private)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];
/** Inside global unicast, blocks that are not public. */
const IPV6_SPECIAL: Range[] = [
  ['2001::', 23, 'reserved for protocols (Teredo, benchmarking, ORCHID)'],
  ['2001:db8::', 32, 'for documentation'],
  ['3fff::', 20, 'for documentation'],
];

function within(value: bigint, bits: number, [base, prefix]: Range, parse: (text: string) => bigint): boolean {
  const shift = BigInt(bits - prefix);
  return value >> shift === parse(base) >> shift;
}

function ipv4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** What a non-public address is (for the message), and whether it is this machine's own; undefined when public. */
interface NotPublic {
  what: string;
  loopback: boolean;
}

function classifyIpv4(value: bigint): NotPublic | undefined {
  const range = IPV4_RANGES.find((candidate) => within(value, 32, candidate, ipv4Value));
  return range && { what: range[2], loopback: range[2] === 'loopback' };
}

function classify(address: string): NotPublic | undefined {
  // A zone (fe80::1%eth0) only ever comes with a link-local address.
  const bare = address.split('%')[0]!;
  const version = isIP(bare);
  if (version === 4) {
    const found = classifyIpv4(ipv4Value(bare));
    return found && { ...found, what: `${bare} is ${found.what}` };
  }
  if (version !== 6) return { what: `${address} is not an IP address`, loopback: false };
  const value = ipv6Value(bare);
  const embedded: [Range, bigint][] = [
    [['::ffff:0:0', 96, 'IPv4-mapped'], value & 0xffffffffn],
    [['64:ff9b::', 96, 'NAT64'], value & 0xffffffffn],
    [['2002::', 16, '6to4'], (value >> 80n) & 0xffffffffn],
  ];
  for (const [range, ipv4] of embedded) {
    if (!within(value, 128, range, ipv6Value)) continue;
    const found = classifyIpv4(ipv4);
    return found && { ...found, what: `${bare} is ${range[2]} ${ipv4Text(ipv4)}, ${found.what}` };
  }
  const special = [...IPV6_NAMED, ...IPV6_SPECIAL].find((candidate) => within(value, 128, candidate, ipv6Value));
  if (special) return { what: `${bare} is ${special[2]}`, loopback: special[2] === 'loopback' };
  const globalUnicast = within(value, 128, ['2000::', 3, ''], ipv6Value);
  return globalUnicast ? undefined : { what: `${bare} is reserved`, loopback: false };
}

/** Why an address (v4 or v6, as text) is not one to fetch from; undefined when it is. */
export function addressProblem(address: string, rules: AddressRules): string | undefined {
  const found = classify(address);
  return found && !(found.loopback && rules.allowLoopback) ? found.what : undefined;
}

/** A URL's host as an address, when it is one (`[::1]` included); undefined for a name. */
export function literalAddress(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? undefined : bare;
}

/** Names that always mean this machine (RFC 6761), whatever DNS says. */
export function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Why the service may not fetch this URL; undefined when it may. Checked before every
 * request and again, for names, on the address DNS gives when connecting (issuer-fetch.ts).
 */
export function outboundUrlProblem(url: URL, rules: AddressRules): string | undefined {
  if (url.username || url.password) return 'must have no credentials';
  const address = literalAddress(url.hostname);
  const loopback = address === undefined ? isLoopbackName(url.hostname) : classify(address)?.loopback === true;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback && rules.allowLoopback)) {
    return rules.allowLoopback ? 'must be an https URL (plain http only on a loopback host)' : 'must be an https URL';
  }
  if (loopback && !rules.allowLoopback) return `must name a public host: ${url.hostname} is loopback`;
  const problem = address === undefined ? undefined : addressProblem(address, rules);
  return problem && `must name a public host: ${problem}`;
}
