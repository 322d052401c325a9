import { BlockList, isIP, isIPv4 } from 'node:net';

/**
 * Who a request comes from, for per-IP rate limits. Behind a proxy (the web server, an Ingress) the
 * peer is the proxy, and the client is in X-Forwarded-For, which anyone can also write: so the
 * header is read from the right, one hop at a time, only while the hop that handed it over is one
 * of the trusted proxies. The first address not trusted is the client.
 */
export class ClientAddresses {
  private readonly trusted = new BlockList();

  /** `trusted`: addresses and CIDR blocks (`127.0.0.0/8`, `::1`, `10.0.0.0/8`). */
  constructor(trusted: readonly string[]) {
    for (const entry of trusted) {
      const [address, prefix] = entry.split('/') as [string, string | undefined];
      const type = isIPv4(address) ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.trusted.addAddress(address, type);
      else this.trusted.addSubnet(address, Number(prefix), type);
    }
  }

  private isTrusted(address: string): boolean {
    const plain = unmapped(address);
    return isIP(plain) !== 0 && this.trusted.check(plain, isIPv4(plain) ? 'ipv4' : 'ipv6');
  }

  /** The client's address: the peer, or the hop in X-Forwarded-For that a trusted proxy vouched for. */
  of(peer: string, forwardedFor: string | string[] | undefined): string {
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
      .split(',')
      .map((hop) => hop.trim())
      .filter(Boolean);
    let client = peer;
    while (this.isTrusted(client) && hops.length > 0) {
      const next = hops.pop()!;
      // Something that is not an address cannot be the client; the proxy that passed it on is.
      if (isIP(unmapped(next)) === 0) break;
      client = next;
    }
    return unmapped(client);
  }
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) is 1.2.3.4. */
const unmapped = (address: string) => (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address);

/**
 * The rate-limit key of an address: an IPv4 address as it is, an IPv6 address by its /64, which is
 * what one subscriber (one home, one server) gets: limiting each of its 2^64 addresses apart would
 * limit nothing.
 */
export function addressKey(address: string): string {
  if (isIPv4(address) || isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::') as [string, string?];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::1.2.3.4) sits in the last 32 bits, beyond the /64 kept here.
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}
