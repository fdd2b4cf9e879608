import type pg from 'pg';
import { expect } from 'vitest';
import { db } from '../support/db';
import { readCounters } from '../../lib/sync/counters';
import { figuresOf } from '../../lib/sync/health-check';
import { DESYNC_KINDS } from '../../lib/sync/types';

/**
 * The desync set as plain SQL would find it, written without the engine's functions
 * (sw_desync_kind, sw_progress_breaks_rules, sw_license_in_future): both tables FULL OUTER JOINed,
 * joined to users, specializations and level_requirements, classified with one CASE in the order of
 * lib/sync/classify.ts#classifyPair. Shared by the detection test files.
 */
export const ORACLE_SQL = `
  SELECT coalesce(p.user_id, l.user_id) AS user_id, coalesce(p.specialization_id, l.specialization_id) AS spec,
         p.current_level AS pl, l.current_level AS ll,
         CASE WHEN u.id IS NULL OR s.id IS NULL THEN CASE WHEN p.user_id IS NOT NULL THEN 'ORPHAN_PROGRESS' ELSE 'ORPHAN_LICENSE' END
              WHEN p.user_id IS NOT NULL AND (r.level IS NULL OR p.total_xp < r.xp_required OR p.completed_sessions < r.sessions_required
                   OR EXISTS (SELECT 1 FROM level_requirements h WHERE h.specialization_id = p.specialization_id
                                AND h.level > p.current_level AND h.xp_required <= p.total_xp
                                AND h.sessions_required <= p.completed_sessions)) THEN 'INVALID_PROGRESS'
              WHEN l.user_id IS NULL THEN 'MISSING_LICENSE'
              WHEN p.user_id IS NULL THEN 'MISSING_PROGRESS'
              WHEN p.current_level <> l.current_level THEN 'LEVEL_MISMATCH'
              -- started_at keeps milliseconds: a start written as now() may round up by half a millisecond
              WHEN l.started_at > now() + interval '1 millisecond' THEN 'LICENSE_IN_FUTURE'
         END AS kind
  FROM specialization_progress p
  FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
  LEFT JOIN users u ON u.id = coalesce(p.user_id, l.user_id)
  LEFT JOIN specializations s ON s.id = coalesce(p.specialization_id, l.specialization_id)
  LEFT JOIN level_requirements r ON r.specialization_id = p.specialization_id AND r.level = p.current_level`;

export interface Entry {
  user_id: number;
  spec: string;
  kind: string;
  pl: number | null;
  ll: number | null;
}

const byPair = (a: Entry, b: Entry) => a.user_id - b.user_id || a.spec.localeCompare(b.spec) || a.kind.localeCompare(b.kind);

/** Every pair with its oracle kind (null when consistent). */
export async function oraclePairs(c: pg.Client): Promise<(Omit<Entry, 'kind'> & { kind: string | null })[]> {
  return (await c.query(`SELECT * FROM (${ORACLE_SQL}) o ORDER BY user_id, spec`)).rows;
}

/** The desyncs the oracle finds, sorted. */
export async function oracleDesyncs(c: pg.Client): Promise<Entry[]> {
  return (await oraclePairs(c)).filter((e): e is Entry => e.kind !== null).sort(byPair);
}

/** The maintained set, sorted. */
export async function desyncSet(c: pg.Client): Promise<Entry[]> {
  const { rows } = await c.query<Entry>(
    `SELECT user_id, specialization_id AS spec, kind::text AS kind, progress_level AS pl, license_level AS ll FROM current_desyncs`,
  );
  return rows.sort(byPair);
}

/** The figures (pairs and desyncs per specialization and kind) the oracle implies. */
export async function oracleFigures(c: pg.Client) {
  const pairs = await oraclePairs(c);
  const emptyKinds = () => Object.fromEntries(DESYNC_KINDS.map((k) => [k, 0])) as Record<string, number>;
  const bySpecialization: Record<string, Record<string, number>> = {};
  const byKind = emptyKinds();
  for (const p of pairs) {
    const s = (bySpecialization[p.spec] ??= { pairs: 0, ...emptyKinds() });
    s.pairs!++;
    if (p.kind) {
      s[p.kind]!++;
      byKind[p.kind]!++;
    }
  }
  const desynced = Object.values(byKind).reduce((a, b) => a + b, 0);
  return { totalPairs: pairs.length, consistentPairs: pairs.length - desynced, byKind, bySpecialization };
}

/** The figures from the maintained counters (what readHealth shows). */
export async function counterFigures() {
  const f = figuresOf(await readCounters(db));
  return { totalPairs: f.totalPairs, consistentPairs: f.consistentPairs, byKind: f.byKind, bySpecialization: f.bySpecialization };
}

/** The set is exactly the oracle's (one entry per pair, same kind and levels) and the counters give the oracle's figures. */
export async function expectSetMatchesOracle(c: pg.Client): Promise<Entry[]> {
  const expected = await oracleDesyncs(c);
  expect(await desyncSet(c)).toEqual(expected);
  // Every judge that ran consumed what its transaction noted.
  const pending = await c.query(`SELECT (SELECT count(*) FROM sw_pending)::int AS p, (SELECT count(*) FROM sw_pending_tx)::int AS t`);
  expect(pending.rows[0]).toEqual({ p: 0, t: 0 });
  expect(await counterFigures()).toEqual(await oracleFigures(c));
  return expected;
}

/** The newest pair event's id (0 when none): a marker for eventsOf. */
export async function lastEventId(c: pg.Client): Promise<number> {
  return (await c.query<{ id: number }>(`SELECT coalesce(max(id), 0)::int AS id FROM pair_events`)).rows[0]!.id;
}

/** Pair events of some learners (all when null) after the marker, oldest first. */
export async function eventsOf(c: pg.Client, userIds: number[] | null, afterId = 0) {
  const { rows } = await c.query(
    `SELECT id::int, txid, user_id, specialization_id AS spec, effect::text AS effect, kind::text AS kind, side, before, after,
            writer, writer_kind, db_user, application_name, client_addr
     FROM pair_events WHERE ($1::int[] IS NULL OR user_id = ANY($1::int[])) AND id > $2 ORDER BY id`,
    [userIds, afterId],
  );
  return rows as {
    id: number;
    txid: string | null;
    user_id: number;
    spec: string;
    effect: string;
    kind: string | null;
    side: string;
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
    writer: string;
    writer_kind: string;
    db_user: string | null;
    application_name: string | null;
    client_addr: string | null;
  }[];
}

/** The entry of one pair in the set (or undefined), with its cause. */
export async function entryOf(c: pg.Client, userId: number, spec = 'PLAYER') {
  const { rows } = await c.query(
    `SELECT kind::text AS kind, progress_level AS pl, license_level AS ll, caused_by, cause_event_id::int, since
     FROM current_desyncs WHERE user_id = $1 AND specialization_id = $2`,
    [userId, spec],
  );
  expect(rows.length).toBeLessThanOrEqual(1);
  return rows[0] as
    { kind: string; pl: number | null; ll: number | null; caused_by: string; cause_event_id: number | null; since: Date } | undefined;
}
