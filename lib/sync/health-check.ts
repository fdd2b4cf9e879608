import type { Db, DbTx } from '../db/prisma';
import type { HealthCheck } from '../generated/prisma/client';
import { detectDesyncs, type DetectedDesync, type Detection } from './detect-sql';
import { emptyByKind } from './classify';
import { LOCKS } from './locks';
import type { AuditSource, DesyncKind, HealthSnapshot } from './types';

type SpecFigures = { pairs: number } & Record<DesyncKind, number>;

function figuresOf(d: Detection) {
  const bySpecialization: Record<string, SpecFigures> = {};
  for (const [spec, pairs] of [...d.pairsBySpecialization].sort(([a], [b]) => a.localeCompare(b))) {
    bySpecialization[spec] = { pairs, ...emptyByKind() };
  }
  const byKind = emptyByKind();
  for (const x of d.desyncs) {
    byKind[x.kind]++;
    bySpecialization[x.specializationId]![x.kind]++;
  }
  const totalPairs = [...d.pairsBySpecialization.values()].reduce((a, b) => a + b, 0);
  return { totalPairs, desynced: d.desyncs.length, byKind, bySpecialization };
}

/**
 * Rewrites current_desyncs from a detection in one statement: new desyncs are inserted, pairs
 * whose levels changed are updated (keeping "since"), unchanged ones are not touched (no write,
 * no lock: they keep the id of the check that last saw them change), and pairs no longer out of
 * sync leave. The list travels as one text[] parameter ("user,kind,progress level,license
 * level,progress version,license version,specialization" per element): at 12,000 desyncs Prisma
 * serializes that about four times faster than separate array parameters.
 *
 * A pair is written only if its rows' versions are still those the pass read: a pair that a
 * coupled write or a repair changed after the pass is left to that writer (which removes or
 * keeps its own entry) and to the next check. The caller holds the DESYNC_LIST lock
 * exclusively, so no SyncWatch writer is between its write and its commit meanwhile.
 */
async function writeCurrentDesyncs(tx: DbTx, checkId: number, desyncs: DetectedDesync[]) {
  const lines = desyncs.map(
    (d) =>
      `${d.userId},${d.kind},${d.progressLevel ?? ''},${d.licenseLevel ?? ''},` +
      `${d.progressVersion ?? ''},${d.licenseVersion ?? ''},${d.specializationId}`,
  );
  const [changes] = await tx.$queryRawUnsafe<{ upserted: number; removed: number }[]>(
    `WITH found AS MATERIALIZED (
       SELECT split_part(r, ',', 1)::int AS user_id, split_part(r, ',', 2)::"DesyncKind" AS kind,
              nullif(split_part(r, ',', 3), '')::int AS pl, nullif(split_part(r, ',', 4), '')::int AS ll,
              nullif(split_part(r, ',', 5), '')::int AS pv, nullif(split_part(r, ',', 6), '')::int AS lv,
              regexp_replace(r, '^([^,]*,){6}', '') AS spec
       FROM unnest($1::text[]) AS r),
     -- New or changed entries first (a hash anti join over the whole list); only those few are
     -- then checked against their rows' versions. In one WHERE, the version filters' estimate
     -- would make the planner pick a nested loop over the list: quadratic in the desyncs.
     unlisted AS MATERIALIZED (
       SELECT f.* FROM found f
       WHERE NOT EXISTS (SELECT 1 FROM current_desyncs c
                         WHERE c.user_id = f.user_id AND c.specialization_id = f.spec AND c.kind = f.kind
                           AND c.progress_level IS NOT DISTINCT FROM f.pl AND c.license_level IS NOT DISTINCT FROM f.ll)),
     changed AS (
       SELECT f.* FROM unlisted f
       WHERE (SELECT p.version FROM specialization_progress p WHERE p.user_id = f.user_id AND p.specialization_id = f.spec)
             IS NOT DISTINCT FROM f.pv
         AND (SELECT l.version FROM user_licenses l WHERE l.user_id = f.user_id AND l.specialization_id = f.spec)
             IS NOT DISTINCT FROM f.lv),
     previous AS (SELECT max(checked_at) AS at FROM health_checks WHERE id <> $2),
     upserted AS (
       INSERT INTO current_desyncs (user_id, specialization_id, kind, progress_level, license_level, since, health_check_id)
       -- "Since": when a row changed after the previous check, that change is when the pair
       -- broke; otherwise (a deleted row leaves no trace) the first check that saw it.
       SELECT f.user_id, f.spec, f.kind, f.pl, f.ll,
              CASE WHEN previous.at IS NOT NULL AND ch.at > previous.at THEN least(ch.at, now()) ELSE now() END,
              $2
       FROM changed f
       CROSS JOIN previous
       -- One index look-up per new or changed pair (a join here may be planned as a scan of a
       -- million rows when the list grew since its statistics were taken).
       CROSS JOIN LATERAL (SELECT greatest(
         (SELECT p.updated_at FROM specialization_progress p WHERE p.user_id = f.user_id AND p.specialization_id = f.spec),
         (SELECT l.updated_at FROM user_licenses l WHERE l.user_id = f.user_id AND l.specialization_id = f.spec)) AS at OFFSET 0) ch
       ON CONFLICT (user_id, specialization_id, kind) DO UPDATE
         SET progress_level = EXCLUDED.progress_level, license_level = EXCLUDED.license_level, health_check_id = EXCLUDED.health_check_id
       RETURNING 1),
     removed AS (
       DELETE FROM current_desyncs c
       WHERE NOT EXISTS (SELECT 1 FROM found f WHERE f.user_id = c.user_id AND f.spec = c.specialization_id AND f.kind = c.kind)
       RETURNING 1)
     SELECT (SELECT count(*) FROM upserted)::int AS upserted, (SELECT count(*) FROM removed)::int AS removed`,
    lines,
    checkId,
  );
  // The list can grow from nothing to thousands of rows in one check, faster than autovacuum
  // re-analyzes it; the sync job's batches plan their deletes from it on these statistics.
  const changed = (changes?.upserted ?? 0) + (changes?.removed ?? 0);
  if (changed > 500 && changed > desyncs.length / 5) await tx.$executeRawUnsafe('ANALYZE current_desyncs');
}

/**
 * One set-based pass over all pairs (lib/sync/detect-sql.ts), then, in the same transaction, a
 * HealthCheck snapshot of the figures for trends and the current-desync list rewritten (pairs
 * still out of sync keep their "since"; repaired ones leave).
 */
export async function runHealthCheck(db: Db, opts: { source?: AuditSource } = {}): Promise<HealthSnapshot> {
  const started = performance.now();
  const row = await db.$transaction(
    async (tx) => {
      // One check at a time across instances: two at once would fight over current_desyncs.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCKS.HEALTH_CHECK}::bigint)`;
      const detection = await detectDesyncs(tx);
      const f = figuresOf(detection);
      const b = f.byKind;
      const check = await tx.healthCheck.create({
        data: {
          durationMs: Math.round(performance.now() - started),
          totalPairs: f.totalPairs,
          consistentPairs: f.totalPairs - f.desynced,
          consistencyRate: f.totalPairs === 0 ? 1 : (f.totalPairs - f.desynced) / f.totalPairs,
          levelMismatch: b.LEVEL_MISMATCH,
          missingLicense: b.MISSING_LICENSE,
          missingProgress: b.MISSING_PROGRESS,
          orphanProgress: b.ORPHAN_PROGRESS,
          orphanLicense: b.ORPHAN_LICENSE,
          invalidProgress: b.INVALID_PROGRESS,
          licenseInFuture: b.LICENSE_IN_FUTURE,
          bySpecialization: f.bySpecialization,
          source: opts.source ?? 'APP',
        },
      });
      // Waits for writes of pairs in flight, and holds off new ones until this transaction ends.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCKS.DESYNC_LIST}::bigint)`;
      await writeCurrentDesyncs(tx, check.id, detection.desyncs);
      return tx.healthCheck.update({ where: { id: check.id }, data: { durationMs: Math.round(performance.now() - started) } });
    },
    { timeout: 600_000, maxWait: 60_000 },
  );
  return toSnapshot(row);
}

export function toSnapshot(row: HealthCheck): HealthSnapshot {
  const byKind: Record<DesyncKind, number> = {
    LEVEL_MISMATCH: row.levelMismatch,
    MISSING_LICENSE: row.missingLicense,
    MISSING_PROGRESS: row.missingProgress,
    ORPHAN_PROGRESS: row.orphanProgress,
    ORPHAN_LICENSE: row.orphanLicense,
    INVALID_PROGRESS: row.invalidProgress,
    LICENSE_IN_FUTURE: row.licenseInFuture,
  };
  return {
    id: row.id,
    checkedAt: row.checkedAt,
    durationMs: row.durationMs,
    totalPairs: row.totalPairs,
    consistentPairs: row.consistentPairs,
    consistencyRate: row.consistencyRate,
    byKind,
    orphans: row.orphanProgress + row.orphanLicense,
    bySpecialization: row.bySpecialization as HealthSnapshot['bySpecialization'],
  };
}

export async function getLatestHealthCheck(db: Db): Promise<HealthSnapshot | null> {
  const row = await db.healthCheck.findFirst({ orderBy: [{ checkedAt: 'desc' }, { id: 'desc' }] });
  return row ? toSnapshot(row) : null;
}

/** The latest `limit` checks, oldest first (for the trend chart). */
export async function listHealthChecks(db: Db, opts: { limit?: number } = {}): Promise<HealthSnapshot[]> {
  const take = Math.min(Math.max(opts.limit ?? 200, 1), 5000);
  const rows = await db.healthCheck.findMany({ orderBy: [{ checkedAt: 'desc' }, { id: 'desc' }], take });
  return rows.reverse().map(toSnapshot);
}
