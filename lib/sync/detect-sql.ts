import type { DbTx } from '../db/prisma';
import type { DesyncKind } from './types';
import { classifyPair } from './classify';
import type { LevelTable } from './level-rules';
import { getLevelTables } from './levels';

/**
 * The one definition of a desync, shared by the health check, the sync job's planning and the
 * dry run: every (learner, specialization) pair from a FULL OUTER JOIN of progress and license,
 * classified. Orphans (learner or specialization gone) are only possible where the foreign keys
 * were bypassed (a restore, session_replication_role = replica), and must still be found.
 *
 * Built to cost little more than the bare join at a million pairs (docs/performance.md has the
 * plans and figures):
 * - The pass over the pairs is one read-only statement, so PostgreSQL runs it in parallel (a
 *   statement that writes, even in a CTE, never gets a parallel plan). It is a plain aggregate:
 *   no GROUP BY (hashing a million rows by specialization costs more than the rest of the
 *   aggregate), per-specialization totals as filtered counts of progress rows, and the desynced
 *   pairs, a small minority, collected as compact text. A pair without progress is always a
 *   desync, so the listed pairs complete the totals.
 * - Learner existence is not a join with the users table (a second hash of a million rows):
 *   ids are dense, so one cheap aggregate gives their range and count, and the few ids missing
 *   from the range are listed. In the pass a learner is known when its id is in the range and
 *   not missing; pairs of unknown learners are listed (typically none) and looked up once after
 *   the pass: found there, they are learners created since; not found, orphans. Where ids are
 *   too sparse for this to pay, the pass joins users instead.
 * - A specialization missing from `specializations` (only after a bypass) shows as progress rows
 *   not counted under any known specialization; its pairs are then listed by a second query.
 */

/** More ids missing from the users' id range than this: join users in the pass instead. */
const MAX_MISSING_IDS = 100_000;
const BUCKET_BITS = 10;

export interface DetectedDesync {
  userId: number;
  specializationId: string;
  kind: DesyncKind;
  progressLevel: number | null;
  licenseLevel: number | null;
  /** The rows' versions the pass read (null: no row), so a later write can tell they changed since. */
  progressVersion: number | null;
  licenseVersion: number | null;
}

export interface Detection {
  /** Every pair, by specialization (unknown specializations of orphans included). */
  pairsBySpecialization: Map<string, number>;
  /** The desynced pairs, in no particular order. */
  desyncs: DetectedDesync[];
}

type KnownUsers = { mode: 'range'; lo: number; hi: number; missing: number[] } | { mode: 'join' };

/** The users' id range and the ids missing from it; 'join' when ids are too sparse. */
async function knownUsers(tx: DbTx): Promise<KnownUsers> {
  const [b] = await tx.$queryRaw<{ lo: number | null; hi: number | null; n: number }[]>`
    SELECT min(id) AS lo, max(id) AS hi, count(*)::int AS n FROM users`;
  if (!b || b.n === 0 || b.lo === null || b.hi === null) return { mode: 'range', lo: 1, hi: 0, missing: [] };
  const gaps = b.hi - b.lo + 1 - b.n;
  if (gaps === 0) return { mode: 'range', lo: b.lo, hi: b.hi, missing: [] };
  if (gaps > MAX_MISSING_IDS) return { mode: 'join' };
  // Count users per bucket of 1024 ids; only the short buckets are searched for missing ids. The
  // bucket arithmetic is in bigint: the last bucket's end passes 2^31 - 1 when ids get near it.
  const [m] = await tx.$queryRawUnsafe<{ missing: number[] }[]>(
    `WITH counts AS (SELECT id >> ${BUCKET_BITS} AS b, count(*)::int AS n FROM users GROUP BY 1),
          short AS (
            SELECT greatest(s.b << ${BUCKET_BITS}, $1::bigint) AS first, least(((s.b + 1) << ${BUCKET_BITS}) - 1, $2::bigint) AS last
            FROM generate_series($1::bigint >> ${BUCKET_BITS}, $2::bigint >> ${BUCKET_BITS}) AS s(b) LEFT JOIN counts c ON c.b = s.b
            WHERE coalesce(c.n, 0) < least(((s.b + 1) << ${BUCKET_BITS}) - 1, $2::bigint) - greatest(s.b << ${BUCKET_BITS}, $1::bigint) + 1)
     SELECT coalesce(array_agg(g::int), '{}') AS missing
     FROM short, generate_series(short.first, short.last) AS g
     WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = g)`,
    b.lo,
    b.hi,
  );
  return { mode: 'range', lo: b.lo, hi: b.hi, missing: m?.missing ?? [] };
}

/**
 * The pass. Parameters: $1/$2 the known id range, $3 ids missing from it (range mode only),
 * then the known specializations. Each listed pair is a line
 * "spec,user,progress level,license level,u,xp,sessions,f,progress version,license version",
 * u being 1 when the learner was not known to exist, f 1 when the license starts in the future.
 * A pair is listed when it may be a desync by the classifier's rules (lib/sync/classify.ts):
 * a missing side, unequal levels, an unknown learner, a license starting in the future, or
 * progress that breaks its level's requirements. The requirements travel as two int[] parameters
 * per specialization (XP and sessions, indexed by level) after the specializations: an array
 * subscript per row costs far less than joining the level table to a million rows, which
 * measured 12x the bare join at 1M pairs.
 */
function passSql(known: KnownUsers, specCount: number): string {
  const uid = 'coalesce(p.user_id, l.user_id)';
  const unknownUser = known.mode === 'join' ? 'u.id IS NULL' : `(${uid} NOT BETWEEN $1::int AND $2::int OR ${uid} = ANY ($3::int[]))`;
  // Range mode passes $1-$3 first; the join needs none of them.
  const first = known.mode === 'join' ? 1 : 4;
  const bySpec = Array.from({ length: specCount }, (_, i) => `count(*) FILTER (WHERE p.specialization_id = $${i + first}::text)`);
  const base = first + specCount;
  // The requirement (0: XP, 1: sessions) of level `at` of the row's specialization; null when unknown.
  const whens = (k: 0 | 1) =>
    Array.from({ length: specCount }, (_, i) => `WHEN $${first + i}::text THEN $${base + 2 * i + k}::int[]`).join(' ');
  const req = (k: 0 | 1, at: string) => (specCount === 0 ? 'NULL::int' : `(CASE p.specialization_id ${whens(k)} END)[${at}]`);
  const invalidProgress =
    `p.user_id IS NOT NULL AND (${req(0, 'p.current_level')} IS NULL` +
    ` OR p.total_xp < ${req(0, 'p.current_level')} OR p.completed_sessions < ${req(1, 'p.current_level')}` +
    ` OR (p.total_xp >= ${req(0, 'p.current_level + 1')} AND p.completed_sessions >= ${req(1, 'p.current_level + 1')}))`;
  return `
    SELECT count(p.user_id)::int AS progress_rows,
           ${bySpec.length ? `ARRAY[${bySpec.join(', ')}]::int[]` : `'{}'::int[]`} AS progress_by_spec,
           string_agg(encode(convert_to(coalesce(p.specialization_id, l.specialization_id), 'UTF8'), 'hex') || ',' || ${uid} || ',' ||
                      coalesce(p.current_level::text, '') || ',' || coalesce(l.current_level::text, '') || ',' ||
                      CASE WHEN ${unknownUser} THEN '1' ELSE '' END || ',' ||
                      coalesce(p.total_xp::text, '') || ',' || coalesce(p.completed_sessions::text, '') || ',' ||
                      CASE WHEN l.started_at > now() THEN '1' ELSE '' END || ',' ||
                      coalesce(p.version::text, '') || ',' || coalesce(l.version::text, ''), E'\\n')
             FILTER (WHERE p.user_id IS NULL OR l.user_id IS NULL OR p.current_level <> l.current_level OR ${unknownUser}
                        OR l.started_at > now() OR ${invalidProgress}) AS listed
    FROM specialization_progress p
    FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
    ${known.mode === 'join' ? `LEFT JOIN users u ON u.id = ${uid}` : ''}`;
}

interface Listed {
  spec: string;
  userId: number;
  progressLevel: number | null;
  licenseLevel: number | null;
  unknownUser: boolean;
  totalXp: number | null;
  completedSessions: number | null;
  licenseInFuture: boolean;
  progressVersion: number | null;
  licenseVersion: number | null;
}

const hexNames = new Map<string, string>();
const fromHex = (hex: string) => {
  let name = hexNames.get(hex);
  if (name === undefined) {
    name = Buffer.from(hex, 'hex').toString('utf8');
    if (hexNames.size < 100) hexNames.set(hex, name);
  }
  return name;
};

const num = (s: string | undefined) => (s ? Number(s) : null);

/** A specialization's XP and session requirements as arrays indexed by level (1-based, as SQL's). */
function requirementArrays(table: LevelTable): [(number | null)[], (number | null)[]] {
  const top = table.reduce((m, r) => Math.max(m, r.level), 0);
  const xp: (number | null)[] = Array.from({ length: top }, () => null);
  const sessions: (number | null)[] = Array.from({ length: top }, () => null);
  for (const r of table) {
    xp[r.level - 1] = r.xpRequired;
    sessions[r.level - 1] = r.sessionsRequired;
  }
  return [xp, sessions];
}

/** One listed pair (see passSql); the specialization in hex, so any text survives. */
function parseListed(line: string): Listed {
  const [spec, user, pl, ll, unknown, xp, se, future, pv, lv] = line.split(',');
  return {
    spec: fromHex(spec!),
    userId: Number(user),
    progressLevel: num(pl),
    licenseLevel: num(ll),
    unknownUser: unknown === '1',
    totalXp: num(xp),
    completedSessions: num(se),
    licenseInFuture: future === '1',
    progressVersion: num(pv),
    licenseVersion: num(lv),
  };
}

/**
 * Classifies every pair. Runs inside the caller's transaction (it sets jit for it). Reads only,
 * so the caller may run it before writing anything.
 */
export async function detectDesyncs(tx: DbTx): Promise<Detection> {
  // No JIT compilation: past about a million pairs the planner would start compiling, which
  // makes the figure jump. work_mem stays at the server's setting: the parallel hash join then
  // runs in several small batches, which measured faster here than one large in-memory batch
  // (work_mem 256MB: 1.20x the bare join; 4MB: 1.09x; docs/performance.md).
  await tx.$queryRawUnsafe(`SELECT set_config('jit', 'off', true)`);
  const specs = (await tx.$queryRaw<{ id: string }[]>`SELECT id FROM specializations ORDER BY id`).map((s) => s.id);
  const known = await knownUsers(tx);
  const tables = await getLevelTables(tx);
  const [pass] = await tx.$queryRawUnsafe<{ progress_rows: number; progress_by_spec: number[]; listed: string | null }[]>(
    passSql(known, specs.length),
    ...(known.mode === 'range' ? [known.lo, known.hi, known.missing] : []),
    ...specs,
    ...specs.flatMap((s) => requirementArrays(tables.get(s) ?? [])),
  );
  const listed = pass?.listed ? pass.listed.split('\n').map(parseListed) : [];
  const knownSpecs = new Set(specs);

  // Progress rows under no known specialization: list every pair of those specializations.
  const counted = (pass?.progress_by_spec ?? []).reduce((a, b) => a + b, 0);
  if ((pass?.progress_rows ?? 0) > counted) {
    const rows = await tx.$queryRaw<
      { spec: string; user_id: number; pl: number; ll: number | null; xp: number; se: number; pv: number; lv: number | null }[]
    >`
      SELECT p.specialization_id AS spec, p.user_id, p.current_level AS pl, l.current_level AS ll,
             p.total_xp AS xp, p.completed_sessions AS se, p.version AS pv, l.version AS lv
      FROM specialization_progress p
      LEFT JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
      WHERE p.specialization_id <> ALL (${specs}::text[])`;
    const seen = new Set(listed.map((x) => `${x.userId},${x.spec}`));
    for (const r of rows) {
      if (seen.has(`${r.user_id},${r.spec}`)) continue;
      listed.push({
        spec: r.spec,
        userId: r.user_id,
        progressLevel: r.pl,
        licenseLevel: r.ll,
        unknownUser: false,
        totalXp: r.xp,
        completedSessions: r.se,
        licenseInFuture: false,
        progressVersion: r.pv,
        licenseVersion: r.lv,
      });
    }
  }

  // Learners not known at the start of the check: created since, or gone (orphans).
  const toVerify = [...new Set(listed.filter((x) => x.unknownUser).map((x) => x.userId))];
  const existing = new Set<number>();
  if (toVerify.length) {
    for (const r of await tx.$queryRaw<{ id: number }[]>`SELECT id FROM users WHERE id = ANY (${toVerify}::int[])`) existing.add(r.id);
  }

  const pairsBySpecialization = new Map<string, number>(specs.map((s, i) => [s, pass?.progress_by_spec[i] ?? 0]));
  for (const [s, n] of [...pairsBySpecialization]) if (n === 0) pairsBySpecialization.delete(s);
  const desyncs: DetectedDesync[] = [];
  for (const x of listed) {
    const specKnown = knownSpecs.has(x.spec);
    // Pairs without progress, and every pair of an unknown specialization, are not in the counts yet.
    if (x.progressLevel === null || !specKnown) pairsBySpecialization.set(x.spec, (pairsBySpecialization.get(x.spec) ?? 0) + 1);
    const orphan = !specKnown || (x.unknownUser && !existing.has(x.userId));
    const progress =
      x.progressLevel === null ? null : { level: x.progressLevel, totalXp: x.totalXp ?? 0, completedSessions: x.completedSessions ?? 0 };
    const license = x.licenseLevel === null ? null : { level: x.licenseLevel, startedInFuture: x.licenseInFuture };
    const kind = classifyPair({ progress, license, orphan }, tables.get(x.spec));
    if (!kind) continue;
    const { userId, spec: specializationId, progressLevel, licenseLevel, progressVersion, licenseVersion } = x;
    desyncs.push({ userId, specializationId, kind, progressLevel, licenseLevel, progressVersion, licenseVersion });
  }
  return { pairsBySpecialization, desyncs };
}
