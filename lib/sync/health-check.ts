import { getDb } from '../db/client';
import type { HealthCheck } from '../generated/prisma/client';
import { CLASSIFIED_PAIRS_SQL, KIND_NAME_SQL } from './detect-sql';
import { DESYNC_KINDS, type AuditSource, type DesyncKind, type HealthSnapshot } from './types';

/** Serializes health checks across instances: two at once would fight over current_desyncs. */
const HEALTH_CHECK_LOCK = 0x5e41c4; // arbitrary, constant

interface SpecFigures {
  spec: string;
  pairs: number;
  level_mismatch: number;
  missing_license: number;
  missing_progress: number;
  orphan_progress: number;
  orphan_license: number;
}

/**
 * One pass of set-based SQL over all pairs: per-specialization counts by kind, and, in the
 * same statement, the current-desync list rewritten (pairs still out of sync keep their
 * "since"; repaired ones leave). Then a HealthCheck snapshot stores the figures for trends.
 */
export async function runHealthCheck(opts: { source?: AuditSource } = {}): Promise<HealthSnapshot> {
  const db = getDb();
  const started = performance.now();
  const row = await db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${HEALTH_CHECK_LOCK})`;
      const previous = await tx.healthCheck.findFirst({ orderBy: [{ checkedAt: 'desc' }, { id: 'desc' }], select: { checkedAt: true } });
      const check = await tx.healthCheck.create({
        data: {
          durationMs: 0, totalPairs: 0, consistentPairs: 0, consistencyRate: 1,
          levelMismatch: 0, missingLicense: 0, missingProgress: 0, orphanProgress: 0, orphanLicense: 0,
          bySpecialization: {}, source: opts.source ?? 'APP',
        },
      });
      // Hash joins and the aggregate over a million pairs want more than the default 4 MB.
      await tx.$executeRawUnsafe(`SET LOCAL work_mem = '256MB'`);
      const groups = await tx.$queryRawUnsafe<{ spec: string; k: number; n: number; upserted: number; removed: number }[]>(
        `WITH agg AS MATERIALIZED (
           SELECT spec, k, count(*)::int AS n,
                  array_agg(user_id) FILTER (WHERE k > 0) AS d_user,
                  array_agg(pl) FILTER (WHERE k > 0) AS d_pl,
                  array_agg(ll) FILTER (WHERE k > 0) AS d_ll,
                  array_agg(greatest(p_updated, l_updated)) FILTER (WHERE k > 0) AS d_changed
           FROM (${CLASSIFIED_PAIRS_SQL}) c
           GROUP BY spec, k),
         found AS MATERIALIZED (
           SELECT a.spec, ${KIND_NAME_SQL('a.k')}::"DesyncKind" AS kind, f.user_id, f.pl, f.ll, f.changed_at
           FROM agg a, unnest(a.d_user, a.d_pl, a.d_ll, a.d_changed) AS f(user_id, pl, ll, changed_at)
           WHERE a.k > 0),
         upserted AS (
           INSERT INTO current_desyncs (user_id, specialization_id, kind, progress_level, license_level, since, health_check_id)
           -- "Since": when a row changed after the previous check, that change is when the pair
           -- broke; otherwise (a deleted row leaves no trace) the first check that saw it.
           SELECT user_id, spec, kind, pl, ll,
                  CASE WHEN $2::timestamptz IS NOT NULL AND changed_at > $2::timestamptz THEN least(changed_at, now()) ELSE now() END,
                  $1 FROM found
           ON CONFLICT (user_id, specialization_id, kind) DO UPDATE
             SET progress_level = EXCLUDED.progress_level, license_level = EXCLUDED.license_level, health_check_id = EXCLUDED.health_check_id
           RETURNING 1),
         removed AS (
           DELETE FROM current_desyncs c
           WHERE NOT EXISTS (SELECT 1 FROM found f WHERE f.user_id = c.user_id AND f.spec = c.specialization_id AND f.kind = c.kind)
           RETURNING 1)
         SELECT spec, k, n, (SELECT count(*) FROM upserted)::int AS upserted, (SELECT count(*) FROM removed)::int AS removed
         FROM agg ORDER BY spec, k`,
        check.id,
        previous?.checkedAt ?? null,
      );
      const figures: SpecFigures[] = [...new Set(groups.map((g) => g.spec))].map((spec) => {
        const n = (k: number) => groups.find((g) => g.spec === spec && g.k === k)?.n ?? 0;
        return {
          spec,
          pairs: groups.filter((g) => g.spec === spec).reduce((a, g) => a + g.n, 0),
          level_mismatch: n(1), missing_license: n(2), missing_progress: n(3), orphan_progress: n(4), orphan_license: n(5),
        };
      });
      const sum = (k: keyof SpecFigures) => figures.reduce((n, f) => n + (f[k] as number), 0);
      const totalPairs = sum('pairs');
      const desynced = sum('level_mismatch') + sum('missing_license') + sum('missing_progress') + sum('orphan_progress') + sum('orphan_license');
      const bySpecialization = Object.fromEntries(
        figures.map((f) => [
          f.spec,
          {
            pairs: f.pairs,
            LEVEL_MISMATCH: f.level_mismatch,
            MISSING_LICENSE: f.missing_license,
            MISSING_PROGRESS: f.missing_progress,
            ORPHAN_PROGRESS: f.orphan_progress,
            ORPHAN_LICENSE: f.orphan_license,
          },
        ]),
      );
      return tx.healthCheck.update({
        where: { id: check.id },
        data: {
          durationMs: Math.round(performance.now() - started),
          totalPairs,
          consistentPairs: totalPairs - desynced,
          consistencyRate: totalPairs === 0 ? 1 : (totalPairs - desynced) / totalPairs,
          levelMismatch: sum('level_mismatch'),
          missingLicense: sum('missing_license'),
          missingProgress: sum('missing_progress'),
          orphanProgress: sum('orphan_progress'),
          orphanLicense: sum('orphan_license'),
          bySpecialization,
        },
      });
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

export async function getLatestHealthCheck(): Promise<HealthSnapshot | null> {
  const row = await getDb().healthCheck.findFirst({ orderBy: [{ checkedAt: 'desc' }, { id: 'desc' }] });
  return row ? toSnapshot(row) : null;
}

/** The latest `limit` checks, oldest first (for the trend chart). */
export async function listHealthChecks(opts: { limit?: number } = {}): Promise<HealthSnapshot[]> {
  const take = Math.min(Math.max(opts.limit ?? 200, 1), 5000);
  const rows = await getDb().healthCheck.findMany({ orderBy: [{ checkedAt: 'desc' }, { id: 'desc' }], take });
  return rows.reverse().map(toSnapshot);
}

export { DESYNC_KINDS };
