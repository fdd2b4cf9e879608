import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  addChannel,
  addressProblem,
  getDelivery,
  listChannels,
  removeChannel,
  sendTestNotification,
  type ChannelView,
} from '../../lib/alerts';
import { isSyncError } from '../../lib/sync';
import type { ChannelKind } from '../../lib/vocabulary';
import { db, rawClient } from '../support/db';
import { captureLogs } from '../support/logs';
import { testActor } from '../support/factories';
import { startHttpReceiver, type HttpReceiver } from '../support/receivers';
import { countOf, createPairs, deliverAll, deliveryOptions, evaluate, resetAlerts } from './support';

/**
 * Hostile input on the channels (lib/alerts/network.ts, addChannelSchema): what is refused is
 * refused with a clear VALIDATION error and nothing saved; secrets and the paths of URLs (where
 * tokens live) never come back out, not in the views, the audit log or the console.
 */

let c: pg.Client;
let http: HttpReceiver;

beforeAll(async () => {
  c = await rawClient();
  http = await startHttpReceiver();
});
afterAll(async () => {
  await http.close();
  await c.end();
});
beforeEach(async () => {
  await resetAlerts(c);
  await c.query(`DELETE FROM audit_events`);
  http.reset();
});

type Input = { kind: ChannelKind; name: string; target: string; secret?: string | null; conditions?: string[] };
const add = (input: Input, allowPrivateNetwork = false) =>
  addChannel(db, input as Parameters<typeof addChannel>[1], testActor, { allowPrivateNetwork });

async function refusal(input: Input, allowPrivateNetwork = false): Promise<string> {
  try {
    await add(input, allowPrivateNetwork);
    return 'accepted';
  } catch (err) {
    return isSyncError(err) ? `${err.code}: ${err.message}` : `UNTYPED: ${(err as Error).message}`;
  }
}

const nothingSaved = async () => {
  expect(await countOf(c, `SELECT 1 FROM notification_channels`)).toBe(0);
  expect(await countOf(c, `SELECT 1 FROM audit_events WHERE action = 'CHANNEL_ADDED'`)).toBe(0);
};
const hook = (target: string): Input => ({ kind: 'WEBHOOK', name: 'hook', target });

describe('where a webhook may point', () => {
  it('refuses loopback and private networks unless allowed', async () => {
    for (const target of [
      'http://127.0.0.1:9/h',
      'http://localhost/h',
      'http://10.0.0.1/h',
      'http://[::1]/h',
      'http://192.168.1.1/h',
      'http://172.16.0.1/h',
      'http://100.64.0.1/h',
      'http://[fc00::1]/h',
      'http://[::ffff:127.0.0.1]/h',
      'http://2130706433/h',
      'http://127.1/h',
    ]) {
      expect(await refusal(hook(target)), target).toMatch(/^VALIDATION: .*ALERTS_ALLOW_PRIVATE_NETWORK=true/);
    }
    await nothingSaved();
    const ok = await add(hook(`${http.origin}/h`), true);
    expect(ok).toMatchObject({ kind: 'WEBHOOK', name: 'hook', target: `${http.origin}/…` });
  });

  it('always refuses link-local (cloud metadata), unspecified, broadcast, multicast and reserved addresses', async () => {
    for (const target of [
      'http://169.254.169.254/latest/meta-data',
      'http://169.254.169.254./latest/meta-data',
      'http://[::ffff:169.254.169.254]/latest/meta-data',
      'http://[fe80::1]/h',
      'http://0.0.0.0/h',
      'http://0/h',
      'http://[::]/h',
      'http://255.255.255.255/h',
      'http://224.0.0.1/h',
      'http://240.0.0.1/h',
    ]) {
      expect(await refusal(hook(target), true), target).toMatch(/^VALIDATION: .*may never reach/);
    }
    await nothingSaved();
  });

  it('judges an IPv6 address that embeds an IPv4 one (NAT64, 6to4) by the IPv4 address', () => {
    // 64:ff9b::a9fe:a9fe is 169.254.169.254 through a NAT64 gateway; 2002:a00:1:: is 10.0.0.1 by 6to4.
    expect(addressProblem('64:ff9b::a9fe:a9fe', true) ?? 'allowed').toMatch(/may never reach/);
    expect(addressProblem('64:ff9b::7f00:1', false) ?? 'allowed').toMatch(/ALERTS_ALLOW_PRIVATE_NETWORK/);
    expect(addressProblem('2002:a00:1::1', false) ?? 'allowed').toMatch(/ALERTS_ALLOW_PRIVATE_NETWORK/);
  });

  it('refuses what is not http(s), credentials in the URL, very long URLs and hosts that do not resolve', async () => {
    const cases: [string, RegExp][] = [
      ['file:///etc/passwd', /http:\/\/ or https:\/\//],
      ['ftp://x', /http:\/\/ or https:\/\//],
      ['javascript:alert(1)', /http:\/\/ or https:\/\//],
      ['gopher://127.0.0.1:25/', /http:\/\/ or https:\/\//],
      ['not a url', /not a valid URL/],
      ['//no-scheme.test/h', /not a valid URL/],
      ['http://user:pass@example.test/h', /user name or password/],
      ['http://user@example.test/h', /user name or password/],
      [`https://example.test/${'a'.repeat(2048)}`, /at most 2048 characters/],
      ['http://does-not-exist.invalid/h', /does not resolve/],
    ];
    for (const [target, message] of cases) {
      const r = await refusal(hook(target), true);
      expect(r.startsWith('VALIDATION: '), `${target.slice(0, 40)}: ${r}`).toBe(true);
      expect(r, target.slice(0, 40)).toMatch(message);
      // The refusal never echoes credentials back.
      expect(r).not.toContain('pass@');
    }
    expect(await refusal({ kind: 'SLACK', name: 'slack', target: 'file:///etc/passwd' }, true)).toMatch(/^VALIDATION/);
    await nothingSaved();
  });
});

describe('the other fields', () => {
  it('refuses email channels without an address', async () => {
    for (const target of [
      'not-an-address',
      'a@',
      '@b.test',
      'a b@c.test',
      'a@b.test\r\nBcc: x@y.test',
      'a@b.test,c@d.test',
      'http://x.test/',
    ]) {
      expect(await refusal({ kind: 'EMAIL', name: 'mail', target }, true), target).toMatch(/^VALIDATION: .*email address/);
    }
    await nothingSaved();
    expect(await add({ kind: 'EMAIL', name: 'mail', target: ' oncall@example.test ' })).toMatchObject({ target: 'oncall@example.test' });
  });

  it('refuses odd names, short secrets, secrets on other kinds, unknown kinds and conditions', async () => {
    const target = `${http.origin}/h`;
    for (const name of [
      '',
      '   ',
      'bad/name',
      'semi;colon',
      '<script>',
      'tab\tname',
      'new\nline',
      'x'.repeat(101),
      'emoji 😀',
      'nul\u0000',
    ]) {
      expect(await refusal({ kind: 'WEBHOOK', name, target }, true), JSON.stringify(name)).toMatch(/^VALIDATION: Invalid input: name /);
    }
    expect(await refusal({ kind: 'WEBHOOK', name: 'hook', target, secret: 'short-secret' }, true)).toMatch(
      /^VALIDATION: Invalid input: secret .*16/,
    );
    expect(await refusal({ kind: 'WEBHOOK', name: 'hook', target, secret: `${'s'.repeat(20)}\u0000` }, true)).toMatch(
      /^VALIDATION: Invalid input: secret/,
    );
    expect(await refusal({ kind: 'SLACK', name: 'hook', target, secret: 'sixteen-chars-secret' }, true)).toMatch(
      /^VALIDATION: Invalid input: secret/,
    );
    expect(await refusal({ kind: 'EMAIL', name: 'mail', target: 'a@b.test', secret: 'sixteen-chars-secret' }, true)).toMatch(/^VALIDATION/);
    expect(await refusal({ kind: 'SMS' as ChannelKind, name: 'hook', target }, true)).toMatch(/^VALIDATION: Invalid input: kind /);
    expect(await refusal({ kind: 'WEBHOOK', name: 'hook', target, conditions: ['NOPE'] }, true)).toMatch(
      /^VALIDATION: Invalid input: conditions/,
    );
    await nothingSaved();
    // Letters of any script, digits, spaces, dots, dashes and underscores are fine.
    expect(await add({ kind: 'WEBHOOK', name: 'Équipe ops_1.2-b', target }, true)).toMatchObject({ name: 'Équipe ops_1.2-b' });
  });

  it('refuses a second channel of the same name, and names no channel that does not exist', async () => {
    await add(hook(`${http.origin}/h`), true);
    expect(await refusal(hook(`${http.origin}/other`), true)).toMatch(/^CONFLICT: .*"hook" exists already/);
    expect(await countOf(c, `SELECT 1 FROM notification_channels`)).toBe(1);
    for (const call of [() => removeChannel(db, 'nope', testActor), () => sendTestNotification(db, 'nope', testActor)]) {
      expect(
        await call().then(
          () => 'accepted',
          (e: unknown) => (isSyncError(e) ? e.code : 'UNTYPED'),
        ),
      ).toBe('NOT_FOUND');
    }
    await removeChannel(db, 'hook', testActor);
    expect(await listChannels(db)).toEqual([]);
  });
});

describe('secrets and tokens stay in', () => {
  const SECRET = 'whsec-super-secret-value-0123456789';
  const TOKEN = 'T0KEN-in-the-path-4242';
  const QUERY = 'qtoken-9876';

  async function channels(origin: string): Promise<ChannelView[]> {
    await add({ kind: 'WEBHOOK', name: 'hook', target: `${origin}/hooks/${TOKEN}?key=${QUERY}`, secret: SECRET }, true);
    await add({ kind: 'SLACK', name: 'slack', target: `${origin}/services/${TOKEN}/B0/${QUERY}` }, true);
    return listChannels(db);
  }
  const leaks = (text: string) => [SECRET, TOKEN, QUERY, '/hooks/', '/services/', 'smtp-password'].filter((s) => text.includes(s));

  it('the views, the audit log and the delivery rows show the origin and whether a secret is set, never the rest', async () => {
    const views = await channels(http.origin);
    expect(views.map((v) => [v.name, v.target, v.hasSecret])).toEqual([
      ['hook', `${http.origin}/…`, true],
      ['slack', `${http.origin}/…`, false],
    ]);
    expect(leaks(JSON.stringify(views))).toEqual([]);
    const { deliveryId } = await sendTestNotification(db, 'hook', testActor);
    http.failAlways(500);
    await deliverAll(db, deliveryOptions(undefined, { retryMs: 0 }));
    expect(leaks(JSON.stringify(await listChannels(db)))).toEqual([]);
    expect(leaks(JSON.stringify(await getDelivery(db, deliveryId)))).toEqual([]);
    await removeChannel(db, 'slack', testActor);
    const audit = (await c.query(`SELECT action, before, after, reason FROM audit_events ORDER BY id`)).rows;
    expect(audit.map((a) => a.action)).toEqual(['CHANNEL_ADDED', 'CHANNEL_ADDED', 'CHANNEL_TESTED', 'CHANNEL_REMOVED']);
    expect(leaks(JSON.stringify(audit))).toEqual([]);
  });

  it('a failing delivery logs no secret, token or URL path, whatever the failure', async () => {
    const logs = captureLogs();
    // A port nothing listens on: connection refused.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    try {
      await channels(http.origin);
      await add({ kind: 'WEBHOOK', name: 'down', target: `http://127.0.0.1:${port}/hooks/${TOKEN}?key=${QUERY}`, secret: SECRET }, true);
      await add({ kind: 'EMAIL', name: 'mail', target: 'oncall@example.test' }, true);
      await createPairs(c, 2, 1);
      http.failAlways(500);
      await evaluate(db);
      // Answered 500, refused connections, and an SMTP server with a password in its URL that is not there.
      await deliverAll(db, deliveryOptions(`smtp://alerts:smtp-password@127.0.0.1:${port}`, { retryMs: 0 }));
      // And the private network no longer allowed at delivery time: refused before sending.
      await sendTestNotification(db, 'hook', testActor);
      await deliverAll(db, deliveryOptions(undefined, { retryMs: 0, allowPrivateNetwork: false }));
      expect(logs.lines().filter((l) => l.msg === 'delivery failed').length).toBeGreaterThanOrEqual(5);
      expect(logs.text()).toMatch(/refused|econnrefused/i);
      expect(leaks(logs.text())).toEqual([]);
      const rows = (await c.query(`SELECT last_status, last_error FROM deliveries`)).rows;
      expect(rows.every((r) => r.last_status !== null)).toBe(true);
      expect(leaks(JSON.stringify(rows))).toEqual([]);
    } finally {
      logs.restore();
    }
  });
});
