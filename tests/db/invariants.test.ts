import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLearner } from '../support/factories';
import { expectRefused, rawClient } from '../support/db';

/**
 * The holes an outside review found in the level and pair invariants, each proven closed by a raw
 * SQL write that PostgreSQL refuses, next to the legitimate variant that still commits:
 * - the levels of a specialization are exactly 1..max_level (a deferred constraint trigger, so a
 *   transaction may insert a specialization and then its levels);
 * - thresholds strictly increase even when two transactions edit them concurrently (the deferred
 *   check locks the specialization's row, then reads what is committed so far);
 * - a license does not start in the future;
 * - the keys of pairs do not cascade (ON UPDATE RESTRICT).
 * Tests in this file share one database: each uses its own specializations and learners, and
 * removes the specializations it made.
 */

const LEVELS = 'specializations_levels_one_to_max';
const THRESHOLDS = 'level_requirements_thresholds_increase';
const FUTURE_START = 'user_licenses_started_not_in_future';

let c: pg.Client;
const clients: pg.Client[] = [];
const made = new Set<string>();
let seq = 0;

beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  for (const id of made) await dropSpecialization(id);
  await Promise.all([c, ...clients].map((k) => k.end()));
});

async function extraClient(): Promise<pg.Client> {
  const k = await rawClient();
  clients.push(k);
  return k;
}

function newSpecId(): string {
  const id = `T${process.pid}_${++seq}`;
  made.add(id);
  return id;
}

/** Runs `fn` in a transaction on `k`; commits, or rolls back and rethrows. */
async function inTransaction(k: pg.Client, fn: () => Promise<unknown>, begin = 'BEGIN') {
  await k.query(begin);
  try {
    await fn();
  } catch (err) {
    await k.query('ROLLBACK');
    throw err;
  }
  await k.query('COMMIT');
}

/** Runs `statements` in one transaction and returns the error PostgreSQL raised (at COMMIT, for deferred checks). */
async function refusedTransaction(k: pg.Client, statements: [string, unknown[]?][]) {
  await k.query('BEGIN');
  for (const [sql, params] of statements) {
    try {
      await k.query(sql, params ?? []);
    } catch (err) {
      await k.query('ROLLBACK');
      const e = err as { code: string; constraint?: string; message: string };
      return { code: e.code, constraint: e.constraint, message: e.message, atCommit: false };
    }
  }
  const e = await expectRefused(k, 'COMMIT');
  return { ...e, atCommit: true };
}

const INSERT_LEVELS = `INSERT INTO level_requirements (specialization_id, level, xp_required, sessions_required)
  SELECT $1, t.level, t.xp, t.sessions FROM unnest($2::int[], $3::int[]) WITH ORDINALITY AS t(xp, sessions, level)`;

/** Thresholds of levels 1..n: level 1 is free. */
function thresholds(n: number): [number[], number[]] {
  const xp = Array.from({ length: n }, (_, i) => i * 10_000);
  const sessions = Array.from({ length: n }, (_, i) => i * 10);
  return [xp, sessions];
}

/** A specialization with levels 1..n (10,000 XP and 10 sessions apart), inserted the legitimate way. */
async function createSpecialization(n: number): Promise<string> {
  const id = newSpecId();
  await inTransaction(c, async () => {
    await c.query(`INSERT INTO specializations (id, name, max_level) VALUES ($1, $1, $2)`, [id, n]);
    await c.query(INSERT_LEVELS, [id, ...thresholds(n)]);
  });
  return id;
}

async function dropSpecialization(id: string) {
  await inTransaction(c, async () => {
    await c.query(`DELETE FROM level_requirements WHERE specialization_id = $1`, [id]);
    await c.query(`DELETE FROM specializations WHERE id = $1`, [id]);
  });
  made.delete(id);
}

async function levelsOf(id: string, k = c) {
  const { rows } = await k.query<{ level: number; xp_required: number; sessions_required: number }>(
    `SELECT level, xp_required, sessions_required FROM level_requirements WHERE specialization_id = $1 ORDER BY level`,
    [id],
  );
  return rows;
}

function strictlyIncreasing(rows: { xp_required: number; sessions_required: number }[]): boolean {
  return rows.every(
    (r, i) => i === 0 || (r.xp_required > rows[i - 1]!.xp_required && r.sessions_required > rows[i - 1]!.sessions_required),
  );
}

async function maxLevelOf(id: string): Promise<number | undefined> {
  const { rows } = await c.query<{ max_level: number }>(`SELECT max_level FROM specializations WHERE id = $1`, [id]);
  return rows[0]?.max_level;
}

describe('the levels of a specialization are exactly 1..max_level', () => {
  it('refuses raising max_level above the highest level (PLAYER to 10, its levels are 1..8)', async () => {
    const e = await expectRefused(c, `UPDATE specializations SET max_level = 10 WHERE id = 'PLAYER'`);
    expect(e.code).toBe('23514');
    expect(e.constraint).toBe(LEVELS);
    expect(await maxLevelOf('PLAYER')).toBe(8);
  });

  it('refuses lowering max_level below the highest level', async () => {
    const e = await expectRefused(c, `UPDATE specializations SET max_level = 7 WHERE id = 'PLAYER'`);
    expect(e.code).toBe('23514');
    expect(e.constraint).toBe(LEVELS);
  });

  it('refuses a specialization inserted with no levels', async () => {
    const id = newSpecId();
    const e = await expectRefused(c, `INSERT INTO specializations (id, name, max_level) VALUES ($1, 'No levels', 3)`, [id]);
    expect(e.code).toBe('23514');
    expect(e.constraint).toBe(LEVELS);
    expect(await maxLevelOf(id)).toBeUndefined();
  });

  it('refuses a transaction that inserts a specialization with fewer levels than its max_level', async () => {
    const id = newSpecId();
    const e = await refusedTransaction(c, [
      [`INSERT INTO specializations (id, name, max_level) VALUES ($1, $1, 3)`, [id]],
      [INSERT_LEVELS, [id, [0, 100], [0, 1]]],
    ]);
    expect(e).toMatchObject({ code: '23514', constraint: LEVELS, atCommit: true });
    expect(await levelsOf(id)).toEqual([]);
  });

  it('refuses deleting the top level', async () => {
    const id = await createSpecialization(3);
    const e = await expectRefused(c, `DELETE FROM level_requirements WHERE specialization_id = $1 AND level = 3`, [id]);
    expect(e.code).toBe('23514');
    expect(e.constraint).toBe(LEVELS);
    expect(await levelsOf(id)).toHaveLength(3);
    await dropSpecialization(id);
  });

  it("refuses deleting INTERNSHIP's top level from the reference data", async () => {
    const e = await expectRefused(c, `DELETE FROM level_requirements WHERE specialization_id = 'INTERNSHIP' AND level = 3`);
    expect(e.code).toBe('23514');
    expect(e.constraint).toBe(LEVELS);
  });

  it('refuses a gap (a middle level deleted) and a level above max_level', async () => {
    const id = await createSpecialization(4);
    const gap = await expectRefused(c, `DELETE FROM level_requirements WHERE specialization_id = $1 AND level = 2`, [id]);
    expect(gap).toMatchObject({ code: '23514', constraint: LEVELS });
    const above = await expectRefused(c, `INSERT INTO level_requirements VALUES ($1, 5, 90000, 90)`, [id]);
    expect(above).toMatchObject({ code: '23514', constraint: LEVELS });
    const renumbered = await expectRefused(c, `UPDATE level_requirements SET level = 6 WHERE specialization_id = $1 AND level = 4`, [id]);
    expect(renumbered).toMatchObject({ code: '23514', constraint: LEVELS });
    expect((await levelsOf(id)).map((r) => r.level)).toEqual([1, 2, 3, 4]);
    await dropSpecialization(id);
  });

  it('accepts a new specialization and its levels 1..n inserted in one transaction', async () => {
    const id = await createSpecialization(5);
    expect(await maxLevelOf(id)).toBe(5);
    expect((await levelsOf(id)).map((r) => r.level)).toEqual([1, 2, 3, 4, 5]);
    await dropSpecialization(id);
  });

  it('accepts adding a level and raising max_level in one transaction, in either order', async () => {
    const id = await createSpecialization(3);
    await inTransaction(c, async () => {
      await c.query(`INSERT INTO level_requirements VALUES ($1, 4, 30000, 30)`, [id]);
      await c.query(`UPDATE specializations SET max_level = 4 WHERE id = $1`, [id]);
    });
    await inTransaction(c, async () => {
      await c.query(`UPDATE specializations SET max_level = 5 WHERE id = $1`, [id]);
      await c.query(`INSERT INTO level_requirements VALUES ($1, 5, 40000, 40)`, [id]);
    });
    expect(await maxLevelOf(id)).toBe(5);
    expect((await levelsOf(id)).map((r) => r.level)).toEqual([1, 2, 3, 4, 5]);
    await dropSpecialization(id);
  });

  it('accepts removing the top level and lowering max_level in one transaction', async () => {
    const id = await createSpecialization(4);
    await inTransaction(c, async () => {
      await c.query(`DELETE FROM level_requirements WHERE specialization_id = $1 AND level = 4`, [id]);
      await c.query(`UPDATE specializations SET max_level = 3 WHERE id = $1`, [id]);
    });
    expect(await maxLevelOf(id)).toBe(3);
    await dropSpecialization(id);
  });

  it('accepts deleting a whole specialization with its levels in one transaction', async () => {
    const id = await createSpecialization(2);
    await dropSpecialization(id);
    expect(await maxLevelOf(id)).toBeUndefined();
    expect(await levelsOf(id)).toEqual([]);
  });
});

describe('thresholds strictly increase', () => {
  it('refuses XP or sessions that do not strictly increase, and a level 1 that requires anything', async () => {
    const id = await createSpecialization(4);
    const xp = await expectRefused(c, `UPDATE level_requirements SET xp_required = 20000 WHERE specialization_id = $1 AND level = 2`, [id]);
    expect(xp).toMatchObject({ code: '23514', constraint: THRESHOLDS });
    const sessions = await expectRefused(
      c,
      `UPDATE level_requirements SET sessions_required = 5 WHERE specialization_id = $1 AND level = 3`,
      [id],
    );
    expect(sessions).toMatchObject({ code: '23514', constraint: THRESHOLDS });
    const free = await expectRefused(c, `UPDATE level_requirements SET xp_required = 1 WHERE specialization_id = $1 AND level = 1`, [id]);
    expect(free).toMatchObject({ code: '23514', constraint: 'level_requirements_level_one_free' });
    expect(await levelsOf(id)).toEqual([
      { level: 1, xp_required: 0, sessions_required: 0 },
      { level: 2, xp_required: 10000, sessions_required: 10 },
      { level: 3, xp_required: 20000, sessions_required: 20 },
      { level: 4, xp_required: 30000, sessions_required: 30 },
    ]);
    await dropSpecialization(id);
  });

  it('accepts thresholds that pass through an unordered state inside one transaction', async () => {
    const id = await createSpecialization(3);
    await inTransaction(c, async () => {
      // Level 2 first overtakes level 3, then level 3 moves further up: ordered again at COMMIT.
      await c.query(`UPDATE level_requirements SET xp_required = 25000 WHERE specialization_id = $1 AND level = 2`, [id]);
      await c.query(`UPDATE level_requirements SET xp_required = 40000 WHERE specialization_id = $1 AND level = 3`, [id]);
    });
    expect((await levelsOf(id)).map((r) => r.xp_required)).toEqual([0, 25000, 40000]);
    await dropSpecialization(id);
  });

  // Levels 2 and 3 are at 10,000 and 20,000 XP. A raises level 2 to 15,000 (below level 3: fine on
  // its own), B lowers level 3 to 12,000 (above level 2: fine on its own); together 15,000 > 12,000.
  const RAISE_2 = `UPDATE level_requirements SET xp_required = 15000 WHERE specialization_id = $1 AND level = 2`;
  const LOWER_3 = `UPDATE level_requirements SET xp_required = 12000 WHERE specialization_id = $1 AND level = 3`;

  it('refuses the second of two concurrent edits that are each fine but jointly unordered (the check waits for the lock)', async () => {
    const id = await createSpecialization(4);
    const a = await extraClient();
    const b = await extraClient();
    const bPid = (await b.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`)).rows[0]!.pid;

    await a.query('BEGIN');
    await a.query(RAISE_2, [id]);
    // A runs its deferred check now, taking the specialization's lock, and keeps its transaction open.
    await a.query('SET CONSTRAINTS ALL IMMEDIATE');
    await b.query('BEGIN');
    await b.query(LOWER_3, [id]);

    const bCommit = b.query('COMMIT').then(
      () => ({ ok: true as const }),
      (err: { code: string; constraint?: string }) => ({ ok: false as const, code: err.code, constraint: err.constraint }),
    );
    // B's COMMIT runs B's deferred check, which must wait for A's lock.
    let waited = false;
    for (let i = 0; i < 100 && !waited; i++) {
      const { rows } = await c.query<{ wait_event_type: string | null }>(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [
        bPid,
      ]);
      waited = rows[0]?.wait_event_type === 'Lock';
      if (!waited) await new Promise((r) => setTimeout(r, 50));
    }
    const aCommit = a.query('COMMIT').then(() => ({ ok: true as const }));
    const [ra, rb] = await Promise.all([aCommit, bCommit]);

    expect(waited).toBe(true);
    expect(ra.ok).toBe(true);
    expect(rb).toEqual({ ok: false, code: '23514', constraint: THRESHOLDS });
    const rows = await levelsOf(id);
    expect(rows.map((r) => r.xp_required)).toEqual([0, 15000, 20000, 30000]);
    expect(strictlyIncreasing(rows)).toBe(true);
    await dropSpecialization(id);
  });

  it('lets exactly one of two concurrent unordered edits commit when both COMMIT at once', async () => {
    const id = await createSpecialization(4);
    const a = await extraClient();
    const b = await extraClient();
    await a.query('BEGIN');
    await a.query(RAISE_2, [id]);
    await b.query('BEGIN');
    await b.query(LOWER_3, [id]);

    const results = await Promise.allSettled([a.query('COMMIT'), b.query('COMMIT')]);
    const committed = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(committed).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toMatchObject({ code: '23514', constraint: THRESHOLDS });
    expect(strictlyIncreasing(await levelsOf(id))).toBe(true);
    await dropSpecialization(id);
  });

  it('refuses the later of two such edits committed one after the other', async () => {
    const id = await createSpecialization(4);
    const a = await extraClient();
    const b = await extraClient();
    await a.query('BEGIN');
    await a.query(RAISE_2, [id]);
    await b.query('BEGIN');
    await b.query(LOWER_3, [id]);
    await a.query('COMMIT');
    const e = await expectRefused(b, 'COMMIT');
    expect(e).toMatchObject({ code: '23514', constraint: THRESHOLDS });
    expect(strictlyIncreasing(await levelsOf(id))).toBe(true);
    await dropSpecialization(id);
  });

  it('refuses the later one under REPEATABLE READ too, whose snapshot cannot see the other (serialization failure)', async () => {
    const id = await createSpecialization(4);
    const a = await extraClient();
    const b = await extraClient();
    await a.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await a.query(RAISE_2, [id]);
    await b.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await b.query(LOWER_3, [id]);
    await a.query('COMMIT');
    const e = await expectRefused(b, 'COMMIT');
    expect(e.code).toBe('40001');
    expect(strictlyIncreasing(await levelsOf(id))).toBe(true);
    await dropSpecialization(id);
  });

  it('lets concurrent edits that stay ordered both commit', async () => {
    const id = await createSpecialization(4);
    const a = await extraClient();
    const b = await extraClient();
    await a.query('BEGIN');
    await a.query(`UPDATE level_requirements SET xp_required = 11000 WHERE specialization_id = $1 AND level = 2`, [id]);
    await b.query('BEGIN');
    await b.query(`UPDATE level_requirements SET xp_required = 19000 WHERE specialization_id = $1 AND level = 3`, [id]);
    await Promise.all([a.query('COMMIT'), b.query('COMMIT')]);
    expect((await levelsOf(id)).map((r) => r.xp_required)).toEqual([0, 11000, 19000, 30000]);
    await dropSpecialization(id);
  });
});

describe('a license does not start in the future', () => {
  it('refuses a license started tomorrow, inserted or updated', async () => {
    const learner = await createLearner(c);
    const inserted = await expectRefused(
      c,
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
       VALUES ($1, 'PLAYER', 1, now() + interval '1 day')`,
      [learner],
    );
    expect(inserted).toMatchObject({ code: '23514', constraint: FUTURE_START });

    await c.query(`INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES ($1, 'PLAYER', 1, now())`, [
      learner,
    ]);
    const updated = await expectRefused(c, `UPDATE user_licenses SET started_at = now() + interval '10 minutes' WHERE user_id = $1`, [
      learner,
    ]);
    expect(updated).toMatchObject({ code: '23514', constraint: FUTURE_START });
  });

  it('accepts a license started now, in the past, or a minute ahead (clock skew between app and database)', async () => {
    const learner = await createLearner(c);
    await c.query(
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES
         ($1, 'PLAYER', 1, now()), ($1, 'COACH', 1, now() - interval '400 days'), ($1, 'INTERNSHIP', 1, now() + interval '1 minute')`,
      [learner],
    );
    await c.query(`UPDATE user_licenses SET started_at = now() - interval '1 day' WHERE user_id = $1 AND specialization_id = 'PLAYER'`, [
      learner,
    ]);
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM user_licenses WHERE user_id = $1`, [learner]);
    expect(rows[0]).toEqual({ n: 3 });
  });
});

describe('the keys of pairs do not cascade (ON UPDATE RESTRICT)', () => {
  it('refuses renaming a specialization that has levels, and nothing moves', async () => {
    const e = await expectRefused(c, `UPDATE specializations SET id = 'PLAYER_RENAMED' WHERE id = 'PLAYER'`);
    expect(e.code).toBe('23001');
    expect(e.constraint).toBe('level_requirements_specialization_id_fkey');
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM level_requirements WHERE specialization_id = 'PLAYER'`);
    expect(rows[0]).toEqual({ n: 8 });
  });

  it("refuses renumbering a level that a pair is at, and refuses changing a learner's id that has pairs", async () => {
    const id = await createSpecialization(3);
    const learner = await createLearner(c);
    await c.query(
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       VALUES ($1, $2, 3, 20000, 20)`,
      [learner, id],
    );
    await c.query(`INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES ($1, $2, 3, now())`, [
      learner,
      id,
    ]);

    const level = await expectRefused(c, `UPDATE level_requirements SET level = 4 WHERE specialization_id = $1 AND level = 3`, [id]);
    expect(level.code).toBe('23001');
    expect(level.constraint).toMatch(/^(specialization_progress|user_licenses)_specialization_id_current_level_fkey$/);

    const user = await expectRefused(c, `UPDATE users SET id = -id WHERE id = $1`, [learner]);
    expect(user.code).toBe('23001');
    expect(user.constraint).toMatch(/^(specialization_progress|user_licenses)_user_id_fkey$/);

    const { rows } = await c.query(
      `SELECT (SELECT current_level FROM specialization_progress WHERE user_id = $1) AS progress,
              (SELECT current_level FROM user_licenses WHERE user_id = $1) AS license`,
      [learner],
    );
    expect(rows[0]).toEqual({ progress: 3, license: 3 });

    await c.query(`DELETE FROM specialization_progress WHERE user_id = $1`, [learner]);
    await c.query(`DELETE FROM user_licenses WHERE user_id = $1`, [learner]);
    await dropSpecialization(id);
  });

  it('accepts changing the id of a learner without pairs, and non-key columns of levels in use', async () => {
    const learner = await createLearner(c);
    await c.query(`UPDATE users SET id = $2 WHERE id = $1`, [learner, -learner]);
    await c.query(`DELETE FROM users WHERE id = $1`, [-learner]);

    const id = await createSpecialization(3);
    const other = await createLearner(c);
    await c.query(`INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES ($1, $2, 2, now())`, [
      other,
      id,
    ]);
    await c.query(`UPDATE level_requirements SET xp_required = 15000, sessions_required = 15 WHERE specialization_id = $1 AND level = 2`, [
      id,
    ]);
    await c.query(`UPDATE specializations SET name = 'Renamed for display' WHERE id = $1`, [id]);
    expect((await levelsOf(id))[1]).toEqual({ level: 2, xp_required: 15000, sessions_required: 15 });
    await c.query(`DELETE FROM user_licenses WHERE user_id = $1`, [other]);
    await dropSpecialization(id);
  });

  it('declares every foreign key into users, specializations and level_requirements ON UPDATE RESTRICT', async () => {
    const { rows } = await c.query<{ conname: string; confupdtype: string }>(
      `SELECT conname, confupdtype FROM pg_constraint
       WHERE contype = 'f' AND confrelid IN ('users'::regclass, 'specializations'::regclass, 'level_requirements'::regclass)
       ORDER BY conname`,
    );
    expect(rows.map((r) => r.conname)).toEqual([
      'level_requirements_specialization_id_fkey',
      'specialization_progress_specialization_id_current_level_fkey',
      'specialization_progress_user_id_fkey',
      'user_licenses_specialization_id_current_level_fkey',
      'user_licenses_user_id_fkey',
    ]);
    expect(rows.every((r) => r.confupdtype === 'r')).toBe(true);
  });
});
