/**
 * @module core/webhook-url
 * Which webhook URLs Ferry may call. Only http(s) URLs without credentials; and, unless private
 * webhooks are allowed (local mode), only hosts whose every address, IPv4 and IPv6, is public:
 * no loopback, private, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT,
 * unique-local, multicast or reserved ranges, including IPv4 addresses written in IPv6 form.
 *
 * The API checks a URL when a job is created (a clear 400); the webhook function checks it
 * again at connection time through `guardedLookup`, against the addresses it actually
 * connects to, so a DNS answer that changes in between cannot reach a private address.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { FerryError } from './errors.ts';

/** Longest accepted webhook URL, in characters. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** A webhook URL Ferry will not call. The message says why, for a 400 or the job's webhook outcome. */
export class WebhookUrlError extends FerryError {
  override readonly name = 'WebhookUrlError';
  readonly code = 'WEBHOOK_URL_REFUSED';
}

const blocked = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // IPv4-compatible (deprecated)
  ['64:ff9b::', 96], // NAT64: may embed a private IPv4 address
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, ...)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  blocked.addSubnet(network, prefix, 'ipv6');
}

/**
 * True for any address a webhook must not reach in production. IPv4-mapped IPv6 addresses
 * (`::ffff:10.0.0.1`) are judged by their IPv4 address. Anything that is not an IP address
 * counts as private (refuse what cannot be judged).
 */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return blocked.check(bare, 'ipv4');
  if (family === 6) return blocked.check(bare, 'ipv6');
  return true;
}

/** Host names that always mean this machine, whatever DNS says. */
function isLocalName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    name.endsWith('.local') ||
    name.endsWith('.internal')
  );
}

/**
 * Parses a webhook URL and checks its form: http(s) only, no user name or password, at most
 * MAX_WEBHOOK_URL_LENGTH characters. Throws WebhookUrlError naming the problem.
 */
export function parseWebhookUrl(value: string): URL {
  if (value.length > MAX_WEBHOOK_URL_LENGTH) {
    throw new WebhookUrlError(`must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WebhookUrlError('must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new WebhookUrlError(`must use http or https, not ${url.protocol.replace(/:$/, '')}`);
  }
  if (url.username || url.password) throw new WebhookUrlError('must not contain a user name or password');
  if (!url.hostname) throw new WebhookUrlError('must name a host');
  return url;
}

/** The host part of a URL without IPv6 brackets. */
export function urlHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** Resolves every address of a host name (IPv4 and IPv6). */
export type ResolveAll = (hostname: string) => Promise<LookupAddress[]>;

const resolveAll: ResolveAll = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });

/**
 * Throws WebhookUrlError unless every address of the URL's host is public. IP literals are
 * judged directly; names are resolved (all addresses, IPv4 and IPv6). A name that does not
 * resolve at all (ENOTFOUND) is refused too; other DNS errors propagate.
 */
export async function assertPublicHost(url: URL, resolve: ResolveAll = resolveAll): Promise<void> {
  const host = urlHost(url);
  if (isIP(host)) {
    if (isPrivateAddress(host)) throw new WebhookUrlError(`must not point at a private address (${host})`);
    return;
  }
  if (isLocalName(host)) throw new WebhookUrlError(`must not point at a local host name (${host})`);
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') {
      throw new WebhookUrlError(`host ${host} does not resolve`, { cause: error });
    }
    throw error;
  }
  if (addresses.length === 0) throw new WebhookUrlError(`host ${host} does not resolve`);
  const refused = addresses.find((a) => isPrivateAddress(a.address));
  if (refused) throw new WebhookUrlError(`host ${host} resolves to a private address (${refused.address})`);
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `http.request`/`net.connect` that resolves every address of the host and
 * fails the connection if any is private; used for webhook deliveries so the check applies to
 * the addresses actually dialled.
 */
export function guardedLookup(
  hostname: string,
  options: { all?: boolean; family?: number | string } | number,
  callback: LookupCallback,
): void {
  const all: LookupAllOptions = { all: true, verbatim: true };
  dnsLookup(hostname, all, (error, addresses) => {
    if (error) return callback(error, '');
    const refused = isLocalName(hostname) ? addresses[0] : addresses.find((a) => isPrivateAddress(a.address));
    if (refused || addresses.length === 0) {
      const reason = refused ? `resolves to a private address (${refused.address})` : 'does not resolve';
      return callback(new WebhookUrlError(`Webhook host ${hostname} ${reason}`) as NodeJS.ErrnoException, '');
    }
    const wantsAll = typeof options === 'object' && options.all === true;
    if (wantsAll) return callback(null, addresses);
    const first = addresses[0] as LookupAddress;
    return callback(null, first.address, first.family);
  });
}

/**
 * Ports a webhook URL may name. Only the web's own ports by default: any other port would let a
 * client probe which ports answer on a host (a port scan through Ferry). `'any'` in local mode,
 * where receivers listen on random loopback ports.
 */
export type WebhookPorts = readonly number[] | 'any';

export const DEFAULT_WEBHOOK_PORTS: WebhookPorts = [80, 443];

/** FERRY_WEBHOOK_PORTS: comma-separated port numbers, or `*` for any. */
export const WebhookPortsSchema = z
  .string()
  .optional()
  .transform((value, ctx): WebhookPorts => {
    if (value === undefined || value.trim() === '') return DEFAULT_WEBHOOK_PORTS;
    if (value.trim() === '*') return 'any';
    const ports = value.split(',').map((p) => Number(p.trim()));
    if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65_535)) {
      ctx.addIssue({ code: 'custom', message: 'must be comma-separated port numbers (1..65535) or *' });
      return z.NEVER;
    }
    return ports;
  });

/** Throws WebhookUrlError when the URL's port (explicit or the scheme's) is not allowed. */
export function assertAllowedPort(url: URL, ports: WebhookPorts): void {
  if (ports === 'any') return;
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  if (!ports.includes(port)) throw new WebhookUrlError(`must use port ${ports.join(' or ')}, not ${port}`);
}
