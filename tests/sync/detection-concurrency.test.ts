import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawClient } from '../support/db';
import { createLearner, createPair } from '../support/factories';
import { entryOf, expectSetMatchesOracle } from './detection-oracle';

/**
 * Detection at commit under real concurrency: many connections write both rows of the same pairs
 * in both orders, with sleeps inside their transactions, PostgreSQL deciding who waits and who
 * deadlocks. Whatever commits in whatever order, the set afterwards is exactly the oracle's; the
 * only errors are deadlocks and serialization failures, each retried until its transaction commits.
 */
const CLIENTS = 12;
const PAIRS = 20;
const TRANSACTIONS_PER_CLIENT = 30;

let c: pg.Client;
const clients: pg.Client[] = [];
beforeAll(async () => {
  c = await rawClient();
  for (let i = 0; i < CLIENTS; i++) {
    const k = await rawClient();
    // Deadlocks are the point here: find them in 50 ms rather than the default second.
    await k.query(`SET deadlock_timeout = '50ms'`);
    clients.push(k);
  }
});
afterAll(async () => {
  await Promise.all([c, ...clients].map((k) => k.end()));
});

/** Deterministic per client, so a failing run can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Progress at `level` (XP and sessions at its minimum, or at the next level's: invalid), or no row. */
function writeProgress(userId: number, level: number | null, invalid = false): string {
  if (level === null) return `DELETE FROM specialization_progress WHERE user_id = ${userId} AND specialization_id = 'PLAYER'`;
  return `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
    SELECT ${userId}, 'PLAYER', ${level}, r.xp_required, r.sessions_required FROM level_requirements r
    WHERE r.specialization_id = 'PLAYER' AND r.level = ${invalid ? level + 1 : level}
    ON CONFLICT (user_id, specialization_id) DO UPDATE
      SET current_level = EXCLUDED.current_level, total_xp = EXCLUDED.total_xp, completed_sessions = EXCLUDED.completed_sessions`;
}

function writeLicense(userId: number, level: number | null): string {
  if (level === null) return `DELETE FROM user_licenses WHERE user_id = ${userId} AND specialization_id = 'PLAYER'`;
  return `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
    VALUES (${userId}, 'PLAYER', ${level}, now() - interval '1 day')
    ON CONFLICT (user_id, specialization_id) DO UPDATE SET current_level = EXCLUDED.current_level`;
}

const RETRIED = new Set(['40P01', '40001']);

interface Tally {
  committed: number;
  retried: Record<string, number>;
  unexpected: string[];
}

/** Runs the statements as one transaction, again after each deadlock or serialization failure. */
async function commitWithRetry(k: pg.Client, statements: string[], tally: Tally) {
  for (let attempt = 1; attempt <= 100; attempt++) {
    try {
      await k.query('BEGIN');
      for (const sql of statements) await k.query(sql);
      await k.query('COMMIT');
      tally.committed++;
      return;
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'none';
      await k.query('ROLLBACK').catch(() => {});
      if (!RETRIED.has(code)) {
        tally.unexpected.push(`${code}: ${(err as Error).message}`);
        return;
      }
      tally.retried[code] = (tally.retried[code] ?? 0) + 1;
    }
  }
  tally.unexpected.push('gave up after 100 attempts');
}

/** One random transaction over one or two pairs: both sides in either order, equal or not, deletes and re-inserts. */
function randomTransaction(rand: () => number, users: number[]): string[] {
  const pick = () => users[Math.floor(rand() * users.length)]!;
  const level = () => 1 + Math.floor(rand() * 4);
  const sleep = () => `SELECT pg_sleep(${(rand() * 0.01).toFixed(4)})`;
  const out: string[] = [];
  for (let n = rand() < 0.3 ? 2 : 1; n > 0; n--) {
    const u = pick();
    const r = rand();
    let sides: string[];
    if (r < 0.25) {
      const l = level();
      sides = [writeProgress(u, l), writeLicense(u, l)]; // equal
    } else if (r < 0.4) {
      sides = [writeProgress(u, level(), rand() < 0.2), writeLicense(u, level())]; // likely unequal, sometimes invalid
    } else if (r < 0.55) {
      sides = [writeProgress(u, rand() < 0.5 ? null : level()), writeLicense(u, rand() < 0.5 ? null : level())];
    } else if (r < 0.7) {
      // Delete a row and insert it again (or for the first time) in the same transaction.
      const l = level();
      sides = rand() < 0.5 ? [writeProgress(u, null), writeProgress(u, l)] : [writeLicense(u, null), writeLicense(u, l)];
    } else {
      sides = [rand() < 0.5 ? writeProgress(u, level()) : writeLicense(u, level())]; // one side only
    }
    if (rand() < 0.5) sides.reverse(); // license-then-progress as often as progress-then-license
    for (const s of sides) out.push(s, sleep());
  }
  return out;
}

describe('detection at commit under concurrent writers', () => {
  it(`${CLIENTS} connections writing both rows of ${PAIRS} pairs in both orders: the set equals the oracle`, async () => {
    const users: number[] = [];
    for (let i = 0; i < PAIRS; i++) {
      // A third start with no rows at all, so transactions insert rows that did not exist yet.
      if (i % 3 === 0) users.push(await createLearner(c));
      else users.push((await createPair(c, { progressLevel: 1 + (i % 3), licenseLevel: i % 4 === 0 ? 1 : 1 + (i % 3) })).userId);
    }
    await expectSetMatchesOracle(c);
    const tally: Tally = { committed: 0, retried: {}, unexpected: [] };
    const started = Date.now();
    await Promise.all(
      clients.map(async (k, i) => {
        const rand = rng(1000 + i);
        for (let t = 0; t < TRANSACTIONS_PER_CLIENT; t++) await commitWithRetry(k, randomTransaction(rand, users), tally);
      }),
    );
    expect(tally.unexpected).toEqual([]);
    expect(tally.committed).toBe(CLIENTS * TRANSACTIONS_PER_CLIENT);
    // Both orders on the same rows do deadlock; every deadlock was retried (and the retry committed).
    expect(tally.retried['40P01']).toBeGreaterThan(0);
    expect(Object.keys(tally.retried).every((code) => RETRIED.has(code))).toBe(true);
    console.info(
      `[detection-concurrency] ${Date.now() - started} ms: committed ${tally.committed}, retried ${JSON.stringify(tally.retried)}`,
    );
    const set = await expectSetMatchesOracle(c);
    expect(set.length).toBeGreaterThan(0); // the writes leave a mix, not only consistent pairs
  });

  it('two transactions writing one side each of one pair, committing at the same moment: the set is right every time', async () => {
    const [a, b] = clients as [pg.Client, pg.Client];
    const { userId } = await createPair(c, { progressLevel: 1 });
    const rand = rng(7);
    for (let i = 0; i < 60; i++) {
      const start = 1 + Math.floor(rand() * 3);
      await c.query(`BEGIN`);
      await c.query(writeProgress(userId, start));
      await c.query(writeLicense(userId, start));
      await c.query(`COMMIT`);
      expect(await entryOf(c, userId)).toBeUndefined();
      const pl = rand() < 0.5 ? start + 1 : start;
      const ll = rand() < 0.6 ? pl : start + 2;
      await Promise.all([a.query('BEGIN'), b.query('BEGIN')]);
      // Both write, then both commit concurrently: neither sees the other's row while it writes.
      await Promise.all([a.query(writeProgress(userId, pl)), b.query(writeLicense(userId, ll))]);
      await Promise.all(rand() < 0.5 ? [a.query('COMMIT'), b.query('COMMIT')] : [b.query('COMMIT'), a.query('COMMIT')]);
      const entry = await entryOf(c, userId);
      if (pl === ll) expect(entry, `iteration ${i}: ${pl}/${ll}`).toBeUndefined();
      else expect(entry, `iteration ${i}: ${pl}/${ll}`).toMatchObject({ kind: 'LEVEL_MISMATCH', pl, ll });
      await expectSetMatchesOracle(c);
    }
  });

  it('a threshold change racing an XP write that crosses the new threshold only: the set is right in either order', async () => {
    const [a, b] = clients as [pg.Client, pg.Client];
    // COACH level 2 needs 20,000 XP (level 3: 45,000); the change raises it to 30,000. 25,000 XP is
    // valid at level 2 under the old rule and below the minimum under the new one.
    const setXp = (userId: number, xp: number) => `UPDATE specialization_progress SET total_xp = ${xp} WHERE user_id = ${userId}`;
    const setRule = (xp: number) => `UPDATE level_requirements SET xp_required = ${xp} WHERE specialization_id = 'COACH' AND level = 2`;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      // The XP write first, still open when the threshold is changed (the change waits for its commit).
      const x = await createPair(c, { spec: 'COACH', progressLevel: 2, xp: 35_000 });
      await a.query('BEGIN');
      await a.query(setXp(x.userId, 25_000));
      const change = (async () => {
        await b.query('BEGIN');
        await b.query(setRule(30_000));
        await b.query('COMMIT');
      })();
      await sleep(200);
      await a.query('COMMIT');
      await change;
      expect(await entryOf(c, x.userId, 'COACH')).toMatchObject({ kind: 'INVALID_PROGRESS' });
      await expectSetMatchesOracle(c);
      await c.query(setRule(20_000));

      // The threshold change first; the XP write, issued while it is open, commits after it (and waits for it).
      const y = await createPair(c, { spec: 'COACH', progressLevel: 2, xp: 35_000 });
      await b.query('BEGIN');
      await b.query(setRule(30_000));
      await a.query('BEGIN');
      const write = a.query(setXp(y.userId, 25_000));
      await sleep(200);
      await b.query('COMMIT');
      await write;
      await a.query('COMMIT');
      expect(await entryOf(c, y.userId, 'COACH')).toMatchObject({ kind: 'INVALID_PROGRESS' });
      await expectSetMatchesOracle(c);
    } finally {
      await c.query(setRule(20_000));
    }
    await expectSetMatchesOracle(c);
  });
});
