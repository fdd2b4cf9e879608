import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDb, type Db } from '../../lib/db/prisma';
import { env } from '../../lib/env';
import { runFullAudit } from '../../lib/sync';
import { measureRecordProgress, THROUGHPUT_SECONDS } from './coupled-writes';
import { openBenchServer, recreateDatabase, serverFacts, type BenchServer } from './database';
import { buildDataset, desyncState, expectedDesyncs, totalDesyncs } from './dataset';
import { measureFreshness, type SseTarget } from './freshness';
import { measureAuditMemory, measureFullAudit } from './full-audit';
import { measureHealthFigures } from './health-figures';
import { elapsedS, log } from './log';
import { measureServer, type ServerFigures } from './production';
import { latestReferenceResults, measureSizeSlope, openReference, REFERENCE_PAIRS, type Reference, type SizeSlope } from './reference';
import { figureRows, printTables, RESULTS_VERSION, targetsOf, writeResults } from './results';
import { fmtMs, round, timed } from './stats';
import { measureSync } from './sync-job';
import { restoreDetection } from './triggers';
import { measureWriteOverhead } from './write-overhead';

/**
 * The whole benchmark: every figure is the median of `runs` runs after one warm-up, beside the
 * same work done by minimal hand-written SQL (or the same work with the note triggers off) in the
 * same run, with the ratio. Works in its own database, syncwatch_bench_<pairs>, on the configured
 * server (DATABASE_URL's, or the embedded one), rebuilt on every run and kept after it for
 * inspection (and, for 1M, as the 10M run's yardstick). The engine runs in this process on a
 * client of its own on that database.
 *
 * Order: the data set; (3) the health figures; (4) the full audit and its memory; (5) a sync job;
 * recordProgress beside its yardsticks (its rate sets the freshness load); (2) the write
 * overhead of the triggers; (1) the freshness, on the production server when there is one, with
 * the dashboard, the write API and the RSS during a sync job, then (1M only) (7) the mass desync
 * (10% and 50% of the pairs) on that server. The 10M run skips the dashboard, the write API and
 * the RSS (server-heavy, and independent of the pairs), and ends with the slope of the figures
 * (reference.ts measureSizeSlope).
 */

export interface BenchOptions {
  pairs: number;
  runs: number;
  /** Also render bench/results/<date>-<pairs>.png. */
  chart: boolean;
  /** Skip what needs the production server (the freshness is then measured on the set only). */
  skipServer: boolean;
}

/** Connections of the engine's pool in this process. */
const ENGINE_POOL_SIZE = 20;

/** Roughly what the data set takes on disk per pair (tables, indexes, WAL headroom), for the disk check. */
const BYTES_PER_PAIR = 400;

function checkDisk(pairs: number): void {
  const need = pairs * BYTES_PER_PAIR;
  for (const dir of [process.cwd(), os.tmpdir()]) {
    const s = statfsSync(dir);
    const free = s.bavail * s.bsize;
    log(`  disk: ${(free / 2 ** 30).toFixed(1)} GiB free on ${dir}`);
    if (dir === process.cwd() && free < need * 1.5) {
      throw new Error(
        `${pairs.toLocaleString('en-US')} pairs need about ${(need / 2 ** 30).toFixed(1)} GiB; ${(free / 2 ** 30).toFixed(1)} GiB free.`,
      );
    }
  }
}

export async function runBenchSuite({ pairs, runs, chart, skipServer }: BenchOptions): Promise<void> {
  const config = env();
  const date = new Date().toISOString().slice(0, 10);
  const startedAt = new Date().toISOString();
  const loadStart = os.loadavg();
  mkdirSync(os.tmpdir(), { recursive: true });
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'syncwatch-bench-'));
  const big = pairs > 1_000_000;
  log(
    `SyncWatch benchmark: ${pairs.toLocaleString('en-US')} pairs, ${runs} run(s) per figure after a warm-up; ` +
      `load average ${loadStart.map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPU(s); ` +
      `server logs in ${logDir} (removed when the run succeeds)`,
  );
  checkDisk(pairs);

  let server: BenchServer | undefined;
  let c: pg.Client | undefined;
  let db: Db | undefined;
  let ref: Reference | null = null;
  try {
    server = await openBenchServer({
      databaseUrl: config.DATABASE_URL,
      embeddedDir: config.EMBEDDED_PG_DIR,
      embeddedPort: config.EMBEDDED_PG_PORT,
    });
    const database = `syncwatch_bench_${pairs}`;
    log(`Database ${database} on ${server.describe}: recreating and migrating...`);
    const url = await recreateDatabase(server, database);
    db = createDb(url, { poolSize: ENGINE_POOL_SIZE });
    c = new pg.Client({ connectionString: url, application_name: 'bench' });
    await c.connect();

    const expected = expectedDesyncs(pairs);
    const expectedTotal = totalDesyncs(pairs);
    // The estimate: the latest 1M build here, scaled (rows are written in 1M-learner statements).
    const lastBuild = big ? latestReferenceResults(RESULTS_VERSION)?.buildMs : null;
    const estimate = lastBuild
      ? ` (estimate: ~${fmtMs((lastBuild * pairs) / 1_000_000)}, ${pairs / 1_000_000}x the latest 1M build's ${fmtMs(lastBuild)})`
      : big
        ? ' (estimate after the first million)'
        : '';
    log(`Building the data set (set-based, ${pairs.toLocaleString('en-US')} learners)${estimate}...`);
    const built = await timed(() => buildDataset(c!, pairs, log));
    const state = await desyncState(c);
    if (state.tables !== expectedTotal || state.set !== expectedTotal) {
      throw new Error(`The data set has ${state.tables} desyncs (${state.set} in the set), expected ${expectedTotal}.`);
    }
    const mix = Object.entries(expected)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    log(`  built in ${fmtMs(built.ms)}: ${expectedTotal} desyncs (${mix}), all in the set`);
    const check = await timed(() => runFullAudit(db!, { source: 'CLI' }));
    log(`  first full audit: drift ${check.value.drift} (0: the set matches the tables) in ${fmtMs(check.ms)}`);
    if (check.value.drift !== 0) throw new Error(`The data set's detection state is off: the audit found drift ${check.value.drift}.`);

    if (big) ref = await openReference(server, pairs);
    // The 1M results file, even with the 1M database here: the write-overhead figures are measured
    // at this run's size only, so their slope compares with the file (the same-run figures win elsewhere).
    const referenceFile = big ? latestReferenceResults(RESULTS_VERSION) : null;
    if (big && !ref) log(referenceFile ? `  1M figures from ${referenceFile.file}` : '  no 1M figures to compare with');

    log('(3) Health figures: readHealth from the counters');
    const health = await measureHealthFigures(db, c, pairs, runs, ref);
    log('(4) Full audit vs the better of a hash and a merge full-join count (churn between runs; then ids with gaps)');
    const audit = await measureFullAudit(c, pairs, runs, { server, url });
    log('(4) Node RSS during an audit that repairs a 10% drift');
    const auditMemory = await measureAuditMemory(db, c, pairs);
    log(`(5) Sync job of the ${expectedTotal} desyncs vs one set-based repair transaction`);
    const sync = await measureSync(db, c, pairs, runs, ref);
    log(`recordProgress, 16 callers x ${THROUGHPUT_SECONDS} s, vs raw pg's sw_record_progress, one round trip and a transaction by hand`);
    const throughput = await measureRecordProgress(db, url, pairs, runs);
    log('(2) Write overhead: note triggers on vs off (ABBA)');
    const writes = await measureWriteOverhead(db, c, url, pairs, runs);
    const writesDrift = await restoreDetection(db, c, 'the write-overhead section');

    const samples = Math.max(100, 40 * runs);
    const freshness = (sse?: SseTarget) =>
      measureFreshness({
        url,
        db: db!,
        pairs,
        maxRate: throughput.spread.engineTps,
        samples,
        sse,
        pollSeconds: config.DASHBOARD_POLL_SECONDS,
      });
    let web: ServerFigures | null = null;
    let fresh;
    if (skipServer) {
      log('(1) Freshness (the set only: --skip-server)');
      fresh = await freshness();
    } else {
      log(
        big
          ? '(1) Freshness on the production server (the 10M run skips the dashboard, the write API and the RSS)'
          : '(1) Freshness, and the production server',
      );
      web = await measureServer({
        c,
        url,
        pairs,
        logDir,
        runs: Math.min(runs, 3),
        freshnessOnly: big,
        freshness,
        massDesync: pairs === REFERENCE_PAIRS,
      });
      fresh = web.freshness;
    }

    let slope: SizeSlope | null = null;
    if (big) {
      log(`Slope: cost at ${pairs.toLocaleString('en-US')} / cost at 1M of the audit, recordProgress, the set's freshness, the writes`);
      slope = await measureSizeSlope({
        url,
        pairs,
        runs,
        ref,
        file: referenceFile,
        own: {
          auditMs: audit.auditMs,
          recordTps: throughput.spread.engineTps,
          freshnessSetP99Ms: fresh.set.p99Ms,
          writes: {
            levelOn: writes.levelUpdate.on,
            xpOn: writes.xpUpdate.on,
            recordOn: writes.recordProgress.on,
            legacySmallOnMs: writes.legacySmallUpdate.onMs,
          },
        },
        maxRate: throughput.spread.engineTps,
        samples,
      });
    }

    const end = await desyncState(c);
    if (end.tables !== expectedTotal || end.set !== expectedTotal) {
      log(`  warning: the data set ends with ${end.tables} desyncs (${end.set} in the set), not ${expectedTotal}`);
    }

    const totalS = elapsedS();
    const figures = { health, audit, auditMemory, sync, throughput, writes, freshness: fresh, web, referenceFile, slope };
    const targets = targetsOf(figures, pairs, totalS);
    const markdown = printTables(figureRows(figures, pairs), targets, pairs);

    const loadEnd = os.loadavg();
    const postgres = await serverFacts(url);
    const result = {
      version: RESULTS_VERSION,
      date,
      startedAt,
      pairs,
      runs,
      durationS: round(totalS),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGiB: round(os.totalmem() / 2 ** 30, 1),
        loadAverageStart: loadStart.map((l) => round(l, 2)),
        loadAverageEnd: loadEnd.map((l) => round(l, 2)),
        node: process.version,
        postgres,
      },
      dataset: { buildMs: round(built.ms), desyncs: expected, firstAuditMs: round(check.ms) },
      freshness: fresh,
      writeOverhead: { ...writes, auditDriftAfter: writesDrift },
      healthFigures: health,
      fullAudit: audit,
      auditMemory,
      sync,
      recordProgress: throughput,
      server: web ? { ...web, freshness: undefined } : null,
      slope,
      reference: ref ? { database: `syncwatch_bench_${ref.pairs}`, source: 'same run' } : referenceFile,
      targets,
      markdown,
    };
    await writeResults(result, targets, {
      chart,
      loadStart: loadStart[0]!,
      loadEnd: loadEnd[0]!,
      postgresVersion: postgres.server_version ?? '',
    });
    rmSync(logDir, { recursive: true, force: true }); // kept only when the run fails
    const missed = targets.filter((t) => t.met === false);
    const minutes = (totalS / 60).toFixed(1);
    log(
      missed.length
        ? `Done in ${minutes} min; missed: ${missed.map((t) => t.label).join('; ')}`
        : `Done in ${minutes} min; every measured target met.`,
    );
  } finally {
    await ref?.close();
    await c?.end().catch(() => {});
    await db?.$disconnect().catch(() => {});
    await server?.stop();
  }
}
