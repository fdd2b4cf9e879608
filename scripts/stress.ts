/**
 * npm run stress -- <recovery|soak|bank|restart>
 *
 * The old plan's stress tests, kept (issue 6). Each works in a database of its own
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
 *             advanceLicense, syncPair and sync jobs (issue 7): nothing lost, see bank-check.ts.
 *   restart   PostgreSQL stopped and started under the running production server (issue 7):
 *             /api/health 503 then 200, the dashboard route back by itself, no duplicate runs.
 */
import os from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';
import { countDesyncsWithFullJoin, repairSetBased } from '../lib/bench/baselines';
import { openBenchServer, recreateDatabase, type BenchServer } from '../lib/bench/database';
import { buildDataset, expectedDesyncs, reinjectDesyncs } from '../lib/bench/dataset';
import { fmtMs, median, round, timed } from '../lib/bench/stats';
import { closeDb, getDb } from '../lib/db/client';
import { env } from '../lib/env';
import { createScheduler, type SchedulerConfig } from '../lib/scheduler';
import { runHealthCheck, runSyncJob, type Actor } from '../lib/sync';
import { exitOnKnownError } from './lib/database';
import { runBankCheck } from '../lib/bench/bank-check';
import { runRestartCheck } from '../lib/bench/restart-check';

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

const ACTOR: Actor = { label: 'stress', source: 'CLI' };

// ---------------------------------------------------------------------------------------------

/** Which learners get which desync (1,000 in all); every learner has exactly one pair. */
const INJECTED = {
  LEVEL_MISMATCH: [1, 600],
  MISSING_LICENSE: [601, 750],
  MISSING_PROGRESS: [751, 900],
  ORPHAN_PROGRESS: [901, 960],
  ORPHAN_LICENSE: [961, 1000],
} as const;
const count = (k: keyof typeof INJECTED) => INJECTED[k][1] - INJECTED[k][0] + 1;

async function recovery(c: pg.Client) {
  const learners = 10_000;
  log(`Building ${learners} learners, then repairing the data set's own desyncs set-based...`);
  await buildDataset(c, learners);
  await repairSetBased(c);
  log('Injecting 1,000 desyncs of every kind (orphans with the foreign keys bypassed, as a restore would)...');
  const between = (k: keyof typeof INJECTED): number[] => [...INJECTED[k]];
  await c.query('BEGIN');
  await c.query(`UPDATE user_licenses SET current_level = CASE WHEN current_level = 1 THEN 2 ELSE current_level - 1 END WHERE user_id BETWEEN $1 AND $2`, between('LEVEL_MISMATCH'));
  await c.query(`DELETE FROM user_licenses WHERE user_id BETWEEN $1 AND $2`, between('MISSING_LICENSE'));
  await c.query(`DELETE FROM specialization_progress WHERE user_id BETWEEN $1 AND $2`, between('MISSING_PROGRESS'));
  await c.query(`SET LOCAL session_replication_role = replica`);
  await c.query(`DELETE FROM users WHERE id BETWEEN $1 AND $2`, between('ORPHAN_PROGRESS'));
  await c.query(`DELETE FROM specialization_progress WHERE user_id BETWEEN $1 AND $2`, between('ORPHAN_LICENSE'));
  await c.query(`DELETE FROM users WHERE id BETWEEN $1 AND $2`, between('ORPHAN_LICENSE'));
  await c.query('COMMIT');

  const before = await runHealthCheck({ source: 'CLI' });
  const injected = Object.fromEntries(Object.keys(INJECTED).map((k) => [k, count(k as keyof typeof INJECTED)]));
  log(`Health check before: ${JSON.stringify(before.byKind)}`);
  check(JSON.stringify(before.byKind) === JSON.stringify(injected), `the health check finds exactly the injected desyncs ${JSON.stringify(injected)}`);

  log('One sync job...');
  let firstProgressAt = 0;
  const t0 = performance.now();
  const { ms, value: job } = await timed(() =>
    runSyncJob({ trigger: 'MANUAL', actor: ACTOR, reason: 'stress: recovery', onProgress: (done) => { if (done === 0) firstProgressAt = performance.now(); } }),
  );
  const repairable = count('LEVEL_MISMATCH') + count('MISSING_LICENSE') + count('MISSING_PROGRESS');
  const orphans = count('ORPHAN_PROGRESS') + count('ORPHAN_LICENSE');
  const db = getDb();
  const items = await db.syncJobItem.groupBy({ by: ['kind', 'outcome'], where: { jobId: job.id }, _count: { _all: true } });
  const itemCount = items.reduce((a, i) => a + i._count._all, 0);
  const audits = await db.auditEvent.count({ where: { action: 'SYNC_JOB_REPAIR', syncJobId: job.id } });
  const after = await runHealthCheck({ source: 'CLI' });
  const fullJoin = await countDesyncsWithFullJoin(c);

  console.log('');
  console.log(`  job #${job.id} ${job.status}: found ${job.found}, synced ${job.synced}, reported ${job.reported}, failed ${job.failed}`);
  console.log(`  recorded duration ${fmtMs(job.durationMs ?? 0)} (finding the desyncs ${fmtMs(firstProgressAt - t0)}), whole call ${fmtMs(ms)} including the closing health check`);
  console.log(`  ${((job.durationMs ?? 0) / job.found).toFixed(2)} ms per pair; ${round(job.found / ((job.durationMs ?? 1) / 1000))} pairs/s`);
  console.log(`  old system's targets: 100 desyncs in < 10 s and < 50 ms per pair`);
  console.log(`  job items by kind and outcome: ${items.map((i) => `${i.kind}/${i.outcome} ${i._count._all}`).join(', ')}`);
  console.log(`  health check after: ${JSON.stringify(after.byKind)}`);
  console.log('');
  check(job.status === 'SUCCEEDED' && job.failed === 0, 'the job succeeded with no failed pair');
  check(job.found === 1000 && job.done === 1000, 'the job found and processed all 1,000 desyncs');
  check(job.synced === repairable, `every repairable desync was repaired (${job.synced}/${repairable})`);
  check(job.reported === orphans, `every orphan was reported, none changed (${job.reported}/${orphans})`);
  check(itemCount === 1000, `one job item per pair (${itemCount})`);
  check(audits === repairable, `one SYNC_JOB_REPAIR audit event per repaired pair (${audits})`);
  check(after.byKind.LEVEL_MISMATCH === 0 && after.byKind.MISSING_LICENSE === 0 && after.byKind.MISSING_PROGRESS === 0, 'no repairable desync is left');
  check(after.byKind.ORPHAN_PROGRESS === count('ORPHAN_PROGRESS') && after.byKind.ORPHAN_LICENSE === count('ORPHAN_LICENSE'), 'the orphans are still there, reported');
  check(fullJoin === count('ORPHAN_LICENSE'), `hand-written FULL JOIN agrees: only the ${count('ORPHAN_LICENSE')} license-only orphans differ (${fullJoin})`);
  check((job.durationMs ?? Infinity) / job.found < 50, 'under the old system\'s 50 ms per pair');
}

// ---------------------------------------------------------------------------------------------

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return gc;
}

async function activeConnections(c: pg.Client): Promise<number> {
  const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()`);
  return rows[0]!.n;
}

async function soak(c: pg.Client) {
  const pairs = 100_000;
  const runs = 144;
  const perRun = Object.values(expectedDesyncs(pairs)).reduce((a, b) => a + b, 0);
  log(`Building ${pairs.toLocaleString('en-US')} pairs (${perRun} desyncs)...`);
  await buildDataset(c, pairs);
  const gc = forceGc();

  const config: SchedulerConfig = {
    crons: { HEALTH_CHECK: '* * * * *', SYNC: '*/10 * * * *', RETENTION: '17 * * * *' },
    timezone: 'UTC',
    catchUpGraceMs: 0,
    heartbeatTimeoutMs: 120_000,
    retentionDays: 90,
    syncOverdueGraceMs: 60 * 60_000,
  };
  const quiet = { info: () => {}, error: (m: string, err?: unknown) => console.error(`[scheduler] ${m}`, err) };
  const scheduler = createScheduler({ db: getDb(), config, schedules: ['SYNC'], log: quiet });
  // One simulated day at "every 10 minutes", starting at the next occurrence after now.
  const first = scheduler.nextOccurrence('SYNC', new Date())!;
  log(`${runs} scheduled syncs at "${config.crons.SYNC}" on an accelerated clock from ${first.toISOString()}`);

  const rss: number[] = [];
  const heap: number[] = [];
  const conns: number[] = [];
  const durations: number[] = [];
  const outcomes: { status: string; found: number | null; synced: number | null }[] = [];
  let occurrence = first;
  for (let i = 1; i <= runs; i++) {
    await reinjectDesyncs(c, pairs);
    const now = new Date(occurrence.getTime() + 1_000);
    const t = performance.now();
    const ran = await scheduler.tick(now);
    durations.push(performance.now() - t);
    const sync = ran.find((r) => r.schedule === 'SYNC');
    const job = sync?.syncJobId ? await getDb().syncJob.findUnique({ where: { id: sync.syncJobId } }) : null;
    outcomes.push({ status: sync ? `${sync.status}/${job?.status ?? '-'}` : 'NOT RUN', found: job?.found ?? null, synced: job?.synced ?? null });
    gc();
    const m = process.memoryUsage();
    rss.push(m.rss / 2 ** 20);
    heap.push(m.heapUsed / 2 ** 20);
    conns.push(await activeConnections(c));
    if (i === 1 || i % 12 === 0) {
      log(`  run ${String(i).padStart(3)}/${runs}: ${outcomes.at(-1)!.status}, found ${job?.found}, ${fmtMs(durations.at(-1)!)}; RSS ${rss.at(-1)!.toFixed(0)} MiB, heap ${heap.at(-1)!.toFixed(0)} MiB, connections ${conns.at(-1)}`);
    }
    occurrence = scheduler.nextOccurrence('SYNC', occurrence)!;
  }
  await scheduler.stop();

  const { rows: claims } = await c.query<{ status: string; occurrence_at: Date; claimed_at: Date; finished_at: Date | null; sync_job_id: number | null }>(
    `SELECT status, occurrence_at, claimed_at, finished_at, sync_job_id FROM schedule_runs WHERE schedule = 'SYNC' ORDER BY occurrence_at`,
  );
  const { rows: jobs } = await c.query<{ id: number; status: string; found: number; synced: number; started_at: Date; finished_at: Date | null; trigger: string }>(
    `SELECT id, status, found, synced, started_at, finished_at, trigger FROM sync_jobs ORDER BY started_at, id`,
  );
  const overlaps = (xs: { from: Date; to: Date | null }[]) =>
    xs.slice(1).filter((x, i) => xs[i]!.to === null || xs[i]!.to!.getTime() > x.from.getTime()).length;
  const rssGrowth = (rss[runs - 1]! - rss[9]!) / rss[9]!;
  const early = Math.max(...conns.slice(9, 50));
  const late = Math.max(...conns.slice(100));

  console.log('');
  console.log(`  runs: ${runs}, median ${fmtMs(median(durations))} per scheduled run (claim + sync job + closing health check), total ${fmtMs(durations.reduce((a, b) => a + b, 0))}`);
  console.log(`  RSS: run 10 ${rss[9]!.toFixed(1)} MiB, run 144 ${rss[runs - 1]!.toFixed(1)} MiB (${(rssGrowth * 100).toFixed(1)}%), min ${Math.min(...rss).toFixed(1)}, max ${Math.max(...rss).toFixed(1)}; heap run 10 ${heap[9]!.toFixed(1)} MiB, run 144 ${heap[runs - 1]!.toFixed(1)} MiB`);
  console.log(`  pg_stat_activity on the database: runs 10-50 max ${early}, runs 101-144 max ${late}, overall ${Math.min(...conns)}..${Math.max(...conns)}`);
  console.log('');
  check(outcomes.every((o) => o.status === 'SUCCEEDED/SUCCEEDED' && o.found === perRun && o.synced === perRun), `all ${runs} scheduled runs ran a job that repaired the ${perRun} injected desyncs`);
  check(claims.length === runs && claims.every((r) => r.status === 'SUCCEEDED' && r.sync_job_id !== null && r.finished_at !== null), `every run recorded: ${claims.length} schedule_runs rows, all SUCCEEDED with their job`);
  check(jobs.length === runs && jobs.every((j) => j.trigger === 'SCHEDULED' && j.status === 'SUCCEEDED'), `${jobs.length} sync_jobs rows, all SCHEDULED and SUCCEEDED`);
  check(overlaps(jobs.map((j) => ({ from: j.started_at, to: j.finished_at }))) === 0, 'no two sync jobs overlapped');
  check(overlaps(claims.map((r) => ({ from: r.claimed_at, to: r.finished_at }))) === 0, 'no two scheduled runs overlapped');
  check(rssGrowth < 0.1, `RSS growth from run 10 to run 144 under 10% (${(rssGrowth * 100).toFixed(1)}%)`);
  check(late <= early + 1, `no leaked connections: pg_stat_activity ${early} (runs 10-50) -> ${late} (runs 101-144)`);
}

// ---------------------------------------------------------------------------------------------

async function bank(url: string) {
  const result = await runBankCheck(url, {
    updates: 10_000, callers: 200, pairs: 50, syncJobEvery: 500,
    onProgress: (done, total) => log(`${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} updates`),
  });
  console.log(JSON.stringify(result, null, 2));
  check(result.unexpectedErrors.length === 0, `no caller saw an unhandled error (${result.unexpectedErrors.length})`);
  check(result.inconsistentPairs === 0, 'every pair is consistent');
  check(result.xpInDatabase === result.xpIncrements + result.xpRaisedByAdvances, `XP equals the increments applied (${result.xpInDatabase} = ${result.xpIncrements} + ${result.xpRaisedByAdvances} raised by advances)`);
  check(result.audit.recordProgress === result.applied.recordProgress && result.audit.advanceLicense === result.applied.advanceLicense && result.audit.syncPair === result.applied.syncPair && result.audit.syncJobRepairs === result.audit.syncJobRepairsRecorded, 'exactly one audit event per applied change');
  log(`${result.applied.recordProgress + result.applied.advanceLicense + result.applied.syncPair} coupled updates and ${result.applied.syncJobs} sync jobs (${result.applied.alreadyRunning} refused as already running) in ${result.seconds.toFixed(1)} s`);
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
    check(result.dashboardDuringOutage === 503, `the dashboard route answered 503 during the outage (HTTP ${result.dashboardDuringOutage}), so the page shows its data as stale`);
    check(result.healthChecksAfterRestart >= 2, `the scheduler resumed: ${result.healthChecksAfterRestart} scheduled health checks after the restart`);
    check(result.duplicateOccurrences === 0, 'no occurrence ran twice');
    log(`/api/health went 503 after ${fmtMs(result.healthDownAfterMs)} and 200 again ${fmtMs(result.healthUpAfterMs)} after the restart; the dashboard route answered ${fmtMs(result.dashboardUpAfterMs)} later.`);
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
  try {
    server = await openBenchServer({ databaseUrl: config.DATABASE_URL, embeddedDir: config.EMBEDDED_PG_DIR, embeddedPort: config.EMBEDDED_PG_PORT });
    const database = `syncwatch_stress_${name}`;
    log(`Stress test "${name}" in ${database} on ${server.describe}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const url = await recreateDatabase(server, database);
    process.env.DATABASE_URL = url;
    c = new pg.Client({ connectionString: url });
    await c.connect();
    await (name === 'recovery' ? recovery(c) : name === 'soak' ? soak(c) : bank(url));
  } finally {
    await c?.end().catch(() => {});
    await closeDb().catch(() => {});
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
