import { randomInt } from 'node:crypto';
import type { Db, DbTx } from '../db/prisma';
import { Prisma } from '../generated/prisma/client';
import { figuresOf, healthCheckData, toSnapshot } from './health-check';
import { readCounters } from './counters';
import { LOCKS } from './locks';
import type { AuditSource, HealthSnapshot } from './types';

/**
 * The full audit: today's pass over every pair, now the check on the maintained set rather than
 * the way desyncs are found. It classifies every pair with the judge's own SQL classifier
 * (sw_desync_kind, sw_progress_breaks_rules) into a temporary table on the server, compares that
 * with current_desyncs, and re-judges each pair that differs through sw_audit_batch, under the
 * pair's lock, on the latest state: a pair a writer changed since the pass is judged right by that
 * writer and is not drift. What the re-judgement had to change is the drift (0 unless something
 * bypassed the triggers: TRUNCATE, a disabled trigger, session_replication_role = replica), as are
 * the counter corrections. Nothing of the size of the pairs or of the desyncs travels to Node.
 */

/** More ids missing from the users' id range than this: join users in the pass instead. */
const MAX_MISSING_IDS = 100_000;
const BUCKET_BITS = 10;
const BATCH = 1000;

type KnownUsers = { mode: 'range'; lo: number; hi: number; missing: number[] } | { mode: 'join' };

/**
 * Learner existence without joining users to every pair: ids are dense, so the range and the
 * few ids missing from it tell. Pairs of learners outside what this says are checked one by one
 * after the pass (created since, or orphans). Where ids are too sparse, the pass joins users.
 */
async function knownUsers(tx: DbTx): Promise<KnownUsers> {
  const [b] = await tx.$queryRaw<{ lo: number | null; hi: number | null; n: number }[]>`
    SELECT min(id) AS lo, max(id) AS hi, count(*)::int AS n FROM users`;
  if (!b || b.n === 0 || b.lo === null || b.hi === null) return { mode: 'range', lo: 1, hi: 0, missing: [] };
  const gaps = b.hi - b.lo + 1 - b.n;
  if (gaps === 0) return { mode: 'range', lo: b.lo, hi: b.hi, missing: [] };
  if (gaps > MAX_MISSING_IDS) return { mode: 'join' };
  // Users per bucket of 1024 ids; only short buckets are searched. Bucket arithmetic in bigint:
  // the last bucket's end passes 2^31 - 1 when ids get near it.
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
 * The pass, one read-only SELECT (so PostgreSQL runs it in parallel) into a temporary table of
 * the pairs that are desyncs, or whose learner this pass cannot vouch for. $1 the known
 * specializations; range mode adds $2/$3 the id range and $4 the ids missing from it.
 */
function passSql(known: KnownUsers): string {
  const uid = 'coalesce(p.user_id, l.user_id)';
  const unknownUser = known.mode === 'join' ? 'u.id IS NULL' : `(${uid} NOT BETWEEN $2::int AND $3::int OR ${uid} = ANY ($4::int[]))`;
  const spec = 'coalesce(p.specialization_id, l.specialization_id)';
  const kind = (orphan: string) =>
    `sw_desync_kind(${orphan}, p.user_id IS NOT NULL, ` +
    `sw_progress_breaks_rules(p.specialization_id, p.current_level, p.total_xp, p.completed_sessions), ` +
    `l.user_id IS NOT NULL, p.current_level, l.current_level, coalesce(sw_license_in_future(l.started_at), false))`;
  const specUnknown = `NOT (${spec} = ANY ($1::text[]))`;
  return `
    CREATE TEMP TABLE sw_audit_found ON COMMIT DROP AS
    SELECT ${uid} AS user_id, ${spec} AS spec, p.current_level AS pl, l.current_level AS ll,
           ${unknownUser} AS unknown_user, ${kind(specUnknown)} AS kind, ${kind('true')} AS orphan_kind
    FROM specialization_progress p
    FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
    ${known.mode === 'join' ? `LEFT JOIN users u ON u.id = ${uid}` : ''}
    WHERE ${unknownUser} OR ${kind(specUnknown)} IS NOT NULL`;
}

interface PassResult {
  candidates: number;
  counters: number;
}

/** Phase 1, one transaction: the pass, the candidates (pairs where the set and the tables differ), the progress counters. */
async function pass(db: Db, checkId: number): Promise<PassResult> {
  return db.$transaction(
    async (tx) => {
      // The same planner settings for every run (and for the benchmark's baselines).
      await tx.$queryRawUnsafe(`SELECT set_config('jit', 'off', true)`);
      const specs = (await tx.$queryRaw<{ id: string }[]>`SELECT id FROM specializations ORDER BY id`).map((s) => s.id);
      const known = await knownUsers(tx);
      await tx.$executeRawUnsafe(passSql(known), specs, ...(known.mode === 'range' ? [known.lo, known.hi, known.missing] : []));
      // Learners the pass could not vouch for: created since (their pairs keep the pass's kind) or gone (orphans).
      await tx.$executeRaw`UPDATE sw_audit_found f SET kind = f.orphan_kind
        WHERE f.unknown_user AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = f.user_id)`;
      await tx.$executeRaw`DELETE FROM sw_audit_found WHERE kind IS NULL`;
      await tx.$executeRaw`ANALYZE sw_audit_found`;
      const candidates = await tx.$executeRaw`
        INSERT INTO sw_audit_candidates (check_id, user_id, specialization_id)
        SELECT DISTINCT ${checkId}::int, coalesce(f.user_id, d.user_id), coalesce(f.spec, d.specialization_id)
        FROM sw_audit_found f
        FULL JOIN current_desyncs d ON d.user_id = f.user_id AND d.specialization_id = f.spec AND d.kind = f.kind
        WHERE f.user_id IS NULL OR d.user_id IS NULL
           OR d.progress_level IS DISTINCT FROM f.pl OR d.license_level IS DISTINCT FROM f.ll`;
      // Counter corrections are made one audit at a time, each on what the one before left.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCKS.AUDIT}::bigint)`;
      const counters = await correctCounters(tx, 'progress_rows', PROGRESS_ROWS);
      return { candidates, counters };
    },
    { timeout: 600_000, maxWait: 60_000 },
  );
}

/**
 * A counter scope against what it counts (`actual`: rows of key, n), in one statement (one
 * snapshot), the difference written as a correcting delta; returns the amount corrected. The
 * caller holds LOCKS.AUDIT, so each audit corrects what the one before it left.
 */
async function correctCounters(tx: DbTx, scope: 'progress_rows' | 'desyncs', actual: Prisma.Sql): Promise<number> {
  const [r] = await tx.$queryRaw<{ corrected: number }[]>`
    WITH actual AS (${actual}),
         kept AS (SELECT key, sum(n) AS n FROM sw_count_deltas WHERE scope = ${scope} GROUP BY 1),
         diff AS (SELECT coalesce(a.key, k.key) AS key, coalesce(a.n, 0) - coalesce(k.n, 0) AS d
                  FROM actual a FULL JOIN kept k ON k.key = a.key WHERE coalesce(a.n, 0) <> coalesce(k.n, 0)),
         fixed AS (INSERT INTO sw_count_deltas (scope, key, n) SELECT ${scope}, key, d FROM diff RETURNING 1)
    SELECT coalesce(sum(abs(d)), 0)::int AS corrected FROM diff`;
  return r?.corrected ?? 0;
}

const PROGRESS_ROWS = Prisma.sql`SELECT specialization_id AS key, count(*) AS n FROM specialization_progress GROUP BY 1`;
const DESYNCS = Prisma.sql`SELECT kind::text || ':' || specialization_id AS key, count(*) AS n FROM current_desyncs GROUP BY 1`;

/** The desync counters against the set itself (after the re-judgement). */
async function correctDesyncCounters(db: Db): Promise<number> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCKS.AUDIT}::bigint)`;
    return correctCounters(tx, 'desyncs', DESYNCS);
  });
}

export interface AuditProgress {
  phase: 'pass' | 'rejudge' | 'counters';
  done: number;
  total: number;
}

/**
 * Runs the full audit and stores it as an AUDIT check with its drift. Any number may run at
 * once (a re-judgement is idempotent); the scheduler runs one per AUDIT_CRON occurrence.
 */
export async function runFullAudit(
  db: Db,
  opts: { source?: AuditSource; onProgress?: (p: AuditProgress) => void } = {},
): Promise<HealthSnapshot> {
  const started = performance.now();
  const [{ now: startedAt }] = (await db.$queryRaw<{ now: Date }[]>`SELECT now()`) as [{ now: Date }];
  const checkId = randomInt(1, 2 ** 31 - 1);
  opts.onProgress?.({ phase: 'pass', done: 0, total: 1 });
  const found = await pass(db, checkId);
  let judged = 0;
  let pairs = 0;
  try {
    for (;;) {
      const [b] = await db.$queryRaw<{ judged: number; changed: number }[]>`SELECT * FROM sw_audit_batch(${checkId}::int, ${BATCH}::int)`;
      if (!b || b.judged === 0) break;
      judged += b.judged;
      pairs += b.changed;
      opts.onProgress?.({ phase: 'rejudge', done: judged, total: found.candidates });
    }
  } finally {
    await db.$executeRaw`DELETE FROM sw_audit_candidates WHERE check_id = ${checkId}::int`;
  }
  opts.onProgress?.({ phase: 'counters', done: 0, total: 1 });
  const counters = found.counters + (await correctDesyncCounters(db));
  await db.$executeRaw`UPDATE sw_state SET audit_requested_at = NULL, audit_request_reason = NULL
    WHERE id = 1 AND audit_requested_at <= ${startedAt}`;
  const f = figuresOf(await readCounters(db));
  const row = await db.healthCheck.create({
    data: {
      ...healthCheckData(f),
      durationMs: Math.round(performance.now() - started),
      source: opts.source ?? 'APP',
      kind: 'AUDIT',
      drift: pairs + counters,
      driftDetail: { pairs, counters, candidates: found.candidates },
    },
  });
  return toSnapshot(row);
}
