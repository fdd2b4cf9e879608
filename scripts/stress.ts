/**
 * npm run stress -- <recovery|soak|bank|restart>
 *
 * The stress tests the old system planned and never ran. Each works in a database of its own
 * (syncwatch_stress_<name>) on the configured server (DATABASE_URL's, or the embedded one),
 * prints its figures and checks, and exits 1 when a check fails. Not part of npm test.
 *
 *   recovery  10,000 learners, 1,000 injected desyncs of every kind, one sync job: every
 *             repairable pair repaired, orphans reported, one job item per pair, one audit event
 *             per repair.
 *   soak      144 scheduled sync runs (the scheduler's own claim-and-run path, driven through a
 *             fast cron on an accelerated clock: one simulated day at "every 10 minutes")
 *             against 100,000 pairs, desyncs injected between runs: every run recorded, none
 *             overlapping, RSS growth < 10% from run 10 to 144, pg_stat_activity stable.
 *   bank      10,000 coupled updates from 200 callers over 50 hot pairs, mixing recordProgress,
 *             advanceLicense, syncPair and sync jobs: nothing lost, see tooling/bench/bank-check.ts.
 *   restart   PostgreSQL stopped and started under the running production server:
 *             /api/health 503 then 200, the dashboard route back by itself, no duplicate runs.
 */
import os from 'node:os';
import pg from 'pg';
import { createDb, type Db } from '../lib/db/prisma';
import { env } from '../lib/env';
import { runBankCheck } from '../tooling/bench/bank-check';
import { openBenchServer, recreateDatabase, type BenchServer } from '../tooling/bench/database';
import { runRestartCheck } from '../tooling/bench/restart-check';
import { fmtMs } from '../tooling/bench/stats';
import { runRecovery } from '../tooling/bench/stress-recovery';
import { runSoak } from '../tooling/bench/stress-soak';
import { exitOnKnownError } from './lib/database';

const USAGE = `Usage: npm run stress -- <recovery|soak|bank|restart>

  recovery  10,000 learners, 1,000 injected desyncs of every kind, one sync job
  soak      144 scheduled sync runs against 100,000 pairs, desyncs injected between runs
  bank      10,000 coupled updates from 200 callers over 50 hot pairs, every kind of write mixed
  restart   PostgreSQL stopped and restarted under the running production server (own server)

Database: syncwatch_stress_<name> on DATABASE_URL's server or the embedded PostgreSQL
(EMBEDDED_PG_DIR, EMBEDDED_PG_PORT); dropped and rebuilt on every run.`;

const started = performance.now();
const log = (m: string) => console.log(`[stress ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${m}`);

const failures: string[] = [];
function check(ok: boolean, what: string) {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}
const io = { log, check };

async function bank(url: string) {
  const result = await runBankCheck(url, {
    updates: 10_000,
    callers: 200,
    pairs: 50,
    syncJobEvery: 500,
    onProgress: (done, total) => log(`${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} updates`),
  });
  console.log(JSON.stringify(result, null, 2));
  check(result.unexpectedErrors.length === 0, `no caller saw an unhandled error (${result.unexpectedErrors.length})`);
  check(result.inconsistentPairs === 0, 'every pair is consistent');
  check(
    result.xpInDatabase === result.xpIncrements + result.xpRaisedByAdvances,
    `XP equals the increments applied (${result.xpInDatabase} = ${result.xpIncrements} + ${result.xpRaisedByAdvances} raised by advances)`,
  );
  check(
    result.audit.recordProgress === result.applied.recordProgress &&
      result.audit.advanceLicense === result.applied.advanceLicense &&
      result.audit.syncPair === result.applied.syncPair &&
      result.audit.syncJobRepairs === result.audit.syncJobRepairsRecorded,
    'exactly one audit event per applied change',
  );
  const { applied } = result;
  log(
    `${applied.recordProgress + applied.advanceLicense + applied.syncPair} coupled updates and ${applied.syncJobs} sync jobs ` +
      `(${applied.alreadyRunning} refused as already running) in ${result.seconds.toFixed(1)} s`,
  );
}

async function main() {
  const name = process.argv[2];
  if (!name || name === '--help' || name === '-h') {
    console.log(USAGE);
    process.exit(name ? 0 : 2);
  }
  if (name === 'restart') {
    // Its own embedded PostgreSQL: the test stops and starts it.
    const result = await runRestartCheck(log);
    console.log(JSON.stringify(result, null, 2));
    check(
      result.dashboardDuringOutage === 503,
      `the dashboard route answered 503 during the outage (HTTP ${result.dashboardDuringOutage}), ` + 'so the page shows its data as stale',
    );
    check(
      result.healthChecksAfterRestart >= 2,
      `the scheduler resumed: ${result.healthChecksAfterRestart} scheduled health checks after the restart`,
    );
    check(result.duplicateOccurrences === 0, 'no occurrence ran twice');
    log(
      `/api/health went 503 after ${fmtMs(result.healthDownAfterMs)} and 200 again ${fmtMs(result.healthUpAfterMs)} after the restart; ` +
        `the dashboard route answered ${fmtMs(result.dashboardUpAfterMs)} later.`,
    );
    log(failures.length ? `${failures.length} check(s) failed.` : 'All checks passed.');
    process.exit(failures.length ? 1 : 0);
  }
  if (name !== 'recovery' && name !== 'soak' && name !== 'bank') {
    console.error(`stress: unknown test "${name}".\n\n${USAGE}`);
    process.exit(2);
  }
  const config = env();
  let server: BenchServer | undefined;
  let c: pg.Client | undefined;
  let db: Db | undefined;
  try {
    server = await openBenchServer({
      databaseUrl: config.DATABASE_URL,
      embeddedDir: config.EMBEDDED_PG_DIR,
      embeddedPort: config.EMBEDDED_PG_PORT,
    });
    const database = `syncwatch_stress_${name}`;
    const load = os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    log(`Stress test "${name}" in ${database} on ${server.describe}; load average ${load}`);
    const url = await recreateDatabase(server, database);
    // The engine's client on that database (the bank check builds its own from the URL).
    db = createDb(url, { poolSize: config.DATABASE_POOL_SIZE });
    c = new pg.Client({ connectionString: url });
    await c.connect();
    await (name === 'recovery' ? runRecovery(io, db, c) : name === 'soak' ? runSoak(io, db, c) : bank(url));
  } finally {
    await c?.end().catch(() => {});
    await db?.$disconnect().catch(() => {});
    await server?.stop();
  }
  log(failures.length ? `${failures.length} check(s) failed.` : 'All checks passed.');
  process.exit(failures.length ? 1 : 0);
}

main().catch((err) => {
  const name = (err as Error)?.name;
  if (name === 'ConfigError' || name === 'DatabaseStartError' || name === 'DatabaseConnectError') exitOnKnownError(err);
  console.error(`stress: ${(err as Error)?.stack ?? err}`);
  process.exit(1);
});
