import type pg from 'pg';
import { hashPassword } from '../auth/password';
import type { LevelTable, SpecializationId } from '../sync/level-rules';

/**
 * Demo data: learners with valid progress and matching licenses, then about 3% of pairs
 * broken in each way the academy saw (level mismatch, progress without license, license
 * without progress). Deterministic, inserted set-based, and only into an empty database.
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

const FIRST = ['Ada', 'Ben', 'Chloe', 'Dara', 'Eli', 'Fatima', 'Gus', 'Hana', 'Ivan', 'Jon', 'Kemi', 'Lea', 'Mateo', 'Nia', 'Omar', 'Pia', 'Quinn', 'Rosa', 'Sami', 'Tess', 'Uma', 'Vik', 'Wren', 'Yara', 'Zoe'];
const LAST = ['Abara', 'Berg', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jansen', 'Kowalski', 'Larsen', 'Moreau', 'Nakamura', 'Okafor', 'Petrov', 'Quispe', 'Rossi', 'Silva', 'Tanaka'];

/** How often learners take each specialization, and how levels are spread (low levels common). */
const TAKE_RATE: Record<SpecializationId, number> = { PLAYER: 0.85, COACH: 0.35, INTERNSHIP: 0.3 };

export async function loadLevelTables(client: pg.Client | pg.PoolClient): Promise<Map<SpecializationId, LevelTable>> {
  const { rows } = await client.query<{ specialization_id: SpecializationId; level: number; xp_required: number; sessions_required: number }>(
    'SELECT specialization_id, level, xp_required, sessions_required FROM level_requirements ORDER BY specialization_id, level',
  );
  const tables = new Map<SpecializationId, { level: number; xpRequired: number; sessionsRequired: number }[]>();
  for (const r of rows) {
    const list = tables.get(r.specialization_id) ?? [];
    list.push({ level: r.level, xpRequired: r.xp_required, sessionsRequired: r.sessions_required });
    tables.set(r.specialization_id, list);
  }
  return tables;
}

export async function databaseHasData(client: pg.Client | pg.PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM specialization_progress)
         OR EXISTS (SELECT 1 FROM user_licenses) OR EXISTS (SELECT 1 FROM sync_jobs) AS any`,
  );
  return rows[0]!.any;
}

export async function seedDemoData(client: pg.Client | pg.PoolClient, opts: SeedOptions): Promise<SeedResult> {
  const none = { LEVEL_MISMATCH: 0, MISSING_LICENSE: 0, MISSING_PROGRESS: 0 };
  if (await databaseHasData(client)) return { seeded: false, learners: 0, pairs: 0, desyncs: none };

  const rand = prng(opts.seed ?? 20261121);
  const rate = opts.desyncRate ?? 0.03;
  const tables = await loadLevelTables(client);
  const [adminHash, viewerHash] = await Promise.all([
    hashPassword(opts.admin.password),
    hashPassword(opts.viewer.password),
  ]);

  const users = { email: [] as string[], name: [] as string[] };
  for (let i = 1; i <= opts.learners; i++) {
    const first = FIRST[Math.floor(rand() * FIRST.length)]!;
    const last = LAST[Math.floor(rand() * LAST.length)]!;
    users.name.push(`${first} ${last}`);
    users.email.push(`${first}.${last}.${i}@academy.test`.toLowerCase());
  }

  const p = { user: [] as number[], spec: [] as string[], level: [] as number[], xp: [] as number[], sessions: [] as number[], created: [] as string[] };
  const l = { user: [] as number[], spec: [] as string[], level: [] as number[], started: [] as string[], advanced: [] as (string | null)[] };
  const desyncs = { ...none };
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

        const roll = rand();
        const kind =
          roll < rate ? 'LEVEL_MISMATCH' : roll < 2 * rate ? 'MISSING_LICENSE' : roll < 3 * rate ? 'MISSING_PROGRESS' : null;
        if (kind) desyncs[kind]++;

        if (kind !== 'MISSING_PROGRESS') {
          p.user.push(id); p.spec.push(spec); p.level.push(level); p.xp.push(xp); p.sessions.push(sessions); p.created.push(created.toISOString());
        }
        if (kind !== 'MISSING_LICENSE') {
          let licenseLevel = level;
          if (kind === 'LEVEL_MISMATCH') licenseLevel = level === 1 ? 2 : rand() < 0.7 ? level - 1 : Math.min(max, level + 1) === level ? level - 1 : level + 1;
          l.user.push(id); l.spec.push(spec); l.level.push(licenseLevel); l.started.push(started.toISOString()); l.advanced.push(advanced?.toISOString() ?? null);
        }
      }
    }

    await client.query(
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions, created_at, updated_at)
       SELECT u, s, lv, xp, se, c, c FROM unnest($1::int[], $2::text[], $3::int[], $4::int[], $5::int[], $6::timestamptz[]) AS t(u, s, lv, xp, se, c)`,
      [p.user, p.spec, p.level, p.xp, p.sessions, p.created],
    );
    await client.query(
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at, last_advanced_at, created_at, updated_at)
       SELECT u, s, lv, st, adv, st, coalesce(adv, st) FROM unnest($1::int[], $2::text[], $3::int[], $4::timestamptz[], $5::timestamptz[]) AS t(u, s, lv, st, adv)`,
      [l.user, l.spec, l.level, l.started, l.advanced],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
  const pairs = new Set([...p.user.map((u, i) => `${u}:${p.spec[i]}`), ...l.user.map((u, i) => `${u}:${l.spec[i]}`)]).size;
  return { seeded: true, learners: opts.learners, pairs, desyncs };
}
