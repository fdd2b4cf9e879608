import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyPair, progressBreaksRules, type PairFacts } from '../../lib/sync/classify';
import type { LevelTable } from '../../lib/sync/level-rules';
import { getLevelTables } from '../../lib/sync/levels';
import { DESYNC_KINDS } from '../../lib/sync/types';
import { db, rawClient } from '../support/db';

/**
 * The judge classifies at commit with SQL (sw_desync_kind over sw_progress_breaks_rules, the latter
 * generated from level_requirements); the sync job, the dry run and the repair policy classify in
 * TypeScript (classifyPair). Both must give the same answer for every pair: thousands of generated
 * facts, around every threshold of every specialization, are classified by both, in one query.
 */
let c: pg.Client;
beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});

interface Case {
  spec: string;
  facts: PairFacts;
}

/** A small deterministic generator, so a failure is reproducible. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Values just below, at and just above every threshold of the table, and 0 and a large value. */
function around(table: LevelTable | undefined, pick: 'xpRequired' | 'sessionsRequired'): number[] {
  const out = new Set<number>([0, 1, 10_000_000]);
  for (const r of table ?? []) for (const d of [-1, 0, 1]) if (r[pick] + d >= 0) out.add(r[pick] + d);
  return [...out];
}

function generate(tables: Map<string, LevelTable>): Case[] {
  const rand = rng(20261201);
  const choose = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const specs = [...tables.keys(), 'NO_SUCH_SPEC'];
  const cases: Case[] = [];
  const license = (level: number): PairFacts['license'] => {
    const r = rand();
    if (r < 0.15) return null;
    return { level: r < 0.55 ? level : choose([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), startedInFuture: rand() < 0.2 };
  };
  for (const spec of specs) {
    const table = tables.get(spec);
    // Every level 0..9 (unknown levels included) against XP and sessions at +-1 of each threshold pair.
    for (let level = 0; level <= 9; level++) {
      for (const r of table ?? [{ xpRequired: 5, sessionsRequired: 5 }]) {
        for (const dx of [-1, 0, 1]) {
          for (const ds of [-1, 0, 1]) {
            const totalXp = Math.max(r.xpRequired + dx, 0);
            const completedSessions = Math.max(r.sessionsRequired + ds, 0);
            cases.push({
              spec,
              facts: { progress: { level, totalXp, completedSessions }, license: license(level), orphan: rand() < 0.05 },
            });
          }
        }
      }
    }
    // XP and sessions around different thresholds, no progress at all, orphans.
    const xs = around(table, 'xpRequired');
    const ss = around(table, 'sessionsRequired');
    for (let i = 0; i < 600; i++) {
      const level = choose([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const progress = rand() < 0.2 ? null : { level, totalXp: choose(xs), completedSessions: choose(ss) };
      cases.push({ spec, facts: { progress, license: license(level), orphan: rand() < 0.1 } });
    }
  }
  return cases;
}

/** Classifies every case with the SQL functions, in one round trip. */
async function classifyInSql(cases: Case[]) {
  const col = <T>(f: (k: Case) => T) => cases.map(f);
  const { rows } = await c.query<{ i: string; kind: string | null; breaks: boolean | null }>(
    `SELECT t.i, sw_desync_kind(t.orphan, t.pl IS NOT NULL, sw_progress_breaks_rules(t.spec, t.pl, t.xp, t.se),
                                t.ll IS NOT NULL, t.pl, t.ll, t.future)::text AS kind,
            CASE WHEN t.pl IS NOT NULL THEN sw_progress_breaks_rules(t.spec, t.pl, t.xp, t.se) END AS breaks
     FROM unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::int[], $6::boolean[], $7::boolean[])
          WITH ORDINALITY AS t(spec, pl, xp, se, ll, future, orphan, i)
     ORDER BY t.i`,
    [
      col((k) => k.spec),
      col((k) => k.facts.progress?.level ?? null),
      col((k) => k.facts.progress?.totalXp ?? null),
      col((k) => k.facts.progress?.completedSessions ?? null),
      col((k) => k.facts.license?.level ?? null),
      col((k) => k.facts.license?.startedInFuture ?? null),
      col((k) => k.facts.orphan),
    ],
  );
  expect(rows).toHaveLength(cases.length);
  return rows;
}

/** The cases whose SQL and TypeScript answers differ (empty when they agree). */
async function disagreements(cases: Case[], tables: Map<string, LevelTable>) {
  const sql = await classifyInSql(cases);
  const out: unknown[] = [];
  cases.forEach((k, i) => {
    const table = tables.get(k.spec);
    const kind = classifyPair(k.facts, table);
    const breaks = k.facts.progress ? progressBreaksRules(k.facts.progress, table) : null;
    if (sql[i]!.kind !== kind || sql[i]!.breaks !== breaks) out.push({ ...k, ts: { kind, breaks }, sql: sql[i] });
  });
  return out;
}

describe('the SQL classifier and classifyPair', () => {
  it('agree on thousands of pairs around every threshold, unknown levels and specializations, orphans, future licenses', async () => {
    const tables = await getLevelTables(db);
    expect([...tables.keys()].sort()).toEqual(['COACH', 'INTERNSHIP', 'PLAYER']);
    const cases = generate(tables);
    expect(cases.length).toBeGreaterThan(3000);
    expect(await disagreements(cases, tables)).toEqual([]);
    // The generated facts reach every kind, and consistent pairs, so the comparison means something.
    const kinds = new Set(cases.map((k) => classifyPair(k.facts, tables.get(k.spec))));
    expect(kinds).toEqual(new Set([null, ...DESYNC_KINDS]));
    const consistentAtThreshold = cases.filter(
      (k) => k.spec === 'PLAYER' && k.facts.progress?.level === 3 && k.facts.progress.totalXp === 55_000 && !k.facts.orphan,
    );
    expect(consistentAtThreshold.length).toBeGreaterThan(0);
  });

  it('follows a committed change of level_requirements, and not a rolled-back one', async () => {
    const breaks = async (level: number, xp: number, sessions: number) =>
      (await c.query<{ b: boolean }>(`SELECT sw_progress_breaks_rules('PLAYER', $1, $2, $3) AS b`, [level, xp, sessions])).rows[0]!.b;
    // PLAYER level 2 needs 25,000 XP and 12 sessions; level 3 needs 55,000 and 26.
    expect(await breaks(2, 30_000, 12)).toBe(false);
    expect(await breaks(1, 30_000, 12)).toBe(true);

    await c.query('BEGIN');
    await c.query(`UPDATE level_requirements SET xp_required = 40000 WHERE specialization_id = 'PLAYER' AND level = 2`);
    await c.query('ROLLBACK');
    expect(await breaks(2, 30_000, 12)).toBe(false);

    await c.query('BEGIN');
    await c.query(`UPDATE level_requirements SET xp_required = 40000 WHERE specialization_id = 'PLAYER' AND level = 2`);
    await c.query('COMMIT');
    try {
      expect(await breaks(2, 30_000, 12)).toBe(true); // now below level 2's minimum
      expect(await breaks(1, 30_000, 12)).toBe(false); // no longer earns level 2
      expect(await breaks(2, 40_000, 12)).toBe(false);
      // Another session sees the new rules too, and the whole comparison holds on the new table.
      const other = await rawClient();
      try {
        const b = await other.query<{ b: boolean }>(`SELECT sw_progress_breaks_rules('PLAYER', 2, 39999, 12) AS b`);
        expect(b.rows[0]!.b).toBe(true);
      } finally {
        await other.end();
      }
      const tables = await getLevelTables(db);
      expect(tables.get('PLAYER')![1]!.xpRequired).toBe(40_000);
      expect(await disagreements(generate(tables), tables)).toEqual([]);
    } finally {
      await c.query(`UPDATE level_requirements SET xp_required = 25000 WHERE specialization_id = 'PLAYER' AND level = 2`);
    }
    expect(await breaks(2, 30_000, 12)).toBe(false);
  });

  it('follows two threshold changes of different specializations committed at the same moment, both committing', async () => {
    const [a, b] = [await rawClient(), await rawClient()];
    const set = (spec: string, xp: number) =>
      `UPDATE level_requirements SET xp_required = ${xp} WHERE specialization_id = '${spec}' AND level = 2`;
    const breaks = async (spec: string, xp: number) =>
      (await c.query<{ b: boolean }>(`SELECT sw_progress_breaks_rules($1, 2, $2, 40) AS b`, [spec, xp])).rows[0]!.b;
    try {
      for (let i = 0; i < 10; i++) {
        const [player, coach] = [25_000 + 100 * (i + 1), 20_000 + 100 * (i + 1)];
        await Promise.all([a.query('BEGIN'), b.query('BEGIN')]);
        await Promise.all([a.query(set('PLAYER', player)), b.query(set('COACH', coach))]);
        const commits = await Promise.allSettled([a.query('COMMIT'), b.query('COMMIT')]);
        expect(commits.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
        // The generated rules hold both changes, whichever regenerated last.
        expect([await breaks('PLAYER', player - 1), await breaks('PLAYER', player)]).toEqual([true, false]);
        expect([await breaks('COACH', coach - 1), await breaks('COACH', coach)]).toEqual([true, false]);
      }
    } finally {
      await c.query(set('PLAYER', 25_000));
      await c.query(set('COACH', 20_000));
      await Promise.all([a.end(), b.end()]);
    }
    const tables = await getLevelTables(db);
    expect(await disagreements(generate(tables), tables)).toEqual([]);
  });
});
