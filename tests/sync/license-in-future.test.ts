import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireFutureLicenses } from '../../lib/sync';
import { db, rawClient } from '../support/db';
import { createLearner } from '../support/factories';
import { entryOf, eventsOf, expectSetMatchesOracle } from './detection-oracle';

/**
 * A license that starts in the future (allowed up to 5 minutes ahead, for clock skew) is a desync
 * from its commit until its start: no write marks that moment, so the clock re-judges those
 * entries (expireFutureLicenses, written by 'clock').
 */
let c: pg.Client;
beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});

describe('LICENSE_IN_FUTURE by the clock', () => {
  it('is a desync at commit, and leaves the set once its start has passed', async () => {
    const u = await createLearner(c);
    await c.query('BEGIN');
    await c.query(
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       VALUES ($1, 'PLAYER', 1, 0, 0)`,
      [u],
    );
    const { rows } = await c.query<{ starts: Date }>(
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
       VALUES ($1, 'PLAYER', 1, clock_timestamp() + interval '2 seconds') RETURNING started_at AS starts`,
      [u],
    );
    await c.query('COMMIT');
    const starts = rows[0]!.starts.getTime();
    expect(await entryOf(c, u)).toMatchObject({ kind: 'LICENSE_IN_FUTURE', pl: 1, ll: 1, caused_by: expect.stringMatching(/^sql:/) });
    await expectSetMatchesOracle(c);

    // Not yet: the clock changes nothing.
    expect(await expireFutureLicenses(db)).toBe(0);
    expect(await entryOf(c, u)).toMatchObject({ kind: 'LICENSE_IN_FUTURE' });

    await new Promise((r) => setTimeout(r, Math.max(starts + 500 - Date.now(), 0)));
    expect(await expireFutureLicenses(db)).toBe(1);
    expect(await entryOf(c, u)).toBeUndefined();
    expect((await eventsOf(c, [u])).at(-1)).toMatchObject({ effect: 'FIXED', kind: null, side: 'none', writer: 'clock' });
    expect(await expectSetMatchesOracle(c)).toEqual([]);
    expect(await expireFutureLicenses(db)).toBe(0);
  });
});
