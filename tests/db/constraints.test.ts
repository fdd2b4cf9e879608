import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectRefused, rawClient } from '../support/db';

/**
 * Each invariant is enforced by PostgreSQL itself: a raw SQL write that breaks it is refused,
 * whatever code (legacy scripts, a hand edit in psql) attempts it.
 */

let c: pg.Client;
let learner: number;

beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});

beforeEach(async () => {
  const { rows } = await c.query<{ id: number }>(
    `INSERT INTO users (email, name) VALUES ('learner-' || gen_random_uuid() || '@test.local', 'L') RETURNING id`,
  );
  learner = rows[0]!.id;
  await c.query(
    `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
     VALUES ($1, 'PLAYER', 2, 30000, 14)`,
    [learner],
  );
  await c.query(`INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES ($1, 'PLAYER', 2, now())`, [
    learner,
  ]);
});

describe('foreign keys (ON DELETE RESTRICT)', () => {
  it('refuses progress for a learner that does not exist', async () => {
    const e = await expectRefused(
      c,
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       VALUES (-1, 'PLAYER', 1, 0, 0)`,
    );
    expect(e.code).toBe('23503');
    expect(e.constraint).toBe('specialization_progress_user_id_fkey');
  });

  it('refuses a license for a specialization that does not exist', async () => {
    const e = await expectRefused(
      c,
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES ($1, 'CHEF', 1, now())`,
      [learner],
    );
    expect(e.code).toBe('23503');
  });

  it('refuses deleting a learner who still has progress or a license', async () => {
    const e = await expectRefused(c, `DELETE FROM users WHERE id = $1`, [learner]);
    expect(e.code).toBe('23001'); // restrict_violation: the FK is ON DELETE RESTRICT
    expect(e.constraint).toMatch(/user_id_fkey/);
  });

  it('refuses deleting a specialization in use', async () => {
    const e = await expectRefused(c, `DELETE FROM specializations WHERE id = 'PLAYER'`);
    expect(e.code).toBe('23001');
  });
});

describe('one progress and one license per learner and specialization', () => {
  it('refuses a second progress row', async () => {
    const e = await expectRefused(
      c,
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       VALUES ($1, 'PLAYER', 1, 0, 0)`,
      [learner],
    );
    expect(e.code).toBe('23505');
  });

  it('refuses a second license row', async () => {
    const e = await expectRefused(
      c,
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES ($1, 'PLAYER', 1, now())`,
      [learner],
    );
    expect(e.code).toBe('23505');
  });
});

describe('value checks', () => {
  it('refuses negative total XP', async () => {
    const e = await expectRefused(c, `UPDATE specialization_progress SET total_xp = -1 WHERE user_id = $1`, [learner]);
    expect(e.code).toBe('23514');
    expect(e.constraint).toBe('specialization_progress_total_xp_nonnegative');
  });

  it('refuses negative completed sessions', async () => {
    const e = await expectRefused(c, `UPDATE specialization_progress SET completed_sessions = -5 WHERE user_id = $1`, [learner]);
    expect(e.code).toBe('23514');
    expect(e.constraint).toBe('specialization_progress_sessions_nonnegative');
  });

  it.each([
    ['progress', 'specialization_progress', 9],
    ['progress', 'specialization_progress', 0],
    ['license', 'user_licenses', 9],
    ['license', 'user_licenses', -1],
  ])('refuses a %s level that does not exist for the specialization (%s, level %i)', async (_k, table, level) => {
    const e = await expectRefused(c, `UPDATE ${table} SET current_level = $2 WHERE user_id = $1`, [learner, level]);
    expect(e.code).toBe('23503');
    expect(e.constraint).toMatch(/specialization_id_current_level_fkey/);
  });

  it('refuses INTERNSHIP level 4 (its maximum is 3)', async () => {
    const e = await expectRefused(
      c,
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES ($1, 'INTERNSHIP', 4, now())`,
      [learner],
    );
    expect(e.code).toBe('23503');
  });

  it('refuses a license without started_at', async () => {
    const e = await expectRefused(c, `UPDATE user_licenses SET started_at = NULL WHERE user_id = $1`, [learner]);
    expect(e.code).toBe('23502');
  });
});

describe('reference data', () => {
  it('has the three specializations with their maximum levels', async () => {
    const { rows } = await c.query(
      `SELECT s.id, s.max_level, count(r.*)::int AS levels
       FROM specializations s JOIN level_requirements r ON r.specialization_id = s.id
       GROUP BY s.id ORDER BY s.id`,
    );
    expect(rows).toEqual([
      { id: 'COACH', max_level: 8, levels: 8 },
      { id: 'INTERNSHIP', max_level: 3, levels: 3 },
      { id: 'PLAYER', max_level: 8, levels: 8 },
    ]);
  });

  it('keeps the old system figure: PLAYER level 2 needs 25,000 XP and 12 sessions', async () => {
    const { rows } = await c.query(
      `SELECT xp_required, sessions_required FROM level_requirements WHERE specialization_id = 'PLAYER' AND level = 2`,
    );
    expect(rows[0]).toEqual({ xp_required: 25000, sessions_required: 12 });
  });

  it('refuses thresholds that do not strictly increase', async () => {
    const e = await expectRefused(c, `UPDATE level_requirements SET xp_required = 20000 WHERE specialization_id = 'PLAYER' AND level = 3`);
    expect(e.code).toBe('23514');
  });

  it('refuses a level 1 that requires anything', async () => {
    const e = await expectRefused(c, `UPDATE level_requirements SET xp_required = 10 WHERE specialization_id = 'COACH' AND level = 1`);
    expect(e.code).toBe('23514');
  });

  it('refuses a level above the specialization maximum', async () => {
    const e = await expectRefused(c, `INSERT INTO level_requirements VALUES ('INTERNSHIP', 4, 90000, 40)`);
    expect(e.code).toBe('23514');
  });
});

describe('sync jobs', () => {
  it('refuses a second RUNNING job', async () => {
    await c.query(`INSERT INTO sync_jobs (trigger, actor) VALUES ('MANUAL', 'a@test.local')`);
    const e = await expectRefused(c, `INSERT INTO sync_jobs (trigger, actor) VALUES ('MANUAL', 'b@test.local')`);
    expect(e.code).toBe('23505');
    expect(e.constraint).toBe('sync_jobs_one_running');
  });
});

describe('staff accounts', () => {
  it('refuses an ADMIN without a password hash', async () => {
    const e = await expectRefused(c, `INSERT INTO users (email, name, role) VALUES ('x@test.local', 'X', 'ADMIN')`);
    expect(e.code).toBe('23514');
  });

  it('refuses a duplicate email', async () => {
    await c.query(`INSERT INTO users (email, name) VALUES ('dup@test.local', 'D')`);
    const e = await expectRefused(c, `INSERT INTO users (email, name) VALUES ('dup@test.local', 'D2')`);
    expect(e.code).toBe('23505');
  });
});
