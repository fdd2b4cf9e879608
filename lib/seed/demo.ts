import type { Db } from '../db/prisma';
import { recordHealthSnapshot, runSyncJob } from '../sync';
import { getLevelTables } from '../sync/levels';
import { hashPassword } from '../auth/password';
import type { SpecializationId } from '../sync/level-rules';
import { breakPairs, type Queryable } from './legacy-writes';

/**
 * Demo data: learners with valid progress and matching licenses, a week of history made by the
 * real engine, then about 3% of pairs broken in each way the academy saw (level mismatch,
 * progress without license, license without progress) by named legacy writers. Deterministic
 * apart from timestamps, inserted set-based, and only into an empty database.
 */

export interface SeedOptions {
  learners: number;
  admin: { email: string; password: string };
  viewer: { email: string; password: string };
  /** Fraction of pairs broken per desync kind. */
  desyncRate?: number;
  seed?: number;
}

export interface SeedResult {
  seeded: boolean;
  learners: number;
  pairs: number;
  desyncs: { LEVEL_MISMATCH: number; MISSING_LICENSE: number; MISSING_PROGRESS: number };
}

/** mulberry32: a small deterministic PRNG, so every fresh demo database looks the same. */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = [
  'Ada',
  'Ben',
  'Chloe',
  'Dara',
  'Eli',
  'Fatima',
  'Gus',
  'Hana',
  'Ivan',
  'Jon',
  'Kemi',
  'Lea',
  'Mateo',
  'Nia',
  'Omar',
  'Pia',
  'Quinn',
  'Rosa',
  'Sami',
  'Tess',
  'Uma',
  'Vik',
  'Wren',
  'Yara',
  'Zoe',
];
const LAST = [
  'Abara',
  'Berg',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Garcia',
  'Haddad',
  'Ito',
  'Jansen',
  'Kowalski',
  'Larsen',
  'Moreau',
  'Nakamura',
  'Okafor',
  'Petrov',
  'Quispe',
  'Rossi',
  'Silva',
  'Tanaka',
];

/** How often learners take each specialization, and how levels are spread (low levels common). */
const TAKE_RATE: Record<SpecializationId, number> = { PLAYER: 0.85, COACH: 0.35, INTERNSHIP: 0.3 };

export async function databaseHasData(client: Queryable): Promise<boolean> {
  const { rows } = await client.query<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM specialization_progress)
         OR EXISTS (SELECT 1 FROM user_licenses) OR EXISTS (SELECT 1 FROM sync_jobs) AS any`,
  );
  return rows[0]!.any;
}

export async function seedDemoData(db: Db, client: Queryable, opts: SeedOptions): Promise<SeedResult> {
  if (await databaseHasData(client))
    return { seeded: false, learners: 0, pairs: 0, desyncs: { LEVEL_MISMATCH: 0, MISSING_LICENSE: 0, MISSING_PROGRESS: 0 } };

  const rand = prng(opts.seed ?? 20261121);
  const rate = opts.desyncRate ?? 0.03;
  const tables = await getLevelTables(db);
  const [adminHash, viewerHash] = await Promise.all([hashPassword(opts.admin.password), hashPassword(opts.viewer.password)]);

  const users = { email: [] as string[], name: [] as string[] };
  for (let i = 1; i <= opts.learners; i++) {
    const first = FIRST[Math.floor(rand() * FIRST.length)]!;
    const last = LAST[Math.floor(rand() * LAST.length)]!;
    users.name.push(`${first} ${last}`);
    users.email.push(`${first}.${last}.${i}@academy.test`.toLowerCase());
  }

  const p = {
    user: [] as number[],
    spec: [] as string[],
    level: [] as number[],
    xp: [] as number[],
    sessions: [] as number[],
    created: [] as string[],
  };
  const l = {
    user: [] as number[],
    spec: [] as string[],
    level: [] as number[],
    started: [] as string[],
    advanced: [] as (string | null)[],
  };
  const now = Date.now();
  const day = 86_400_000;

  await client.query('BEGIN');
  try {
    const { rows: ids } = await client.query<{ id: number }>(
      `INSERT INTO users (email, name, role, created_at)
       SELECT e, n, 'STUDENT', now() - (random() * interval '700 days')
       FROM unnest($1::text[], $2::text[]) AS t(e, n) RETURNING id`,
      [users.email, users.name],
    );
    await client.query(
      `INSERT INTO users (email, name, role, password_hash) VALUES ($1, 'Demo Admin', 'ADMIN', $2), ($3, 'Demo Viewer', 'VIEWER', $4)`,
      [opts.admin.email.toLowerCase(), adminHash, opts.viewer.email.toLowerCase(), viewerHash],
    );

    for (const { id } of ids) {
      const specs = (Object.keys(TAKE_RATE) as SpecializationId[]).filter((s) => rand() < TAKE_RATE[s]);
      if (specs.length === 0) specs.push('PLAYER');
      for (const spec of specs) {
        const table = tables.get(spec)!;
        const max = table.length;
        // Skewed towards low levels: most learners are early in a track.
        const level = Math.min(max, 1 + Math.floor(Math.pow(rand(), 1.7) * max));
        const here = table[level - 1]!;
        const next = table[level];
        const xpSpan = next ? next.xpRequired - here.xpRequired : 30_000;
        const sessionSpan = next ? next.sessionsRequired - here.sessionsRequired : 20;
        // Either threshold of the next level may be the one still missing.
        const xp = here.xpRequired + Math.floor(rand() * xpSpan);
        const sessions = here.sessionsRequired + Math.floor(rand() * sessionSpan);
        const started = new Date(now - (30 + rand() * 650) * day);
        const created = new Date(started.getTime() - rand() * 20 * day);
        const advanced = level > 1 ? new Date(started.getTime() + rand() * (now - started.getTime())) : null;

        p.user.push(id);
        p.spec.push(spec);
        p.level.push(level);
        p.xp.push(xp);
        p.sessions.push(sessions);
        p.created.push(created.toISOString());
        l.user.push(id);
        l.spec.push(spec);
        l.level.push(level);
        l.started.push(started.toISOString());
        l.advanced.push(advanced?.toISOString() ?? null);
      }
    }

    await client.query(
      `INSERT INTO specialization_progress
         (user_id, specialization_id, current_level, total_xp, completed_sessions, created_at, updated_at)
       SELECT u, s, lv, xp, se, c, c
       FROM unnest($1::int[], $2::text[], $3::int[], $4::int[], $5::int[], $6::timestamptz[]) AS t(u, s, lv, xp, se, c)`,
      [p.user, p.spec, p.level, p.xp, p.sessions, p.created],
    );
    await client.query(
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at, last_advanced_at, created_at, updated_at)
       SELECT u, s, lv, st, adv, st, coalesce(adv, st)
       FROM unnest($1::int[], $2::text[], $3::int[], $4::timestamptz[], $5::timestamptz[]) AS t(u, s, lv, st, adv)`,
      [l.user, l.spec, l.level, l.started, l.advanced],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
  await seedHistory(db, client, rand);
  const desyncs = await breakPairs(client, rand, rate);
  await recordHealthSnapshot(db, { source: 'APP' });
  return { seeded: true, learners: opts.learners, pairs: p.user.length, desyncs };
}

/**
 * A week of history made by the real engine: pairs broken by "legacy writes", found by health
 * checks, repaired by scheduled sync jobs; then their timestamps moved back to when they would
 * have happened, so the trend chart and job history have something true to show.
 */
async function seedHistory(db: Db, client: Queryable, rand: () => number) {
  const scheduler = { label: 'scheduler', source: 'SYNC_JOB' as const };
  const hour = 3_600_000;
  const waves = [
    { hoursAgo: 7 * 24, rate: 0.02 },
    { hoursAgo: 5 * 24, rate: 0.012 },
    { hoursAgo: 3 * 24, rate: 0.025 },
    { hoursAgo: 1 * 24, rate: 0.008 },
    { hoursAgo: 4, rate: 0.005 },
  ];
  for (const [i, wave] of waves.entries()) {
    const events = await client.query<{ last: string }>(`SELECT coalesce(max(id), 0) AS last FROM pair_events`);
    await breakPairs(client, rand, wave.rate);
    const found = await recordHealthSnapshot(db);
    const job = await runSyncJob(db, { trigger: 'SCHEDULED', actor: scheduler });
    const at = (offsetHours: number) => new Date(Date.now() - (wave.hoursAgo - offsetHours) * hour);
    // The repair follows a few hours after the check, as the 6-hourly schedule would.
    const repairAfter = Math.min(6, wave.hoursAgo / 2);
    // The job's closing snapshot, and the snapshot that found the desyncs, move back too.
    await client.query(`UPDATE health_checks SET checked_at = $2 WHERE id = $1`, [found.id!, at(0)]);
    await client.query(`UPDATE health_checks SET checked_at = $2 WHERE id > $1`, [found.id!, at(repairAfter + 0.1)]);
    const start = at(repairAfter);
    const end = new Date(start.getTime() + (job.durationMs ?? 0));
    await client.query(`UPDATE sync_jobs SET started_at = $2, finished_at = $3, heartbeat_at = $3 WHERE id = $1`, [job.id, start, end]);
    await client.query(`UPDATE sync_job_items SET created_at = $2 WHERE job_id = $1`, [job.id, end]);
    await client.query(`UPDATE audit_events SET at = $2 WHERE sync_job_id = $1`, [job.id, end]);
    // The judge's record of the wave: the legacy writes when they broke the pairs, the repairs with the job.
    await client.query(
      `UPDATE pair_events SET at = CASE writer_kind WHEN 'SQL' THEN $2::timestamptz ELSE $3::timestamptz END WHERE id > $1`,
      [events.rows[0]!.last, at(0), end],
    );
    // Hourly checks after the repair until the next wave (or the last hour): the trend's 7-day
    // view is one line through the week.
    const until = waves[i + 1]?.hoursAgo ?? 1;
    for (let h = Math.ceil(repairAfter + 0.5); wave.hoursAgo - h > until; h += 1) {
      const check = await recordHealthSnapshot(db);
      await client.query(`UPDATE health_checks SET checked_at = $2 WHERE id = $1`, [check.id!, at(h)]);
    }
  }
}
