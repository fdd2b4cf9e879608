import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createDb, type Db } from '../../lib/db/prisma';
import { applyMigrations } from '../../lib/db/migrations';
import { recordProgress, runFullAudit, type Actor } from '../../lib/sync';
import { CALLERS, THROUGHPUT_SECONDS } from './coupled-writes';
import type { BenchServer } from './database';
import { desyncState, randomLoadPair, totalDesyncs } from './dataset';
import { runFreshness } from './freshness';
import { log } from './log';
import { target, type TargetResult } from './report';
import { fmtMs, median, paired, percentile, round, runConcurrently, timed } from './stats';

/**
 * The 10M run's yardstick for what should not grow with the pairs (the health figures, a sync job
 * of 12,000 desyncs, the slope of the other figures: measureSizeSlope): the 1M data set, measured in the same run when its database
 * (syncwatch_bench_1000000, kept by the 1M run) is still there and intact, else the figures of
 * the latest 1M results file.
 */

export const REFERENCE_PAIRS = 1_000_000;

export interface Reference {
  pairs: number;
  label: string;
  url: string;
  db: Db;
  c: pg.Client;
  close(): Promise<void>;
}

/** The reference database, migrated and checked (12,000 desyncs in the tables and in the set), or null. */
export async function openReference(server: BenchServer, pairs: number): Promise<Reference | null> {
  if (pairs <= REFERENCE_PAIRS) return null;
  const database = `syncwatch_bench_${REFERENCE_PAIRS}`;
  const admin = new pg.Client({ connectionString: server.urlFor('postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [database]);
    if (!rowCount) {
      log(`  no ${database} on this server: the 1M figures come from the latest 1M results file`);
      return null;
    }
  } finally {
    await admin.end();
  }
  const url = server.urlFor(database);
  await applyMigrations(url);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const state = await desyncState(c);
  const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE role = 'STUDENT'`);
  const expected = totalDesyncs(REFERENCE_PAIRS);
  if (rows[0]!.n !== REFERENCE_PAIRS || state.tables !== expected || state.set !== expected) {
    log(
      `  ${database} is not the 1M data set as built (${rows[0]!.n} learners, ${state.tables} desyncs in the tables, ` +
        `${state.set} in the set): the 1M figures come from the latest 1M results file`,
    );
    await c.end();
    return null;
  }
  const db = createDb(url, { poolSize: 8 });
  log(`  reference: ${database} (1,000,000 pairs, ${expected} desyncs), measured in this run beside this data set`);
  return {
    pairs: REFERENCE_PAIRS,
    label: '1M',
    url,
    db,
    c,
    close: async () => {
      await c.end().catch(() => {});
      await db.$disconnect().catch(() => {});
    },
  };
}

/** The figures of a 1M results file that the 10M run compares with. */
export interface ReferenceFile {
  file: string;
  readHealthMs: number | null;
  syncJobMs: number | null;
  buildMs: number | null;
  auditMs: number | null;
  /** recordProgress, 16 callers, spread (tx/s). */
  recordTps: number | null;
  freshnessSetP99Ms: number | null;
  /** The write-overhead figures with the triggers on: rates (rows/s, tx/s) and the 10,000-row statement (ms). */
  writes: { levelOn: number | null; xpOn: number | null; recordOn: number | null; legacySmallOnMs: number | null };
}

interface ResultsFile {
  version?: number;
  startedAt?: string;
  pairs?: number;
  healthFigures?: { readMs?: number };
  sync?: { jobMs?: number };
  dataset?: { buildMs?: number };
  fullAudit?: { auditMs?: number };
  recordProgress?: { spread?: { engineTps?: number } };
  freshness?: { set?: { p99Ms?: number | null } };
  writeOverhead?: {
    levelUpdate?: { on?: number };
    xpUpdate?: { on?: number };
    recordProgress?: { on?: number };
    legacySmallUpdate?: { onMs?: number };
  };
}

/** Figures of the latest results file of the reference size written by this version of the suite, or null. */
export function latestReferenceResults(version: number): ReferenceFile | null {
  const dir = path.join(process.cwd(), 'bench', 'results');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json') && f.includes(`-${REFERENCE_PAIRS}`));
  } catch {
    return null;
  }
  const found = files
    .map((f) => {
      try {
        const r = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as ResultsFile;
        return r.version === version && r.pairs === REFERENCE_PAIRS ? { f, r } : null;
      } catch {
        return null;
      }
    })
    .filter((x) => x !== null)
    .sort((a, b) => String(a.r.startedAt).localeCompare(String(b.r.startedAt)));
  const last = found.at(-1);
  if (!last) return null;
  const { r } = last;
  const w = r.writeOverhead;
  return {
    file: path.join('bench', 'results', last.f),
    readHealthMs: r.healthFigures?.readMs ?? null,
    syncJobMs: r.sync?.jobMs ?? null,
    buildMs: r.dataset?.buildMs ?? null,
    auditMs: r.fullAudit?.auditMs ?? null,
    recordTps: r.recordProgress?.spread?.engineTps ?? null,
    freshnessSetP99Ms: r.freshness?.set?.p99Ms ?? null,
    writes: {
      levelOn: w?.levelUpdate?.on ?? null,
      xpOn: w?.xpUpdate?.on ?? null,
      recordOn: w?.recordProgress?.on ?? null,
      legacySmallOnMs: w?.legacySmallUpdate?.onMs ?? null,
    },
  };
}

/** One figure's cost at this size and at 1M, and cost(this) / cost(1M). */
export interface SlopeFigure {
  own: number | null;
  reference: number | null;
  /** cost(10M) / cost(1M): times as they are, rates inverted (cost = 1 / rate). */
  ratio: number | null;
  /** 'same run', or the 1M results file the reference comes from. */
  source: string;
}

const costRatio = (own: number | null | undefined, reference: number | null | undefined, kind: 'time' | 'rate') => {
  if (!own || !reference) return null;
  return kind === 'time' ? own / reference : reference / own;
};

function fromFile(own: number | null | undefined, reference: number | null | undefined, kind: 'time' | 'rate', file: ReferenceFile | null) {
  return {
    own: own ?? null,
    reference: reference ?? null,
    ratio: costRatio(own, reference, kind),
    source: file?.file ?? 'none',
  } satisfies SlopeFigure;
}

/**
 * The 10M run's slope for the figures that health-figures.ts and sync-job.ts do not measure
 * beside the 1M data set themselves: cost(10M) / cost(1M) of
 *   - the full audit (a full scan: ~10 expected; informational), runFullAudit on each database in
 *     ABBA order, median of per-run ratios;
 *   - recordProgress (O(1): cost = 1 / tx/s), 16 callers x THROUGHPUT_SECONDS on each database,
 *     ABBA, each on an engine pool of the same size (CALLERS + 4), median of per-run cost ratios;
 *   - commit -> in current_desyncs, p99 (O(1)): the freshness run without the server (set only)
 *     in blocks own, 1M, 1M, own at the same recordProgress load, p99 of the pooled samples of
 *     each side;
 * all measured in this run when the 1M database is there (reference.ts openReference), else
 * against the latest 1M results file (the 10M figures of this run's sections); and the
 * write-overhead figures with the triggers on (single-row level and XP-only UPDATEs,
 * recordProgress, the 10,000-row legacy statement), always against that file (too long to
 * measure twice in one run).
 */
export async function measureSizeSlope(opts: {
  url: string;
  pairs: number;
  runs: number;
  ref: Reference | null;
  file: ReferenceFile | null;
  /** This run's own figures, for the comparisons with the file. */
  own: {
    auditMs: number;
    recordTps: number;
    freshnessSetP99Ms: number | null;
    writes: { levelOn: number; xpOn: number; recordOn: number; legacySmallOnMs: number };
  };
  /** recordProgress's maximum here: the freshness load runs at half of it, on both sides. */
  maxRate: number;
  samples: number;
}) {
  const { url, pairs, runs, ref, file, own } = opts;
  const writes = {
    levelUpdate: fromFile(own.writes.levelOn, file?.writes.levelOn, 'rate', file),
    xpUpdate: fromFile(own.writes.xpOn, file?.writes.xpOn, 'rate', file),
    recordProgress: fromFile(own.writes.recordOn, file?.writes.recordOn, 'rate', file),
    legacySmallUpdate: fromFile(own.writes.legacySmallOnMs, file?.writes.legacySmallOnMs, 'time', file),
  };
  if (!ref) {
    return {
      audit: fromFile(own.auditMs, file?.auditMs, 'time', file),
      recordProgress: fromFile(own.recordTps, file?.recordTps, 'rate', file),
      freshnessSetP99: fromFile(own.freshnessSetP99Ms, file?.freshnessSetP99Ms, 'time', file),
      writes,
    };
  }
  const mine = createDb(url, { poolSize: CALLERS + 4 });
  const theirs = createDb(ref.url, { poolSize: CALLERS + 4 });
  const size = (p: number) => `${p / 1_000_000}M`;
  try {
    log(`  full audit at ${size(pairs)} and at ${ref.label}, ABBA`);
    const auditRuns = Math.min(runs, 3);
    const audit = await paired(
      auditRuns,
      async () => (await timed(() => runFullAudit(mine, { source: 'CLI' }))).ms,
      async () => (await timed(() => runFullAudit(theirs, { source: 'CLI' }))).ms,
      (i, x, y) =>
        log(`  audit run ${i + 1}/${auditRuns}: ${fmtMs(x)} at ${size(pairs)}, ${fmtMs(y)} at ${ref.label} (${(x / y).toFixed(2)}x)`),
    );
    log(`  recordProgress, ${CALLERS} callers x ${THROUGHPUT_SECONDS} s at ${size(pairs)} and at ${ref.label}, ABBA`);
    const actor: Actor = { label: 'bench', source: 'APP' };
    const tps = (db: Db, n: number) => async () =>
      (
        await runConcurrently(CALLERS, THROUGHPUT_SECONDS * 1000, () => {
          const [g, s] = randomLoadPair(n);
          return recordProgress(db, g, s, { xpGained: 1, sessionsCompleted: 0 }, actor);
        })
      ).perSecond;
    const record = await paired(runs, tps(mine, pairs), tps(theirs, ref.pairs), (i, x, y) =>
      log(`  recordProgress run ${i + 1}/${runs}: ${x.toFixed(0)} tx/s at ${size(pairs)}, ${y.toFixed(0)} tx/s at ${ref.label}`),
    );
    const block = Math.max(25, Math.round(opts.samples / 4));
    log(
      `  commit -> in current_desyncs (set only) in blocks of ${block} samples: ${size(pairs)}, ${ref.label}, ${ref.label}, ${size(pairs)}`,
    );
    const setMs: { own: number[]; ref: number[] } = { own: [], ref: [] };
    for (const side of ['own', 'ref', 'ref', 'own'] as const) {
      const r = await runFreshness(
        side === 'own'
          ? { url, db: mine, pairs, maxRate: opts.maxRate, samples: block }
          : { url: ref.url, db: theirs, pairs: ref.pairs, maxRate: opts.maxRate, samples: block },
      );
      setMs[side].push(...r.samples.setMs);
    }
    const p99 = (xs: number[]) => round(percentile(xs, 99), 2);
    const freshnessSetP99 = { own: p99(setMs.own), reference: p99(setMs.ref), ratio: p99(setMs.own) / p99(setMs.ref), source: 'same run' };
    return {
      audit: { own: median(audit.a), reference: median(audit.b), ratio: median(audit.ratios), source: 'same run' },
      recordProgress: {
        own: median(record.a),
        reference: median(record.b),
        ratio: median(record.a.map((x, i) => record.b[i]! / x)),
        source: 'same run',
      },
      freshnessSetP99,
      writes,
    };
  } finally {
    await mine.$disconnect().catch(() => {});
    await theirs.$disconnect().catch(() => {});
  }
}

export type SizeSlope = Awaited<ReturnType<typeof measureSizeSlope>>;

const fmtCost = (v: number | null, unit: 'ms' | 'tx/s' | 'rows/s') =>
  v === null ? 'n/a' : unit === 'ms' ? fmtMs(v) : `${v.toFixed(0)} ${unit}`;

/** The rows "X, 10M / 1M" of the results table. */
export function slopeRows(s: SizeSlope): string[][] {
  const row = (name: string, x: SlopeFigure, unit: 'ms' | 'tx/s' | 'rows/s') => [
    `${name}, 10M / 1M`,
    `10M ${fmtCost(x.own, unit)}`,
    `1M ${fmtCost(x.reference, unit)} (${x.source})`,
    x.ratio === null ? 'n/a' : `${x.ratio.toFixed(2)}x`,
  ];
  return [
    row('Full audit (a full scan: ~10x expected)', s.audit, 'ms'),
    row('recordProgress cost (1 / tx/s), 16 callers', s.recordProgress, 'tx/s'),
    row('Commit -> in current_desyncs, p99', s.freshnessSetP99, 'ms'),
    row('Level-changing single-row UPDATE cost, triggers on', s.writes.levelUpdate, 'rows/s'),
    row('XP-only single-row UPDATE cost, triggers on', s.writes.xpUpdate, 'rows/s'),
    row('recordProgress cost, triggers on (write overhead)', s.writes.recordProgress, 'tx/s'),
    row('Legacy UPDATE of 10,000 license levels, triggers on', s.writes.legacySmallUpdate, 'ms'),
  ];
}

/** The O(1) figures' targets: cost(10M) / cost(1M) <= 1.3 (the audit, a full scan, has none). */
export function slopeTargets(s: SizeSlope): TargetResult[] {
  const size = (id: string, label: string, x: SlopeFigure) => target(id, `${label}, 10M / 1M`, x.ratio, 'x', 'atMost', 1.3, true);
  return [
    size('recordSize', 'recordProgress cost', s.recordProgress),
    size('freshnessSize', 'Commit -> in current_desyncs p99', s.freshnessSetP99),
    size('writeLevelSize', 'Level-changing UPDATE cost (on)', s.writes.levelUpdate),
    size('writeXpSize', 'XP-only UPDATE cost (on)', s.writes.xpUpdate),
    size('writeRecordSize', 'recordProgress cost (on), write overhead', s.writes.recordProgress),
    size('writeLegacySmallSize', '10k-row legacy UPDATE (on)', s.writes.legacySmallUpdate),
  ];
}
