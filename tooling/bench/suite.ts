import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createDb, type Db } from '../../lib/db/prisma';
import { env } from '../../lib/env';
import { countDesyncsWithFullJoin } from './baselines';
import { measureRecordProgress, THROUGHPUT_SECONDS } from './coupled-writes';
import { openBenchServer, recreateDatabase, serverFacts, type BenchServer } from './database';
import { buildDataset, expectedDesyncs } from './dataset';
import { measureHealthCheck } from './health-check';
import { elapsedS, log } from './log';
import { measureServer, type ServerFigures } from './production';
import { figureRows, printTables, targetsOf, writeResults } from './results';
import { fmtMs, round, timed } from './stats';
import { measureSync } from './sync-job';

/**
 * The whole benchmark: every figure is the median of `runs` runs after one warm-up,
 * beside the same work done by minimal hand-written SQL in the same run, with the ratio. Works in
 * its own database, syncwatch_bench_<pairs>, on the configured server (DATABASE_URL's, or the
 * embedded one), rebuilt on every run and kept after it for inspection. The engine runs in this
 * process on a client of its own on that database.
 */

export interface BenchOptions {
  pairs: number;
  runs: number;
  /** Also render bench/results/<date>-<pairs>.png. */
  chart: boolean;
  /** Skip (4)-(6), which need the production server. */
  skipServer: boolean;
}

/** Connections of the engine's pool in this process. */
const ENGINE_POOL_SIZE = 20;

export async function runBenchSuite({ pairs, runs, chart, skipServer }: BenchOptions): Promise<void> {
  const config = env();
  const date = new Date().toISOString().slice(0, 10);
  const loadStart = os.loadavg();
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'syncwatch-bench-'));
  log(
    `SyncWatch benchmark: ${pairs.toLocaleString('en-US')} pairs, ${runs} run(s) per figure after a warm-up; ` +
      `load average ${loadStart.map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPU(s); ` +
      `server logs in ${logDir} (removed when the run succeeds)`,
  );

  let server: BenchServer | undefined;
  let c: pg.Client | undefined;
  let db: Db | undefined;
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
    c = new pg.Client({ connectionString: url });
    await c.connect();

    log(`Building the data set (set-based, ${pairs.toLocaleString('en-US')} learners)...`);
    const built = await timed(() => buildDataset(c!, pairs));
    const expected = expectedDesyncs(pairs);
    const expectedTotal = Object.values(expected).reduce((a, b) => a + b, 0);
    const counted = await countDesyncsWithFullJoin(c);
    if (counted !== expectedTotal) throw new Error(`The data set has ${counted} desyncs, expected ${expectedTotal}.`);
    const mix = Object.entries(expected)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    log(`  built in ${fmtMs(built.ms)}: ${expectedTotal} desyncs (${mix})`);

    log('(1) Health check vs one FULL OUTER JOIN count');
    const health = await measureHealthCheck(db, c, runs);
    log('(2) Sync job (all desyncs, per-pair records) vs one set-based repair transaction');
    const sync = await measureSync(db, c, pairs, runs);
    log(`(3) recordProgress, 16 callers x ${THROUGHPUT_SECONDS} s, vs a hand-written pg transaction`);
    const throughput = await measureRecordProgress(db, url, pairs, runs);
    // The engine's connections are not needed by the server measurements: closed before them.
    await db.$disconnect();

    let web: ServerFigures | null = null;
    if (skipServer) log('(4)-(6) skipped (--skip-server)');
    else {
      log('(4)-(6) Production server: dashboard under load, desync freshness, RSS during a sync');
      web = await measureServer(c, url, pairs, logDir, Math.min(runs, 3));
    }

    const totalS = elapsedS();
    const figures = { health, sync, throughput, web };
    const targets = targetsOf(figures, pairs, totalS);
    const markdown = printTables(figureRows(figures), targets, pairs);

    const loadEnd = os.loadavg();
    const postgres = await serverFacts(url);
    const result = {
      version: 1,
      date,
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
      dataset: { buildMs: round(built.ms), desyncs: expected },
      healthCheck: health,
      sync,
      recordProgress: throughput,
      server: web,
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
    await c?.end().catch(() => {});
    await db?.$disconnect().catch(() => {});
    await server?.stop();
  }
}
