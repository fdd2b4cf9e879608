import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { satisfiesLevel } from '../../lib/sync/level-rules';
import { seedDemoData } from '../../lib/seed/demo';
import { getLevelTables } from '../../lib/sync/levels';
import { verifyPassword } from '../../lib/auth/password';
import { db, rawClient } from '../support/db';

let c: pg.Client;
let result: Awaited<ReturnType<typeof seedDemoData>>;
const opts = {
  learners: 600,
  admin: { email: 'Admin@Seed.Test', password: 'admin-password-1' },
  viewer: { email: 'viewer@seed.test', password: 'viewer-password-1' },
};

beforeAll(async () => {
  c = await rawClient();
  result = await seedDemoData(db, c, opts);
});
afterAll(async () => {
  await c.end();
});

describe('demo seed', () => {
  it('creates the learners, spread over every specialization', async () => {
    expect(result.seeded).toBe(true);
    const { rows } = await c.query(`SELECT role, count(*)::int AS n FROM users GROUP BY role ORDER BY role`);
    expect(rows).toEqual([
      { role: 'STUDENT', n: 600 },
      { role: 'VIEWER', n: 1 },
      { role: 'ADMIN', n: 1 },
    ]);
    const specs = await c.query(`SELECT DISTINCT specialization_id FROM specialization_progress ORDER BY 1`);
    expect(specs.rows.map((r) => r.specialization_id)).toEqual(['COACH', 'INTERNSHIP', 'PLAYER']);
  });

  it('every progress row satisfies the level requirements of its level', async () => {
    const tables = await getLevelTables(db);
    const { rows } = await c.query(`SELECT specialization_id, current_level, total_xp, completed_sessions FROM specialization_progress`);
    expect(rows.length).toBeGreaterThan(600);
    const invalid = rows.filter(
      (r) =>
        !satisfiesLevel(tables.get(r.specialization_id)!, {
          currentLevel: r.current_level,
          totalXp: r.total_xp,
          completedSessions: r.completed_sessions,
        }),
    );
    expect(invalid).toEqual([]);
    const levels = await c.query(
      `SELECT count(DISTINCT current_level)::int AS n FROM specialization_progress WHERE specialization_id = 'PLAYER'`,
    );
    expect(levels.rows[0].n).toBeGreaterThanOrEqual(6); // realistic spread, not everyone at level 1
  });

  it('leaves about 3% of pairs out of sync in each way, matching what it reports', async () => {
    const { rows } = await c.query(`
      SELECT count(*) FILTER (
               WHERE p.user_id IS NOT NULL AND l.user_id IS NOT NULL AND p.current_level <> l.current_level
             )::int AS level_mismatch,
             count(*) FILTER (WHERE l.user_id IS NULL)::int AS missing_license,
             count(*) FILTER (WHERE p.user_id IS NULL)::int AS missing_progress,
             count(*)::int AS pairs
      FROM specialization_progress p FULL JOIN user_licenses l USING (user_id, specialization_id)`);
    const r = rows[0];
    expect({ LEVEL_MISMATCH: r.level_mismatch, MISSING_LICENSE: r.missing_license, MISSING_PROGRESS: r.missing_progress }).toEqual(
      result.desyncs,
    );
    for (const n of [r.level_mismatch, r.missing_license, r.missing_progress]) {
      expect(n / r.pairs).toBeGreaterThan(0.015);
      expect(n / r.pairs).toBeLessThan(0.045);
    }
  });

  it('records a history of health checks and finished sync jobs', async () => {
    const checks = await c.query(`SELECT count(*)::int AS n, min(checked_at) < now() - interval '6 days' AS old FROM health_checks`);
    expect(checks.rows[0].n).toBeGreaterThanOrEqual(5);
    expect(checks.rows[0].old).toBe(true);
    const jobs = await c.query(`SELECT status, count(*)::int AS n FROM sync_jobs GROUP BY status`);
    expect(jobs.rows).toEqual([{ status: 'SUCCEEDED', n: 5 }]);
  });

  it('stores staff with argon2id hashes of the configured passwords, emails lower-cased', async () => {
    const { rows } = await c.query(`SELECT email, role, password_hash FROM users WHERE role <> 'STUDENT' ORDER BY role`);
    expect(rows.map((r) => [r.email, r.role])).toEqual([
      ['viewer@seed.test', 'VIEWER'],
      ['admin@seed.test', 'ADMIN'],
    ]);
    expect(rows[1].password_hash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(rows[1].password_hash, 'admin-password-1')).toBe(true);
    expect(await verifyPassword(rows[1].password_hash, 'wrong')).toBe(false);
  });

  it('is idempotent and never touches a database that has data', async () => {
    const before = await c.query(`SELECT (SELECT count(*) FROM users)::int AS u, (SELECT count(*) FROM health_checks)::int AS h`);
    const again = await seedDemoData(db, c, opts);
    expect(again.seeded).toBe(false);
    const after = await c.query(`SELECT (SELECT count(*) FROM users)::int AS u, (SELECT count(*) FROM health_checks)::int AS h`);
    expect(after.rows).toEqual(before.rows);
  });
});
