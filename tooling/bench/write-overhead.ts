import pg from 'pg';
import type { Db } from '../../lib/db/prisma';
import { recordProgress, type Actor } from '../../lib/sync';
import { CALLERS, THROUGHPUT_SECONDS } from './coupled-writes';
import { consistentIn, LOAD_FROM, randomLoadPair, RESERVED, stride } from './dataset';
import { log } from './log';
import { fmtMs, median, paired, round, runConcurrently } from './stats';
import { withNoteTriggers } from './triggers';

/**
 * (2) What detection at commit costs a write: each figure with the note triggers on and off
 * (ALTER TABLE ... DISABLE TRIGGER on the six *_note_* triggers only; the touch and check
 * triggers stay), in ABBA order, the ratio the median of per-run ratios:
 *   - a level-changing single-row UPDATE of a license by raw pg, 16 callers: every one breaks or
 *     heals its pair, so with the triggers on every commit runs the judge, writes the set and a
 *     pair event, and notifies;
 *   - an XP-only single-row UPDATE of progress inside its level's band (the WHEN clause stops it);
 *   - recordProgress through the engine, 16 callers, random pairs;
 *   - one legacy UPDATE of 100,000 license rows, each a level change (100,000 pairs broken, noted
 *     and judged in one commit); the same pairs are put back untimed in the same mode. The same
 *     on 10,000 rows (what the lock table allows when 100,000 fails), and the 100,000-row
 *     statement on progress XP only.
 * Every row changed is put back in the variant that changed it, so the set stays right; the suite
 * runs a full audit after this section (its drift must be 0).
 */

const SINGLE_ROW_SECONDS = 3;
export const LEGACY_ROWS = 100_000;
/** A legacy statement the lock table allows with the triggers on (see legacyFailure). */
export const LEGACY_SMALL_ROWS = 10_000;

interface Pair {
  g: number;
  spec: string;
  level: number;
  /** The level it is broken to. */
  other: number;
  broken: boolean;
  /** XP moved by +1 (put back by -1). */
  raised: boolean;
}

async function singleRowPairs(c: pg.Client, pairs: number): Promise<Pair[]> {
  const learners = consistentIn(RESERVED.singleRow, pairs);
  const { rows } = await c.query<{ user_id: number; specialization_id: string; current_level: number }>(
    `SELECT user_id, specialization_id, current_level FROM user_licenses WHERE user_id = ANY ($1::int[]) ORDER BY user_id`,
    [learners],
  );
  return rows.map((r) => ({
    g: r.user_id,
    spec: r.specialization_id,
    level: r.current_level,
    other: r.current_level === 1 ? 2 : r.current_level - 1,
    broken: false,
    raised: false,
  }));
}

export async function measureWriteOverhead(db: Db, c: pg.Client, url: string, pairs: number, runs: number) {
  const pool = new pg.Pool({ connectionString: url, max: CALLERS, application_name: 'bench-legacy-writer' });
  const all = await singleRowPairs(c, pairs);
  // Each caller has its pairs of its own and walks them in turn.
  const mine = Array.from({ length: CALLERS }, (_, w) => all.filter((_, i) => i % CALLERS === w));
  const cursor = new Array<number>(CALLERS).fill(0);
  const nextOf = (w: number) => {
    const list = mine[w]!;
    const p = list[cursor[w]! % list.length]!;
    cursor[w]!++;
    return p;
  };
  const setLevel = (p: Pair, level: number) =>
    pool.query('UPDATE user_licenses SET current_level = $3 WHERE user_id = $1 AND specialization_id = $2', [p.g, p.spec, level]);
  const addXp = (p: Pair, d: number) =>
    pool.query('UPDATE specialization_progress SET total_xp = total_xp + $3 WHERE user_id = $1 AND specialization_id = $2', [
      p.g,
      p.spec,
      d,
    ]);

  /** Level changes: each call breaks its next pair or heals it. Ends with every pair healed. */
  const levelRun = (enabled: boolean) =>
    withNoteTriggers(c, enabled, async () => {
      const r = await runConcurrently(CALLERS, SINGLE_ROW_SECONDS * 1000, async (w) => {
        const p = nextOf(w);
        await setLevel(p, p.broken ? p.level : p.other);
        p.broken = !p.broken;
      });
      for (const p of all.filter((x) => x.broken)) {
        await setLevel(p, p.level);
        p.broken = false;
      }
      if (r.errors) log(`  level UPDATE: ${r.errors} failed, first: ${r.firstError}`);
      return r.perSecond;
    });

  /** XP-only changes inside the band: +1 then -1 on each pair in turn. Ends with every pair as it was. */
  const xpRun = (enabled: boolean) =>
    withNoteTriggers(c, enabled, async () => {
      const r = await runConcurrently(CALLERS, SINGLE_ROW_SECONDS * 1000, async (w) => {
        const p = nextOf(w);
        await addXp(p, p.raised ? -1 : 1);
        p.raised = !p.raised;
      });
      for (const p of all.filter((x) => x.raised)) {
        await addXp(p, -1);
        p.raised = false;
      }
      if (r.errors) log(`  XP UPDATE: ${r.errors} failed, first: ${r.firstError}`);
      return r.perSecond;
    });

  const actor: Actor = { label: 'bench', source: 'APP' };
  const recordRun = (enabled: boolean) =>
    withNoteTriggers(c, enabled, async () => {
      const r = await runConcurrently(CALLERS, THROUGHPUT_SECONDS * 1000, () => {
        const [g, s] = randomLoadPair(pairs);
        return recordProgress(db, g, s, { xpGained: 1, sessionsCompleted: 0 }, actor);
      });
      if (r.errors) log(`  recordProgress: ${r.errors} failed, first: ${r.firstError}`);
      return r.perSecond;
    });

  // The legacy statement's rows: `rows` consistent pairs from LOAD_FROM on.
  const s = stride(pairs);
  const legacyWhere = (rows: number, a = '') => {
    const hi = Math.min(pairs, LOAD_FROM + Math.ceil(rows / (1 - 0.012 / s)));
    return `${a}user_id BETWEEN ${LOAD_FROM} AND ${hi} AND ${a}user_id % ${100 * s} <> 7 AND ${a}user_id % ${1000 * s} NOT IN (13, 17)`;
  };
  const legacyRows: Record<number, number> = {};
  const legacyRun = (rows: number) => (enabled: boolean) =>
    withNoteTriggers(c, enabled, async () => {
      const t = performance.now();
      const r = await c.query(`UPDATE user_licenses SET current_level = CASE WHEN current_level = 1 THEN 2 ELSE current_level - 1 END
                               WHERE ${legacyWhere(rows)}`);
      const ms = performance.now() - t;
      legacyRows[rows] = r.rowCount ?? 0;
      await c.query(
        `UPDATE user_licenses l SET current_level = p.current_level FROM specialization_progress p
         WHERE p.user_id = l.user_id AND p.specialization_id = l.specialization_id AND l.current_level <> p.current_level
           AND ${legacyWhere(rows, 'l.')}`,
      );
      return ms;
    });
  const legacyXpRun = (enabled: boolean) =>
    withNoteTriggers(c, enabled, async () => {
      const t = performance.now();
      await c.query(`UPDATE specialization_progress SET total_xp = total_xp + 1 WHERE ${legacyWhere(LEGACY_ROWS)}`);
      const ms = performance.now() - t;
      await c.query(`UPDATE specialization_progress SET total_xp = total_xp - 1 WHERE ${legacyWhere(LEGACY_ROWS)}`);
      return ms;
    });

  const ab = async (name: string, unit: string, fn: (enabled: boolean) => Promise<number>, n = runs) => {
    const r = await paired(
      n,
      () => fn(true),
      () => fn(false),
      (i, on, off) => {
        const f = (v: number) => (unit === 'ms' ? fmtMs(v) : `${v.toFixed(0)} ${unit}`);
        log(`  ${name} run ${i + 1}/${n}: triggers on ${f(on)}, off ${f(off)} (${(on / off).toFixed(2)}x)`);
      },
    );
    return {
      on: median(r.a),
      off: median(r.b),
      ratio: median(r.ratios),
      runs: { on: r.a.map((x) => round(x, 1)), off: r.b.map((x) => round(x, 1)) },
    };
  };

  try {
    log(`  level-changing single-row UPDATE of a license, ${CALLERS} callers x ${SINGLE_ROW_SECONDS} s, ${all.length} pairs`);
    const levelUpdate = await ab('level UPDATE', 'rows/s', levelRun);
    log(`  XP-only single-row UPDATE inside the level band, ${CALLERS} callers x ${SINGLE_ROW_SECONDS} s`);
    const xpUpdate = await ab('XP UPDATE', 'rows/s', xpRun);
    log(`  recordProgress, ${CALLERS} callers x ${THROUGHPUT_SECONDS} s`);
    const record = await ab('recordProgress', 'tx/s', recordRun);
    log(`  one legacy UPDATE of ~${LEGACY_ROWS.toLocaleString('en-US')} license rows (level changes), put back untimed`);
    // With the triggers on, the judge takes one advisory lock per pair at commit: past the lock
    // table's size (max_locks_per_transaction x connections) the commit fails. Tried once first.
    let legacyFailure: string | null = null;
    try {
      await legacyRun(LEGACY_ROWS)(true);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      legacyFailure = `${e.code ?? ''} ${e.message ?? String(err)}`.trim();
      log(`  the ${LEGACY_ROWS.toLocaleString('en-US')}-row UPDATE fails with the triggers on: ${legacyFailure}`);
    }
    const legacy = legacyFailure ? null : await ab('legacy level UPDATE', 'ms', legacyRun(LEGACY_ROWS));
    log(`  the same statement on ~${LEGACY_SMALL_ROWS.toLocaleString('en-US')} license rows`);
    const legacySmall = await ab('legacy level UPDATE (small)', 'ms', legacyRun(LEGACY_SMALL_ROWS));
    log(`  the ${LEGACY_ROWS.toLocaleString('en-US')}-row statement on progress XP only (inside the band)`);
    const legacyXp = await ab('legacy XP UPDATE', 'ms', legacyXpRun);
    log(
      `  ceiling: ${levelUpdate.off.toFixed(0)} single-row level UPDATEs/s with the triggers off ` +
        `(${levelUpdate.on.toFixed(0)}/s with them on; recordProgress ${record.on.toFixed(0)} tx/s)`,
    );
    return {
      callers: CALLERS,
      singleRowPairs: all.length,
      levelUpdate,
      xpUpdate,
      recordProgress: record,
      legacyUpdate: legacy
        ? { rows: legacyRows[LEGACY_ROWS]!, failed: null, onMs: legacy.on, offMs: legacy.off, ratio: legacy.ratio, runs: legacy.runs }
        : { rows: LEGACY_ROWS, failed: legacyFailure, onMs: null, offMs: null, ratio: null, runs: null },
      legacySmallUpdate: {
        rows: legacyRows[LEGACY_SMALL_ROWS]!,
        onMs: legacySmall.on,
        offMs: legacySmall.off,
        ratio: legacySmall.ratio,
        runs: legacySmall.runs,
      },
      legacyXpUpdate: {
        rows: legacyRows[LEGACY_ROWS] ?? LEGACY_ROWS,
        onMs: legacyXp.on,
        offMs: legacyXp.off,
        ratio: legacyXp.ratio,
        runs: legacyXp.runs,
      },
      ceilingUpdatesPerSecond: levelUpdate.off,
    };
  } finally {
    await pool.end();
  }
}

export type WriteOverheadFigures = Awaited<ReturnType<typeof measureWriteOverhead>>;
