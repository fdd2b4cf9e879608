import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addChannel, pendingDeliveries, runDeliveries } from '../../lib/alerts';
import { createDb, type Db } from '../../lib/db/prisma';
import { LOCKS } from '../../lib/sync/locks';
import { db, rawClient, testDatabaseUrl } from '../support/db';
import { testActor } from '../support/factories';
import { mailHeader, startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from '../support/receivers';
import { countOf, createPairs, deliveryOptions, eventually, evaluate, resetAlerts, setLicenseLevel, sleep } from './support';

/**
 * Two app instances on one database: two clients with their own pools, each running the delivery
 * worker in a loop and evaluating the incidents at the same moments. Still one incident per
 * condition, and every notification reaches every receiver exactly once.
 */

let c: pg.Client;
let http: HttpReceiver;
let smtp: SmtpReceiver;
let one: Db;
let two: Db;

beforeAll(async () => {
  c = await rawClient();
  http = await startHttpReceiver();
  smtp = await startSmtpReceiver();
  one = createDb(testDatabaseUrl, { poolSize: 4 });
  two = createDb(testDatabaseUrl, { poolSize: 4 });
});
afterAll(async () => {
  await one.$disconnect();
  await two.$disconnect();
  await http.close();
  await smtp.close();
  await c.end();
});
beforeEach(async () => {
  await resetAlerts(c);
  http.reset();
  smtp.reset();
});

/** A delivery worker's loop on `instance`, as startAlertWorker runs it (with a short poll). */
function worker(instance: Db, smtpUrl: string) {
  let stopped = false;
  let rounds = 0;
  let sent = 0;
  const done = (async () => {
    while (!stopped) {
      sent += (await runDeliveries(instance, deliveryOptions(smtpUrl, { limit: 3 }))).sent;
      rounds++;
      await sleep(Math.random() * 10);
    }
  })();
  return {
    rounds: () => rounds,
    sent: () => sent,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

const tally = (ids: (string | null | undefined)[]) => {
  const byId = new Map<string, number>();
  for (const id of ids) byId.set(String(id), (byId.get(String(id)) ?? 0) + 1);
  return byId;
};

describe('two instances', () => {
  it('open and resolve evaluated by both at once, delivered by both: one incident, every notification received once', async () => {
    for (const n of [1, 2, 3]) {
      await addChannel(
        db,
        { kind: 'WEBHOOK', name: `hook-${n}`, target: `${http.origin}/h${n}`, secret: 'sixteen-chars-secret' },
        testActor,
        {
          allowPrivateNetwork: true,
        },
      );
    }
    await addChannel(db, { kind: 'EMAIL', name: 'mail', target: 'oncall@example.test' }, testActor, { allowPrivateNetwork: true });
    await createPairs(c, 3);
    const broken = (await c.query<{ id: number }>(`SELECT user_id AS id FROM user_licenses LIMIT 1`)).rows.map((r) => r.id);
    const workers = [worker(one, smtp.url), worker(two, smtp.url)];

    const cycles = 4;
    for (let i = 0; i < cycles; i++) {
      await setLicenseLevel(c, broken, 2);
      const opened = await Promise.all([evaluate(one), evaluate(two), evaluate(one), evaluate(two)]);
      expect(opened.flatMap((e) => e.opened)).toHaveLength(1);
      expect(await countOf(c, `SELECT 1 FROM incidents WHERE resolved_at IS NULL`)).toBe(1);
      await setLicenseLevel(c, broken, 1);
      const resolved = await Promise.all([evaluate(two), evaluate(one), evaluate(two), evaluate(one)]);
      expect(resolved.flatMap((e) => e.resolved)).toHaveLength(1);
    }

    const expected = cycles * 2 * 4;
    await eventually('every notification to be delivered', async () => (await pendingDeliveries(db)) === 0, 30_000);
    // A few more rounds of both workers: nothing is sent again.
    const after = workers.map((w) => w.rounds() + 5);
    await eventually('more rounds', () => workers.every((w, i) => w.rounds() >= after[i]!));
    await Promise.all(workers.map((w) => w.stop()));
    expect(workers[0]!.sent() + workers[1]!.sent()).toBe(cycles * 2 * 4);

    expect(await countOf(c, `SELECT 1 FROM incidents`)).toBe(cycles);
    expect(await countOf(c, `SELECT 1 FROM deliveries WHERE delivered_at IS NOT NULL AND attempts = 1`)).toBe(expected);
    const hooks = tally(http.requests.map((r) => r.headers['x-syncwatch-delivery'] as string));
    const mails = tally(smtp.messages.map((m) => mailHeader(m.raw, 'X-SyncWatch-Delivery')));
    expect(http.requests).toHaveLength(cycles * 2 * 3);
    expect(smtp.messages).toHaveLength(cycles * 2);
    expect(Math.max(...hooks.values(), ...mails.values())).toBe(1);
    expect(hooks.size + mails.size).toBe(expected);
    expect(await countOf(c, `SELECT 1 FROM incident_events WHERE kind = 'NOTIFIED'`)).toBe(expected);
    // Per incident and channel, open before resolved.
    for (const n of [1, 2, 3]) {
      const states = http.at(`/h${n}`).map((r) => JSON.parse(r.body) as { state: string; incident: { id: number } });
      for (const incident of new Set(states.map((s) => s.incident.id))) {
        expect(states.filter((s) => s.incident.id === incident).map((s) => s.state)).toEqual(['open', 'resolved']);
      }
    }
  });

  it('a claim taken by one instance is not sent by the other while it is being sent', async () => {
    await addChannel(db, { kind: 'WEBHOOK', name: 'slow', target: `${http.origin}/slow` }, testActor, { allowPrivateNetwork: true });
    await createPairs(c, 2, 1);
    await evaluate(one);
    http.delayMs = 300;
    const first = runDeliveries(one, deliveryOptions(smtp.url));
    await eventually('the first instance to be sending', () => http.requests.length === 1);
    // Meanwhile the other instance finds nothing to claim.
    expect(await runDeliveries(two, deliveryOptions(smtp.url))).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(await first).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(http.requests).toHaveLength(1);
  });

  it('a claim whose worker died is sent by another instance once its lease has run out', async () => {
    await addChannel(db, { kind: 'WEBHOOK', name: 'hook', target: `${http.origin}/hook` }, testActor, { allowPrivateNetwork: true });
    await createPairs(c, 2, 1);
    await evaluate(one);
    // Instance one claimed it and died before sending: a lease that has not run out yet...
    await c.query(`UPDATE deliveries SET claimed_until = now() + interval '1 hour', attempts = 1, first_attempt_at = now()`);
    expect(await runDeliveries(two, deliveryOptions(smtp.url))).toEqual({ sent: 0, retried: 0, failed: 0 });
    // ...and once it has.
    await c.query(`UPDATE deliveries SET claimed_until = now() - interval '1 second'`);
    expect(await runDeliveries(two, deliveryOptions(smtp.url))).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(http.requests).toHaveLength(1);
    expect((await c.query(`SELECT attempts, claimed_until FROM deliveries`)).rows).toEqual([{ attempts: 2, claimed_until: null }]);
  });

  it('an incident change and its notifications are one transaction: if queuing fails, nothing is recorded', async () => {
    await addChannel(db, { kind: 'WEBHOOK', name: 'hook', target: `${http.origin}/hook` }, testActor, { allowPrivateNetwork: true });
    await createPairs(c, 2, 1);
    await c.query(`CREATE FUNCTION sw_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'outbox down'; END $$`);
    await c.query(`CREATE TRIGGER sw_test_refuse BEFORE INSERT ON deliveries FOR EACH ROW EXECUTE FUNCTION sw_test_refuse()`);
    try {
      await expect(evaluate(one)).rejects.toThrow(/outbox down/);
      expect(await countOf(c, `SELECT 1 FROM incidents`)).toBe(0);
      expect(await countOf(c, `SELECT 1 FROM incident_events`)).toBe(0);
    } finally {
      await c.query(`DROP TRIGGER sw_test_refuse ON deliveries`);
      await c.query(`DROP FUNCTION sw_test_refuse()`);
    }
    // The next evaluation opens it, with its notification.
    expect((await evaluate(one)).opened).toHaveLength(1);
    expect(await countOf(c, `SELECT 1 FROM deliveries`)).toBe(1);
  });

  it('an evaluation that waited for another acts on the conditions as they are when it gets its turn', async () => {
    const broken = await createPairs(c, 2, 1);
    // Another instance's evaluation holds the incidents' lock...
    const other = await rawClient();
    try {
      await other.query(`SELECT pg_advisory_lock($1::bigint)`, [LOCKS.INCIDENTS]);
      const waiting = evaluate(one);
      await eventually(
        'the evaluation to wait for the lock',
        async () =>
          (await countOf(
            other,
            `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
            [LOCKS.INCIDENTS],
          )) === 1,
      );
      // ...while the pair is repaired: once it gets its turn, nothing holds any more.
      await setLicenseLevel(c, broken, 1);
      await other.query(`SELECT pg_advisory_unlock($1::bigint)`, [LOCKS.INCIDENTS]);
      const result = await waiting;
      // Expected: no incident for a condition that had cleared before the evaluation's transaction
      // could look (otherwise an "open" notice now, and a "resolved" one at the next tick).
      expect(result.opened).toEqual([]);
      expect(await countOf(c, `SELECT 1 FROM incidents`)).toBe(0);
    } finally {
      await other.end();
    }
  });
});
