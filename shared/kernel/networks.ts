/**
 * IPv4 and IPv6 addresses and networks (CIDRs) as numbers: what a token's `allowedCidrs`
 * are written in, and how a caller's address is judged against them. An IPv4-mapped IPv6
 * address (`::ffff:127.0.0.1`, what a dual-stack socket reports for an IPv4 client) is
 * its IPv4 address, so one network written in IPv4 covers it.
 */

let net: typeof import('node:net') | undefined;
/**
 * 4 or 6 for an IPv4 or IPv6 address, 0 for anything else (node:net's `isIP`). Taken from
 * the process's own copy of node:net when first asked: an `import` of it would also build
 * its ES module wrapper during every function's init, for a check made per request.
 */
export function isIP(text: string): number {
  net ??= process.getBuiltinModule('node:net');
  return net.isIP(text);
}

/** The most networks a token may be restricted to. */
export const MAX_ALLOWED_CIDRS = 20;

/** A network: its family's width in bits, its first address as a number, and its prefix length. */
interface Network {
  bits: 32 | 128;
  base: bigint;
  prefix: number;
}

export function ipv4Value(address: string): bigint {
  return address.split('.').reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n);
}

/** The 128 bits of an IPv6 address; the URL parser writes it canonically (hex words, no dotted tail) first. */
export function ipv6Value(address: string): bigint {
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const words = (text: string) => (text === '' ? [] : text.split(':'));
  const left = words(head);
  const right = tail === undefined ? [] : words(tail);
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((value, word) => (value << 16n) | BigInt(parseInt(word, 16)), 0n);
}

/** The 96 bits before an IPv4-mapped address's IPv4 (`::ffff:0:0/96`). */
const MAPPED_PREFIX = 0xffffn;
const LOW_32 = 0xffffffffn;

function ipv4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** RFC 5952 text of 128 bits, by the URL parser (lower case, the longest run of zero words as `::`). */
function ipv6Text(value: bigint): string {
  const words = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((value >> shift) & 0xffffn).toString(16));
  return new URL(`http://[${words.join(':')}]/`).hostname.slice(1, -1);
}

/** An address as a /32 or /128 network; IPv4-mapped IPv6 as its IPv4 address; undefined when not an address. */
function addressNetwork(text: string): Network | undefined {
  const version = isIP(text);
  if (version === 4) return { bits: 32, base: ipv4Value(text), prefix: 32 };
  if (version !== 6 || text.includes('%')) return undefined;
  const value = ipv6Value(text);
  if (value >> 32n === MAPPED_PREFIX) return { bits: 32, base: value & LOW_32, prefix: 32 };
  return { bits: 128, base: value, prefix: 128 };
}

function networkText({ bits, base, prefix }: Network): string {
  return `${bits === 32 ? ipv4Text(base) : ipv6Text(base)}/${prefix}`;
}

/**
 * A caller's address as written everywhere (events, problems, the authorizer's context):
 * IPv4-mapped IPv6 as IPv4, IPv6 in RFC 5952 form; anything else as given.
 */
export function normaliseAddress(address: string): string {
  const network = addressNetwork(address);
  if (!network) return address;
  return network.bits === 32 ? ipv4Text(network.base) : ipv6Text(network.base);
}

/** A parsed network, or why the text is not one (a message for a 400's field error). */
export type ParsedCidr = { cidr: string } | { problem: string };

/**
 * Reads one network: `address/prefix`, or a bare address for that address alone. Host bits
 * set (`10.1.2.3/8`) are refused rather than cleared: a writer who meant one host and a
 * writer who meant the whole network wrote the same thing, and only they know which; the
 * message names the network the prefix describes.
 */
export function parseCidr(text: string): ParsedCidr {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  const bare = addressNetwork(address);
  const mapped = isIP(address) === 6 && bare?.bits === 32;
  if (!bare || rest.length > 0 || mapped) {
    const why = mapped ? ' (write an IPv4-mapped network as IPv4)' : '';
    return { problem: `'${text}' is not an IPv4 or IPv6 network (address/prefix)${why}` };
  }
  if (prefixText === undefined) return { cidr: networkText(bare) };
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
  if (!(prefix >= 0 && prefix <= bare.bits)) {
    return { problem: `'${text}' has a prefix length that is not 0 to ${bare.bits}` };
  }
  const network = { ...bare, base: (bare.base >> BigInt(bare.bits - prefix)) << BigInt(bare.bits - prefix), prefix };
  if (network.base !== bare.base) {
    return { problem: `'${text}' has host bits set: the network of that prefix is ${networkText(network)}` };
  }
  return { cidr: networkText(network) };
}

/** Networks already read, by their text: the authorizer judges a token's networks on every call. */
const READ_NETWORKS = new Map<string, Network | undefined>();
const NETWORKS_KEPT = 10_000;

function toNetwork(cidr: string): Network | undefined {
  if (READ_NETWORKS.has(cidr)) return READ_NETWORKS.get(cidr);
  const [address = '', prefix = ''] = cidr.split('/');
  const parsed = addressNetwork(address);
  const network = parsed && { ...parsed, prefix: Number(prefix) };
  if (READ_NETWORKS.size >= NETWORKS_KEPT) READ_NETWORKS.clear();
  READ_NETWORKS.set(cidr, network);
  return network;
}

/** Whether `inner` lies wholly within `outer` (same family, at least as long a prefix, same leading bits). */
function inside(inner: Network, outer: Network): boolean {
  if (inner.bits !== outer.bits || inner.prefix < outer.prefix) return false;
  const shift = BigInt(outer.bits - outer.prefix);
  return inner.base >> shift === outer.base >> shift;
}

/** Whether an address lies in one of the networks (normalised CIDRs, as stored). */
export function addressAllowed(address: string, cidrs: readonly string[]): boolean {
  const caller = addressNetwork(address);
  return caller !== undefined && cidrs.some((cidr) => withinNetwork(caller, cidr));
}

function withinNetwork(inner: Network, cidr: string): boolean {
  const outer = toNetwork(cidr);
  return outer !== undefined && inside(inner, outer);
}

/** Whether a network (a normalised CIDR) lies within one of `outer`. */
export function cidrWithin(cidr: string, outer: readonly string[]): boolean {
  const inner = toNetwork(cidr);
  return inner !== undefined && outer.some((candidate) => withinNetwork(inner, candidate));
}
