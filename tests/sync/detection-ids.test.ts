import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFullAudit } from '../../lib/sync';
import { db, rawClient } from '../support/db';
import { createPair } from '../support/factories';

let c: pg.Client;
beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});

describe('detection with learner ids near the top of the integer range', () => {
  it('computes the id range in bigint and stays exact for ids up to 2^31 - 1', async () => {
    // A few gaps so the missing-id search runs over the last buckets below 2^31.
    for (const id of [2_147_480_000, 2_147_481_000, 2_147_483_000, 2_147_483_646, 2_147_483_647]) {
      await c.query(`INSERT INTO users (id, email, name) VALUES ($1, $2, 'High id')`, [id, `high-${id}@test.local`]);
    }
    await createPair(c, { userId: 2_147_483_647, progressLevel: 2, licenseLevel: 1 });
    await createPair(c, { userId: 2_147_480_000, progressLevel: 1 });
    const check = await runFullAudit(db);
    expect(check).toMatchObject({ totalPairs: 2, consistentPairs: 1 });
    expect(check.byKind.LEVEL_MISMATCH).toBe(1);
    expect(check.orphans).toBe(0);
  });
});
