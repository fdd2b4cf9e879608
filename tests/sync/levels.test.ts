import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceLicense, previewSync } from '../../lib/sync';
import { db, rawClient } from '../support/db';
import { createPair, readPairRaw, testActor } from '../support/factories';

/**
 * The level thresholds are read from level_requirements when they are used: an admin's edit
 * (here raw SQL) is seen by the very next dry run and license advance of the same client, not
 * a minute later.
 */

let c: pg.Client;

beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});

const setPlayerLevel2 = (xp: number, sessions: number) =>
  c.query(`UPDATE level_requirements SET xp_required = $1, sessions_required = $2 WHERE specialization_id = 'PLAYER' AND level = 2`, [
    xp,
    sessions,
  ]);

describe('level thresholds edited while the app runs', () => {
  it('are used by the next dry run', async () => {
    const { userId } = await createPair(c, { progressLevel: null, licenseLevel: 2 });
    const planned = async () => (await previewSync(db, { limit: 100 })).items.find((i) => i.userId === userId)!.after;

    expect(await planned()).toMatchObject({ progressLevel: 2, totalXp: 25_000, completedSessions: 12 });
    await setPlayerLevel2(26_000, 13);
    expect(await planned()).toMatchObject({ progressLevel: 2, totalXp: 26_000, completedSessions: 13 });
  });

  it('are used by the next license advance', async () => {
    const first = await createPair(c, { progressLevel: 1 });
    const second = await createPair(c, { progressLevel: 1 });

    await setPlayerLevel2(27_000, 14);
    await advanceLicense(db, first.userId, 'PLAYER', 2, testActor);
    expect((await readPairRaw(c, first.userId, 'PLAYER')).progress).toMatchObject({ current_level: 2, total_xp: 27_000 });

    await setPlayerLevel2(28_000, 15);
    await advanceLicense(db, second.userId, 'PLAYER', 2, testActor);
    expect((await readPairRaw(c, second.userId, 'PLAYER')).progress).toMatchObject({
      current_level: 2,
      total_xp: 28_000,
      completed_sessions: 15,
    });
  });
});
