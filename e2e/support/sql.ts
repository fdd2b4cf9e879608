/**
 * The run's database as the E2E tests see it: raw SQL on it, and the figures the app should show
 * computed here with queries of their own (a FULL OUTER JOIN of progress and license), never
 * through the app's code.
 */

export type Sql = <R extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<R[]>;

import pg from 'pg';
import { REPAIRABLE_KINDS } from '../../lib/vocabulary';
import { runValue } from './run';

export { REPAIRABLE_KINDS };
export type SpecializationId = 'PLAYER' | 'COACH' | 'INTERNSHIP';
export type RepairableKind = (typeof REPAIRABLE_KINDS)[number];
/** The kinds the demo seed breaks pairs into (lib/seed/legacy-writes.ts#breakPairs). */
export const SEEDED_KINDS = ['LEVEL_MISMATCH', 'MISSING_LICENSE', 'MISSING_PROGRESS'] as const;

export interface Figures {
  totalPairs: number;
  consistentPairs: number;
  /** consistent / total, a fraction; 1 when there are no pairs. */
  rate: number;
  byKind: Record<RepairableKind, number>;
  orphans: number;
  desyncs: number;
}

export async function expectedFigures(sql: Sql): Promise<Figures> {
  const [row] = await sql<{
    total: string;
    consistent: string;
    level_mismatch: string;
    missing_license: string;
    missing_progress: string;
    invalid_progress: string;
    license_in_future: string;
    orphans: string;
  }>(
    `WITH pairs AS (
       SELECT coalesce(p.user_id, l.user_id) AS user_id,
              coalesce(p.specialization_id, l.specialization_id) AS spec,
              p.user_id IS NOT NULL AS has_progress, l.user_id IS NOT NULL AS has_license,
              p.current_level AS progress_level, l.current_level AS license_level,
              l.started_at > now() AS license_in_future,
              p.user_id IS NOT NULL AND (
                NOT EXISTS (SELECT 1 FROM level_requirements r WHERE r.specialization_id = p.specialization_id
                              AND r.level = p.current_level AND r.xp_required <= p.total_xp AND r.sessions_required <= p.completed_sessions)
                OR EXISTS (SELECT 1 FROM level_requirements r WHERE r.specialization_id = p.specialization_id
                             AND r.level > p.current_level AND r.xp_required <= p.total_xp AND r.sessions_required <= p.completed_sessions)
              ) AS invalid_progress
       FROM specialization_progress p
       FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
     ), classified AS (
       SELECT *, (NOT EXISTS (SELECT 1 FROM users u WHERE u.id = pairs.user_id)
                  OR NOT EXISTS (SELECT 1 FROM specializations s WHERE s.id = pairs.spec)) AS orphan
       FROM pairs
     )
     SELECT count(*) AS total,
            count(*) FILTER (WHERE NOT orphan AND NOT invalid_progress AND has_progress AND has_license
                               AND progress_level = license_level AND NOT license_in_future) AS consistent,
            count(*) FILTER (WHERE NOT orphan AND invalid_progress) AS invalid_progress,
            count(*) FILTER (WHERE NOT orphan AND NOT invalid_progress AND has_progress AND has_license
                               AND progress_level <> license_level) AS level_mismatch,
            count(*) FILTER (WHERE NOT orphan AND NOT invalid_progress AND has_progress AND NOT has_license) AS missing_license,
            count(*) FILTER (WHERE NOT orphan AND has_license AND NOT has_progress) AS missing_progress,
            count(*) FILTER (WHERE NOT orphan AND NOT invalid_progress AND has_progress AND has_license
                               AND progress_level = license_level AND license_in_future) AS license_in_future,
            count(*) FILTER (WHERE orphan) AS orphans
     FROM classified`,
  );
  const r = row!;
  const byKind = {
    LEVEL_MISMATCH: Number(r.level_mismatch),
    MISSING_LICENSE: Number(r.missing_license),
    MISSING_PROGRESS: Number(r.missing_progress),
    INVALID_PROGRESS: Number(r.invalid_progress),
    LICENSE_IN_FUTURE: Number(r.license_in_future),
  };
  const totalPairs = Number(r.total);
  const consistentPairs = Number(r.consistent);
  return {
    totalPairs,
    consistentPairs,
    rate: totalPairs === 0 ? 1 : consistentPairs / totalPairs,
    byKind,
    orphans: Number(r.orphans),
    desyncs: Object.values(byKind).reduce((a, b) => a + b, 0),
  };
}

/** Every repairable desync as `userId:SPEC:KIND`, from SQL. */
export async function desyncKeys(sql: Sql, opts: { userIds?: number[] } = {}): Promise<Set<string>> {
  const rows = await sql<{ key: string }>(
    `SELECT coalesce(p.user_id, l.user_id) || ':' || coalesce(p.specialization_id, l.specialization_id) || ':' ||
            CASE WHEN p.user_id IS NULL THEN 'MISSING_PROGRESS' WHEN l.user_id IS NULL THEN 'MISSING_LICENSE' ELSE 'LEVEL_MISMATCH' END
              AS key
     FROM specialization_progress p
     FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
     WHERE (p.user_id IS NULL OR l.user_id IS NULL OR p.current_level <> l.current_level)
       AND ($1::int[] IS NULL OR coalesce(p.user_id, l.user_id) = ANY($1))`,
    [opts.userIds ?? null],
  );
  return new Set(rows.map((r) => r.key));
}

export async function latestHealthCheckId(sql: Sql): Promise<number> {
  const [row] = await sql<{ id: number | null }>('SELECT max(id) AS id FROM health_checks');
  return row?.id ?? 0;
}

/** The newest full audit's health_checks row (kind AUDIT), 0 when none. */
export async function latestAuditId(sql: Sql): Promise<number> {
  const [row] = await sql<{ id: number | null }>(`SELECT max(id) AS id FROM health_checks WHERE kind = 'AUDIT'`);
  return row?.id ?? 0;
}

export type JobRow = {
  id: number;
  status: string;
  trigger: string;
  actor: string;
  reason: string | null;
  found: number;
  synced: number;
  failed: number;
  reported: number;
};

/**
 * A connection of its own to the run's database, named `applicationName`: a legacy writer as the
 * judge at commit sees it (its desyncs are caused by "sql:<applicationName>"). End it after use.
 */
export async function connectAs(applicationName: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: runValue('databaseUrl'), application_name: applicationName });
  await client.connect();
  return client;
}
