import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { SyncError } from '../sync/errors';

/**
 * Where a webhook may point. Only http(s), no credentials in the URL, and no address inside the
 * server's own networks unless ALERTS_ALLOW_PRIVATE_NETWORK=true (a relay on the same host is a
 * real setup): loopback, private, unique-local, carrier-grade NAT. Link-local addresses
 * (169.254.0.0/16, where cloud metadata services answer, and fe80::/10) and unspecified,
 * broadcast or multicast ones are always refused. The host is resolved and every address it
 * resolves to is checked, when the channel is added and again before each delivery.
 */

export const MAX_URL_LENGTH = 2048;

const ALWAYS_REFUSED = new Set(['linkLocal', 'unspecified', 'broadcast', 'multicast', 'reserved']);
const PRIVATE = new Set(['loopback', 'private', 'uniqueLocal', 'carrierGradeNat']);

const refuse = (message: string) => new SyncError('VALIDATION', message);

/** The IPv4 address a NAT64 (64:ff9b::/96, RFC 6052/6145) or 6to4 (2002::/16) address carries, judged as itself. */
function embeddedIPv4(a: ipaddr.IPv4 | ipaddr.IPv6): string | null {
  if (a.kind() !== 'ipv6') return null;
  const v6 = a as ipaddr.IPv6;
  const range = v6.range();
  const hextets = v6.parts;
  const quad = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  if (range === 'rfc6052' || range === 'rfc6145') return quad(hextets[6]!, hextets[7]!);
  if (range === '6to4') return quad(hextets[1]!, hextets[2]!);
  return null;
}

/** Why `address` may not be reached, or null when it may. */
export function addressProblem(address: string, allowPrivate: boolean): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return `${address} is not an IP address`;
  }
  const embedded = embeddedIPv4(parsed);
  if (embedded) {
    const inner = addressProblem(embedded, allowPrivate);
    return inner && `${address} embeds ${embedded}: ${inner}`;
  }
  const range = parsed.range();
  if (range === 'teredo') return `${address} is a Teredo address, which webhooks may never reach`;
  if (ALWAYS_REFUSED.has(range)) return `${address} is a ${range} address, which webhooks may never reach`;
  if (PRIVATE.has(range) && !allowPrivate) {
    return `${address} is a ${range} address; set ALERTS_ALLOW_PRIVATE_NETWORK=true to allow webhooks inside your network`;
  }
  return null;
}

/** The URL, parsed, when a webhook may be sent to it; a VALIDATION error saying why not otherwise. */
export function parseWebhookUrl(raw: string): URL {
  if (raw.length > MAX_URL_LENGTH) throw refuse(`The URL is longer than ${MAX_URL_LENGTH} characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('The URL is not a valid URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw refuse(`The URL must be http:// or https://, not ${url.protocol}//.`);
  if (url.username || url.password) throw refuse('The URL must not carry a user name or password.');
  if (!url.hostname) throw refuse('The URL has no host.');
  return url;
}

/** Checks every address the URL's host resolves to. */
export async function checkWebhookUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  const url = parseWebhookUrl(raw);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (ipaddr.isValid(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      throw refuse(`The host ${host} does not resolve.`);
    }
  }
  for (const a of addresses) {
    const problem = addressProblem(a, allowPrivate);
    if (problem) throw refuse(`The URL's host ${host} is not allowed: ${problem}.`);
  }
  return url;
}

/** A URL as pages and logs may show it: its origin only, since paths and queries often hold tokens. */
export function maskUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.origin}/…`;
  } catch {
    return '…';
  }
}
