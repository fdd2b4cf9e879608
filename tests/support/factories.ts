import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Actor } from '../../lib/sync/types';

export const testActor: Actor = { label: 'tester@test.local', userId: null, source: 'APP' };

export async function createLearner(c: pg.Client, name = 'Test Learner'): Promise<number> {
  const { rows } = await c.query<{ id: number }>(`INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id`, [
    `learner-${randomUUID()}@test.local`,
    name,
  ]);
  return rows[0]!.id;
}

/** A pair written by raw SQL, as legacy code would: levels as given, XP at the level's minimum. */
export async function createPair(
  c: pg.Client,
  opts: {
    spec?: string;
    progressLevel?: number | null;
    licenseLevel?: number | null;
    userId?: number;
    xp?: number;
    sessions?: number;
  } = {},
): Promise<{ userId: number; spec: string }> {
  const spec = opts.spec ?? 'PLAYER';
  const userId = opts.userId ?? (await createLearner(c));
  const pl = opts.progressLevel === undefined ? 1 : opts.progressLevel;
  const ll = opts.licenseLevel === undefined ? pl : opts.licenseLevel;
  if (pl !== null) {
    await c.query(
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       SELECT $1, $2, $3, coalesce($4, xp_required), coalesce($5, sessions_required)
       FROM level_requirements WHERE specialization_id = $2 AND level = $3`,
      [userId, spec, pl, opts.xp ?? null, opts.sessions ?? null],
    );
  }
  if (ll !== null) {
    await c.query(
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES ($1, $2, $3, now() - interval '30 days')`,
      [userId, spec, ll],
    );
  }
  return { userId, spec };
}

export async function readPairRaw(c: pg.Client, userId: number, spec: string) {
  const p = await c.query(
    `SELECT current_level, total_xp, completed_sessions, version
     FROM specialization_progress WHERE user_id = $1 AND specialization_id = $2`,
    [userId, spec],
  );
  const l = await c.query(
    `SELECT current_level, started_at, last_advanced_at, version FROM user_licenses WHERE user_id = $1 AND specialization_id = $2`,
    [userId, spec],
  );
  return { progress: p.rows[0] ?? null, license: l.rows[0] ?? null };
}

/** Counts desyncs with SQL written independently of the engine's. */
export async function countDesyncsIndependently(c: pg.Client) {
  const { rows } = await c.query(`
    SELECT
      (SELECT count(*) FROM specialization_progress p JOIN user_licenses l USING (user_id, specialization_id)
       WHERE p.current_level <> l.current_level)::int AS level_mismatch,
      (SELECT count(*) FROM specialization_progress p WHERE NOT EXISTS (
         SELECT 1 FROM user_licenses l WHERE l.user_id = p.user_id AND l.specialization_id = p.specialization_id
       ))::int AS missing_license,
      (SELECT count(*) FROM user_licenses l WHERE NOT EXISTS (
         SELECT 1 FROM specialization_progress p WHERE p.user_id = l.user_id AND p.specialization_id = l.specialization_id
       ))::int AS missing_progress`);
  return rows[0] as { level_mismatch: number; missing_license: number; missing_progress: number };
}

/** Makes PostgreSQL fail the next write of `table` for this learner: a fault between two writes. */
export async function failWritesOf(c: pg.Client, table: 'user_licenses' | 'specialization_progress', userId: number) {
  const fn = `fail_${table}_${userId}`;
  await c.query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN IF NEW.user_id = ${userId} THEN RAISE EXCEPTION 'injected fault for learner ${userId}'; END IF; RETURN NEW; END $$`);
  await c.query(`CREATE TRIGGER ${fn} BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
  return async () => {
    await c.query(`DROP TRIGGER ${fn} ON ${table}`);
    await c.query(`DROP FUNCTION ${fn}()`);
  };
}

/**
 * `count` learners, each with a pair at the given levels (XP and sessions at the progress level's
 * minimum), written in three statements: enough pairs for several sync batches in no time.
 */
export async function createPairsInBulk(
  c: pg.Client,
  count: number,
  opts: { spec?: string; progressLevel: number; licenseLevel: number },
): Promise<number[]> {
  const spec = opts.spec ?? 'PLAYER';
  const { rows } = await c.query<{ id: number }>(
    `INSERT INTO users (email, name) SELECT 'bulk-' || gen_random_uuid() || '@test.local', 'Bulk Learner ' || g
     FROM generate_series(1, $1::int) g RETURNING id`,
    [count],
  );
  const ids = rows.map((r) => r.id);
  await c.query(
    `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
     SELECT u, $2, $3, r.xp_required, r.sessions_required
     FROM unnest($1::int[]) u, level_requirements r WHERE r.specialization_id = $2 AND r.level = $3`,
    [ids, spec, opts.progressLevel],
  );
  await c.query(
    `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
     SELECT u, $2, $3, now() - interval '30 days' FROM unnest($1::int[]) u`,
    [ids, spec, opts.licenseLevel],
  );
  return ids;
}

/**
 * Makes every statement that updates user_licenses take `seconds` longer (once per statement, so
 * a sync batch, which repairs its pairs in one statement, takes that long). Returns the undo.
 */
export async function slowLicenseUpdates(c: pg.Client, seconds: number) {
  await c.query(`CREATE OR REPLACE FUNCTION slow_license_statements() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_sleep(${Number(seconds)}); RETURN NULL; END $$`);
  await c.query(`DROP TRIGGER IF EXISTS slow_license_statements ON user_licenses`);
  await c.query(
    `CREATE TRIGGER slow_license_statements BEFORE UPDATE ON user_licenses FOR EACH STATEMENT EXECUTE FUNCTION slow_license_statements()`,
  );
  return async () => {
    await c.query(`DROP TRIGGER IF EXISTS slow_license_statements ON user_licenses`);
    await c.query(`DROP FUNCTION IF EXISTS slow_license_statements()`);
  };
}
