/**
 * npm run bench -- [--pairs 10000|100000|1000000] [--runs N] [--chart] [--skip-server]
 *
 * Measures SyncWatch against PostgreSQL's own limit on this machine (issue 6): every figure is
 * the median of --runs runs after one warm-up, beside the same work done by minimal hand-written
 * SQL in the same run, with the ratio. Works in its own database, syncwatch_bench_<pairs>, on the
 * configured server (DATABASE_URL's, or the embedded one), rebuilt on every run and kept after it
 * for inspection. Prints a table, writes bench/results/<date>-<pairs>.json and, with --chart, a PNG.
 * Benchmarks measure; they assert nothing (npm test never runs this).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { z } from 'zod';
import { hashPassword } from '../lib/auth/password';
import { countDesyncsWithFullJoin, coupledUpdateByHand, repairSetBased } from '../lib/bench/baselines';
import { writeChartPng } from '../lib/bench/chart';
import { openBenchServer, recreateDatabase, serverFacts, type BenchServer } from '../lib/bench/database';
import { buildDataset, expectedDesyncs, reinjectDesyncs, specOf } from '../lib/bench/dataset';
import { loadTest, pollLoad, type LoadResult } from '../lib/bench/http-load';
import { fmtTarget, fmtValue, markdownTable, table, target, type TargetResult } from '../lib/bench/report';
import { buildIfStale, sampleRss, signIn, startServer, type RunningServer } from '../lib/bench/server';
import { fmtMs, median, percentile, round, runConcurrently, sleep, timed } from '../lib/bench/stats';
import { closeDb } from '../lib/db/client';
import { env } from '../lib/env';
import { recordProgress, runHealthCheck, runSyncJob, type Actor } from '../lib/sync';
import { exitOnKnownError } from './lib/database';

const HELP = `Usage: npm run bench -- [options]

Measures SyncWatch at scale beside hand-written SQL doing the same work (issue 6).

Options:
  --pairs N       data set size: 10000, 100000 (default) or 1000000 learner pairs
  --runs N        measured runs per figure, median reported, after one warm-up (default 5)
  --chart         also render bench/results/<date>-<pairs>.png (no browser needed)
  --skip-server   skip what needs the production server (dashboard load, freshness, RSS)
  --help          this text

Database: a database of its own, syncwatch_bench_<pairs>, on DATABASE_URL's server or the
embedded PostgreSQL (EMBEDDED_PG_DIR, EMBEDDED_PG_PORT); dropped and rebuilt on every run.
The 1,000,000-pair run takes about 7 minutes on 2 cores (target: under 15).`;

const argsSchema = z.object({
  pairs: z.enum(['10000', '100000', '1000000'], { error: '--pairs must be 10000, 100000 or 1000000' }).default('100000').transform(Number),
  runs: z.coerce.number({ error: '--runs must be a whole number' }).int().min(1).max(50).default(5),
  chart: z.boolean().default(false),
  'skip-server': z.boolean().default(false),
  help: z.boolean().default(false),
});

function parseCli() {
  let values;
  try {
    ({ values } = parseArgs({
      options: { pairs: { type: 'string' }, runs: { type: 'string' }, chart: { type: 'boolean' }, 'skip-server': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) {
    console.error(`bench: ${parsed.error.issues.map((i) => i.message).join('; ')}\n\n${HELP}`);
    process.exit(2);
  }
  return parsed.data;
}

const startedAt = performance.now();
function log(message: string) {
  const s = (performance.now() - startedAt) / 1000;
  console.log(`[bench ${String(Math.floor(s / 60)).padStart(2, '0')}:${(s % 60).toFixed(1).padStart(4, '0')}] ${message}`);
}

const BENCH_ACTOR: Actor = { label: 'bench', source: 'CLI' };
const STAFF_EMAIL = 'bench-admin@syncwatch.bench';
/** Durations of the throughput and load runs. */
const THROUGHPUT_SECONDS = 5;
const LOAD_SECONDS = 20;
const LOAD_CONNECTIONS = 100;

/** Runs a and b `runs` times after a warm-up, alternating which goes first. */
async function paired(runs: number, a: () => Promise<number>, b: () => Promise<number>, onRun?: (i: number, x: number, y: number) => void) {
  await a();
  await b();
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < runs; i++) {
    let x: number, y: number;
    if (i % 2 === 0) {
      x = await a();
      y = await b();
    } else {
      y = await b();
      x = await a();
    }
    xs.push(x);
    ys.push(y);
    onRun?.(i, x, y);
  }
  return { a: xs, b: ys, ratios: xs.map((x, i) => x / ys[i]!) };
}

// ---------------------------------------------------------------------------------------------
// (1) health check vs one FULL OUTER JOIN count

async function measureHealthCheck(c: pg.Client, runs: number) {
  const recorded: number[] = [];
  let last: Awaited<ReturnType<typeof runHealthCheck>> | undefined;
  const r = await paired(
    runs,
    async () => {
      const { ms, value } = await timed(() => runHealthCheck({ source: 'CLI' }));
      recorded.push(value.durationMs);
      last = value;
      return ms;
    },
    async () => (await timed(() => countDesyncsWithFullJoin(c))).ms,
    (i, x, y) => log(`  run ${i + 1}/${runs}: health check ${fmtMs(x)}, FULL JOIN count ${fmtMs(y)} (${(x / y).toFixed(2)}x)`),
  );
  return {
    engineMs: median(r.a),
    engineRecordedMs: median(recorded.slice(1)),
    baselineMs: median(r.b),
    ratio: median(r.ratios),
    totalPairs: last!.totalPairs,
    desynced: last!.totalPairs - last!.consistentPairs,
    runs: { engineMs: r.a.map((x) => round(x)), baselineMs: r.b.map((x) => round(x)) },
  };
}

// ---------------------------------------------------------------------------------------------
// (2) sync job (all desyncs, per-pair records) vs one set-based repair transaction

async function measureSync(c: pg.Client, pairs: number, runs: number) {
  const expected = Object.values(expectedDesyncs(pairs)).reduce((a, b) => a + b, 0);
  const jobMs: number[] = [];
  const callMs: number[] = [];
  const baseMs: number[] = [];
  const phases: { findMs: number; repairMs: number; finishMs: number }[] = [];
  for (let i = 0; i <= runs; i++) {
    await reinjectDesyncs(c, pairs);
    const marks = { start: performance.now(), found: 0, repaired: 0 };
    const { ms, value: job } = await timed(() =>
      runSyncJob({
        trigger: 'MANUAL',
        actor: BENCH_ACTOR,
        reason: 'benchmark',
        onProgress: (done, total) => {
          if (done === 0) marks.found = performance.now();
          if (done === total) marks.repaired = performance.now();
        },
      }),
    );
    const end = performance.now();
    if (job.status !== 'SUCCEEDED' || job.found !== expected || job.synced !== expected) {
      throw new Error(`The sync job did not repair the data set's ${expected} desyncs: ${JSON.stringify(job)}`);
    }
    await reinjectDesyncs(c, pairs);
    const base = await timed(() => repairSetBased(c));
    const wrote = base.value.updated + base.value.licenses + base.value.progress;
    if (wrote !== expected) throw new Error(`The set-based repair wrote ${wrote} rows, expected ${expected}.`);
    const label = i === 0 ? 'warm-up' : `run ${i}/${runs}`;
    const phase = { findMs: marks.found - marks.start, repairMs: marks.repaired - marks.found, finishMs: end - marks.repaired };
    log(
      `  ${label}: job found ${job.found}, recorded ${fmtMs(job.durationMs ?? 0)}, whole call ${fmtMs(ms)} ` +
        `(find ${fmtMs(phase.findMs)}, repair ${fmtMs(phase.repairMs)}, finish + closing check ${fmtMs(phase.finishMs)}); set-based ${fmtMs(base.ms)}`,
    );
    if (i === 0) continue;
    phases.push(phase);
    jobMs.push(job.durationMs ?? Number.NaN);
    callMs.push(ms);
    baseMs.push(base.ms);
  }
  return {
    found: expected,
    jobMs: median(jobMs),
    callMs: median(callMs),
    baselineMs: median(baseMs),
    ratio: median(jobMs.map((x, i) => x / baseMs[i]!)),
    callRatio: median(callMs.map((x, i) => x / baseMs[i]!)),
    msPerPair: median(jobMs) / expected,
    phasesMs: {
      find: round(median(phases.map((p) => p.findMs))),
      repair: round(median(phases.map((p) => p.repairMs))),
      finishAndClosingCheck: round(median(phases.map((p) => p.finishMs))),
    },
    runs: { jobMs, callMs: callMs.map((x) => round(x)), baselineMs: baseMs.map((x) => round(x)) },
  };
}

// ---------------------------------------------------------------------------------------------
// (3) recordProgress throughput at 16 callers vs a hand-written pg transaction

async function measureRecordProgress(url: string, pairs: number, runs: number) {
  const pool = new pg.Pool({ connectionString: url, max: 16 });
  const actor: Actor = { label: 'bench', source: 'APP' };
  const randomPair = () => {
    const g = 1 + Math.floor(Math.random() * pairs);
    return [g, specOf(g)] as const;
  };
  const hot = [1, specOf(1)] as const;
  const engine = (pick: () => readonly [number, string], seconds: number) =>
    runConcurrently(16, seconds * 1000, () => {
      const [g, s] = pick();
      return recordProgress(g, s, { xpGained: 1, sessionsCompleted: 0 }, actor);
    });
  const byHand = (pick: () => readonly [number, string], seconds: number) =>
    runConcurrently(16, seconds * 1000, () => {
      const [g, s] = pick();
      return coupledUpdateByHand(pool, g, s);
    });
  const out: Record<string, { engineTps: number; baselineTps: number; ratio: number; errors: number; runs: { engineTps: number[]; baselineTps: number[] } }> = {};
  try {
    for (const [name, pick] of [['spread', randomPair], ['hotPair', () => hot]] as const) {
      let errors = 0;
      let firstError: string | null = null;
      const r = await paired(
        runs,
        async () => {
          const x = await engine(pick, THROUGHPUT_SECONDS);
          errors += x.errors;
          firstError ??= x.firstError;
          return x.perSecond;
        },
        async () => {
          const y = await byHand(pick, THROUGHPUT_SECONDS);
          errors += y.errors;
          firstError ??= y.firstError;
          return y.perSecond;
        },
        (i, x, y) => log(`  ${name} run ${i + 1}/${runs}: recordProgress ${x.toFixed(0)} tx/s, by hand ${y.toFixed(0)} tx/s (${(x / y).toFixed(2)}x)`),
      );
      if (errors) log(`  ${name}: ${errors} failed call(s), first: ${firstError}`);
      out[name] = {
        engineTps: median(r.a),
        baselineTps: median(r.b),
        ratio: median(r.ratios),
        errors,
        runs: { engineTps: r.a.map((x) => round(x)), baselineTps: r.b.map((x) => round(x)) },
      };
    }
  } finally {
    await pool.end();
  }
  return { callers: 16, seconds: THROUGHPUT_SECONDS, spread: out.spread!, hotPair: out.hotPair! };
}

// ---------------------------------------------------------------------------------------------
// (4)-(6) the production server: dashboard under load, desync freshness, RSS during a sync

interface DashboardBody {
  latest: { id: number; byKind: Record<string, number> } | null;
}

async function readDashboard(server: RunningServer, cookie: string): Promise<DashboardBody> {
  const res = await fetch(`${server.baseUrl}/api/dashboard`, { headers: { cookie }, signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`GET /api/dashboard answered ${res.status}`);
  return (await res.json()) as DashboardBody;
}

/** Resolves when the dashboard shows a health check newer than `afterId`. */
async function waitForNewCheck(server: RunningServer, cookie: string, afterId: number, timeoutMs: number): Promise<DashboardBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await readDashboard(server, cookie).catch(() => null);
    if (d?.latest && d.latest.id > afterId) return d;
    if (Date.now() > deadline) throw new Error(`No new health check within ${timeoutMs / 1000} s.`);
    await sleep(200);
  }
}

/**
 * Desync freshness: right after a scheduled check completes (the worst moment, so the figure is
 * close to the worst case), break one consistent pair with raw SQL and poll the dashboard's data
 * until a newer check counts it. Returns seconds from the write to the poll that showed it.
 */
async function breakAndWait(c: pg.Client, server: RunningServer, cookie: string, g: number, timeoutMs: number, during?: () => Promise<void>) {
  const now = await readDashboard(server, cookie);
  const fresh = await waitForNewCheck(server, cookie, now.latest?.id ?? 0, timeoutMs);
  const before = fresh.latest!.byKind.LEVEL_MISMATCH ?? 0;
  const spec = specOf(g);
  const t0 = Date.now();
  await c.query(
    `UPDATE user_licenses l SET current_level = CASE WHEN p.current_level = 1 THEN 2 ELSE 1 END
     FROM specialization_progress p WHERE p.user_id = l.user_id AND p.specialization_id = l.specialization_id AND l.user_id = $1 AND l.specialization_id = $2`,
    [g, spec],
  );
  const seen = (async () => {
    const deadline = t0 + timeoutMs;
    for (;;) {
      const d = await readDashboard(server, cookie).catch(() => null);
      if (d?.latest && d.latest.id > fresh.latest!.id && (d.latest.byKind.LEVEL_MISMATCH ?? 0) >= before + 1) return (Date.now() - t0) / 1000;
      if (Date.now() > deadline) return Number.NaN;
      await sleep(250);
    }
  })();
  await during?.();
  return seen;
}

async function restorePairs(c: pg.Client, gs: number[]) {
  for (const g of gs) {
    await c.query(
      `UPDATE user_licenses l SET current_level = p.current_level FROM specialization_progress p
       WHERE p.user_id = l.user_id AND p.specialization_id = l.specialization_id AND l.user_id = $1 AND l.specialization_id = $2`,
      [g, specOf(g)],
    );
  }
}

/** A 6-field cron expression (UTC) that fires once, at `at` (rounded to the second). */
function cronAt(at: Date): string {
  return `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} ${at.getUTCDate()} ${at.getUTCMonth() + 1} *`;
}

async function measureServer(c: pg.Client, url: string, pairs: number, logDir: string) {
  log('Production build (.next-bench; rebuilt only when sources changed)...');
  const buildMs = await buildIfStale(path.join(logDir, 'build.log'));
  log(buildMs ? `  built in ${fmtMs(buildMs)}` : '  up to date');

  // The dashboard charts the latest 240 checks: give it that history (4 hours at the default
  // schedule), as a server that has run for a while has, copies of the latest check back in time.
  await c.query(
    `INSERT INTO health_checks (checked_at, duration_ms, total_pairs, consistent_pairs, consistency_rate, level_mismatch, missing_license,
                                missing_progress, orphan_progress, orphan_license, by_specialization, source)
     SELECT h.checked_at - make_interval(mins => g), duration_ms, total_pairs, consistent_pairs, consistency_rate, level_mismatch, missing_license,
            missing_progress, orphan_progress, orphan_license, by_specialization, source
     FROM (SELECT * FROM health_checks ORDER BY checked_at DESC, id DESC LIMIT 1) h, generate_series(1, 240) AS g`,
  );
  const password = randomBytes(12).toString('hex');
  await c.query(
    `INSERT INTO users (email, name, role, password_hash) VALUES ($1, 'Benchmark admin', 'ADMIN', $2)
     ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = 'ADMIN'`,
    [STAFF_EMAIL, await hashPassword(password)],
  );
  const common = { DATABASE_URL: url, SCHEDULER_ENABLED: 'true', SCHEDULE_TIMEZONE: 'UTC' };
  const broken: number[] = [];
  // Consistent pairs of the data set to break for the freshness samples (not 7 mod 100, 13/17 mod 1000).
  const nextPair = () => {
    const g = 2 + broken.length;
    broken.push(g);
    return g;
  };

  // Server 1: the default health schedule (every minute). The 6-hourly sync is moved out of the
  // way so that it cannot fire in the middle of a measurement.
  log('Server 1: default schedules (HEALTH_CHECK_CRON "* * * * *")...');
  const s1 = await startServer({
    env: { ...common, HEALTH_CHECK_CRON: '* * * * *', SYNC_CRON: '0 0 1 1 *', SCHEDULE_CATCH_UP_GRACE_MINUTES: '0' },
    logFile: path.join(logDir, 'server-1.log'),
  });
  let ping: LoadResult, dashboard: LoadResult, pacedDashboard: LoadResult, freshnessDefault: number;
  try {
    const cookie = await signIn(s1.baseUrl, STAFF_EMAIL, password);
    await readDashboard(s1, cookie);
    log('  warm-up: 5 s on /api/ping and on /api/dashboard');
    await loadTest(`${s1.baseUrl}/api/ping`, { connections: LOAD_CONNECTIONS, seconds: 5 });
    await loadTest(`${s1.baseUrl}/api/dashboard`, { connections: LOAD_CONNECTIONS, seconds: 5, headers: { cookie } });
    log('  waiting for a scheduled health check, then breaking one pair; the load tests run meanwhile');
    let loads: [LoadResult, LoadResult] | undefined;
    let paced: LoadResult | undefined;
    freshnessDefault = await breakAndWait(c, s1, cookie, nextPair(), 240_000, async () => {
      // ABBA order (ping, dashboard, dashboard, ping) so that a change in the machine's load
      // during the runs weighs on both routes alike; each route gets 2 x LOAD_SECONDS.
      const runs: Record<'ping' | 'dashboard', LoadResult[]> = { ping: [], dashboard: [] };
      for (const route of ['ping', 'dashboard', 'dashboard', 'ping'] as const) {
        const r = await loadTest(`${s1.baseUrl}/api/${route}`, { connections: LOAD_CONNECTIONS, seconds: LOAD_SECONDS, headers: route === 'dashboard' ? { cookie } : undefined });
        log(`  autocannon: ${LOAD_CONNECTIONS} connections, ${LOAD_SECONDS} s, GET /api/${route}: ${r.requestsPerSecond.toFixed(0)} req/s, p95 ${r.p95Ms.toFixed(0)} ms, errors ${r.errors}`);
        runs[route].push(r);
      }
      loads = [mergeLoads(runs.ping), mergeLoads(runs.dashboard)];
      // For scale: the same 100 clients at a dashboard's pace (it refreshes every 10 s by
      // default; here every second, phases spread at random).
      paced = await pollLoad(`${s1.baseUrl}/api/dashboard`, { clients: LOAD_CONNECTIONS, intervalMs: 1000, seconds: 10, headers: { cookie } });
      log(`  ${LOAD_CONNECTIONS} clients polling once a second, 10 s, GET /api/dashboard: ${paced.requestsPerSecond.toFixed(0)} req/s, p50 ${paced.p50Ms.toFixed(0)} ms, p95 ${paced.p95Ms.toFixed(0)} ms, errors ${paced.errors}`);
    });
    [ping, dashboard] = loads!;
    pacedDashboard = paced!;
    log(`  freshness with the default schedule: ${freshnessDefault.toFixed(1)} s`);
  } finally {
    await s1.stop();
    await restorePairs(c, broken);
  }

  // Server 2: health checks every 10 s, and a scheduled sync that fires ~25 s after the start so
  // that the server's RSS can be sampled while the job runs inside it.
  await reinjectDesyncs(c, pairs);
  const expected = Object.values(expectedDesyncs(pairs)).reduce((a, b) => a + b, 0);
  const fireAt = new Date(Date.now() + 25_000);
  log(`Server 2: HEALTH_CHECK_CRON "*/10 * * * * *", a scheduled sync at ${fireAt.toISOString()} (${expected} desyncs)...`);
  const spawnedAt = Date.now();
  const s2 = await startServer({
    env: { ...common, HEALTH_CHECK_CRON: '*/10 * * * * *', SYNC_CRON: cronAt(fireAt), SCHEDULE_CATCH_UP_GRACE_MINUTES: '5' },
    logFile: path.join(logDir, 'server-2.log'),
  });
  const rss = sampleRss(s2.pid, 100);
  const freshness10s: number[] = [];
  let job: { id: number; found: number; status: string; startedAt: Date; finishedAt: Date; claimFinishedAt: Date };
  try {
    const cookie = await signIn(s2.baseUrl, STAFF_EMAIL, password);
    log('  waiting for the scheduled sync job to run inside the server...');
    const deadline = Date.now() + 15 * 60_000;
    for (;;) {
      const { rows } = await c.query<{ id: number; found: number; status: string; started_at: Date; finished_at: Date | null; claim_finished: Date | null }>(
        `SELECT j.id, j.found, j.status, j.started_at, j.finished_at, r.finished_at AS claim_finished
         FROM sync_jobs j LEFT JOIN schedule_runs r ON r.sync_job_id = j.id AND r.schedule = 'SYNC'
         WHERE j.trigger = 'SCHEDULED' ORDER BY j.id DESC LIMIT 1`,
      );
      const r = rows[0];
      if (r?.finished_at && r.claim_finished) {
        job = { id: r.id, found: r.found, status: r.status, startedAt: r.started_at, finishedAt: r.finished_at, claimFinishedAt: r.claim_finished };
        break;
      }
      if (Date.now() > deadline) throw new Error('The scheduled sync job did not finish within 15 minutes.');
      await sleep(200);
    }
    await sleep(300);
    const idle = rss.peakMiB(spawnedAt, job.startedAt.getTime() - 1);
    const during = rss.peakMiB(job.startedAt.getTime(), job.claimFinishedAt.getTime() + 200);
    log(`  job #${job.id} ${job.status}: found ${job.found}; server RSS peak ${during.tree.toFixed(0)} MiB during the job (${idle.tree.toFixed(0)} MiB before it)`);
    for (let i = 0; i < 3; i++) {
      const s = await breakAndWait(c, s2, cookie, nextPair(), 60_000);
      freshness10s.push(s);
      log(`  freshness with a 10 s health schedule, sample ${i + 1}/3: ${s.toFixed(1)} s`);
    }
    rss.stop();
    return {
      buildMs: round(buildMs),
      dashboard: {
        connections: LOAD_CONNECTIONS,
        secondsPerRun: LOAD_SECONDS,
        order: 'ping, dashboard, dashboard, ping',
        ping: summarizeLoad(ping),
        dashboard: summarizeLoad(dashboard),
        ratio: dashboard.requestsPerSecond / ping.requestsPerSecond,
        pacedOncePerSecond: summarizeLoad(pacedDashboard),
      },
      freshness: { defaultScheduleS: round(freshnessDefault, 1), tenSecondScheduleS: freshness10s.map((x) => round(x, 1)), tenSecondWorstS: Math.max(...freshness10s) },
      memory: {
        jobId: job.id,
        jobStatus: job.status,
        jobFound: job.found,
        peakDuringSyncMiB: round(during.tree),
        peakServerProcessMiB: round(during.process),
        beforeSyncMiB: round(idle.tree),
        samples: during.samples,
      },
    };
  } finally {
    rss.stop();
    await s2.stop();
    await restorePairs(c, broken);
  }
}

function mergeLoads(rs: LoadResult[]): LoadResult {
  const latencies = rs.flatMap((r) => r.latencies);
  const seconds = rs.reduce((a, r) => a + r.seconds, 0);
  const ok = rs.reduce((a, r) => a + r.requestsPerSecond * r.seconds, 0);
  const statusCodes: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.statusCodes)) statusCodes[k] = (statusCodes[k] ?? 0) + v;
  return {
    ...rs[0]!,
    seconds,
    requestsPerSecond: ok / seconds,
    requests: latencies.length,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    maxMs: Math.max(...rs.map((r) => r.maxMs)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    statusCodes,
    latencies,
  };
}

function summarizeLoad(r: LoadResult) {
  return {
    requestsPerSecond: round(r.requestsPerSecond),
    requests: r.requests,
    p50Ms: round(r.p50Ms, 1),
    p95Ms: round(r.p95Ms, 1),
    p99Ms: round(r.p99Ms, 1),
    maxMs: round(r.maxMs, 1),
    errors: r.errors,
    statusCodes: r.statusCodes,
  };
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const args = parseCli();
  if (args.help) {
    console.log(HELP);
    return;
  }
  const pairs = args.pairs;
  const runs = args.runs;
  const config = env();
  const date = new Date().toISOString().slice(0, 10);
  const loadStart = os.loadavg();
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'syncwatch-bench-'));
  log(`SyncWatch benchmark: ${pairs.toLocaleString('en-US')} pairs, ${runs} run(s) per figure after a warm-up; load average ${loadStart.map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} CPU(s); server logs in ${logDir} (removed when the run succeeds)`);

  let server: BenchServer | undefined;
  let c: pg.Client | undefined;
  try {
    server = await openBenchServer({ databaseUrl: config.DATABASE_URL, embeddedDir: config.EMBEDDED_PG_DIR, embeddedPort: config.EMBEDDED_PG_PORT });
    const database = `syncwatch_bench_${pairs}`;
    log(`Database ${database} on ${server.describe}: recreating and migrating...`);
    const url = await recreateDatabase(server, database);
    // The engine runs in this process and reads these on its first query.
    process.env.DATABASE_URL = url;
    process.env.DATABASE_POOL_SIZE = '20';
    c = new pg.Client({ connectionString: url });
    await c.connect();

    log(`Building the data set (set-based, ${pairs.toLocaleString('en-US')} learners)...`);
    const built = await timed(() => buildDataset(c!, pairs));
    const expected = expectedDesyncs(pairs);
    const expectedTotal = Object.values(expected).reduce((a, b) => a + b, 0);
    const counted = await countDesyncsWithFullJoin(c);
    if (counted !== expectedTotal) throw new Error(`The data set has ${counted} desyncs, expected ${expectedTotal}.`);
    log(`  built in ${fmtMs(built.ms)}: ${expectedTotal} desyncs (${Object.entries(expected).map(([k, v]) => `${k} ${v}`).join(', ')})`);

    log('(1) Health check vs one FULL OUTER JOIN count');
    const health = await measureHealthCheck(c, runs);
    log('(2) Sync job (all desyncs, per-pair records) vs one set-based repair transaction');
    const sync = await measureSync(c, pairs, runs);
    log(`(3) recordProgress, 16 callers x ${THROUGHPUT_SECONDS} s, vs a hand-written pg transaction`);
    const throughput = await measureRecordProgress(url, pairs, runs);
    await closeDb();

    let web: Awaited<ReturnType<typeof measureServer>> | null = null;
    if (args['skip-server']) log('(4)-(6) skipped (--skip-server)');
    else {
      log('(4)-(6) Production server: dashboard under load, desync freshness, RSS during a sync');
      web = await measureServer(c, url, pairs, logDir);
    }

    const totalS = (performance.now() - startedAt) / 1000;
    const targets: TargetResult[] = [
      target('healthRatio', 'Health check / FULL JOIN count', health.ratio, 'x', 'atMost', 1.5, true),
      target('syncJob', 'Sync job of all desyncs (recorded)', sync.jobMs / 1000, 's', 'atMost', 5),
      target('syncCall', 'Sync job, whole call incl. closing check', sync.callMs / 1000, 's', 'atMost', 5),
      target('syncRatio', 'Sync job / set-based repair', sync.ratio, 'x', 'atMost', 4, true),
      target('recordSpread', 'recordProgress / by hand, spread', throughput.spread.ratio, 'x', 'atLeast', 0.6, true),
      target('recordHot', 'recordProgress / by hand, hot pair', throughput.hotPair.ratio, 'x', 'atLeast', 0.5, true),
      target('dashboardRatio', 'Dashboard req/s / trivial route', web?.dashboard.ratio, 'x', 'atLeast', 0.5, true),
      target('dashboardP95', 'Dashboard p95, 100 clients', web?.dashboard.dashboard.p95Ms, 'ms', 'atMost', 100),
      target('dashboardErrors', 'Dashboard errors, 100 clients', web?.dashboard.dashboard.errors, 'errors', 'atMost', 0),
      target('freshnessDefault', 'Freshness, default schedule', web?.freshness.defaultScheduleS, 's', 'atMost', 75),
      target('freshness10s', 'Freshness, 10 s health schedule', web?.freshness.tenSecondWorstS, 's', 'atMost', 15),
      target('rss', 'Server RSS during a sync job', web?.memory.peakDuringSyncMiB, 'MiB', 'atMost', 600),
      ...(pairs === 1_000_000 ? [target('benchMinutes', 'This benchmark run', totalS / 60, 'min', 'atMost', 15)] : []),
    ];

    const figures = [
      ['Health check (all figures + snapshot)', fmtMs(health.engineMs), `FULL JOIN count ${fmtMs(health.baselineMs)}`, `${health.ratio.toFixed(2)}x`],
      [`Sync job, ${sync.found} desyncs (recorded / whole call)`, `${fmtMs(sync.jobMs)} / ${fmtMs(sync.callMs)}`, `set-based ${fmtMs(sync.baselineMs)}`, `${sync.ratio.toFixed(2)}x / ${sync.callRatio.toFixed(2)}x`],
      ['recordProgress, 16 callers, spread', `${throughput.spread.engineTps.toFixed(0)} tx/s`, `by hand ${throughput.spread.baselineTps.toFixed(0)} tx/s`, `${throughput.spread.ratio.toFixed(2)}x`],
      ['recordProgress, 16 callers, hot pair', `${throughput.hotPair.engineTps.toFixed(0)} tx/s`, `by hand ${throughput.hotPair.baselineTps.toFixed(0)} tx/s`, `${throughput.hotPair.ratio.toFixed(2)}x`],
      ...(web
        ? [
            [
              `GET /api/dashboard, ${LOAD_CONNECTIONS} clients`,
              `${web.dashboard.dashboard.requestsPerSecond} req/s, p50/p95/p99 ${web.dashboard.dashboard.p50Ms}/${web.dashboard.dashboard.p95Ms}/${web.dashboard.dashboard.p99Ms} ms, ${web.dashboard.dashboard.errors} errors`,
              `/api/ping ${web.dashboard.ping.requestsPerSecond} req/s, p95 ${web.dashboard.ping.p95Ms} ms`,
              `${web.dashboard.ratio.toFixed(2)}x`,
            ],
            [
              `GET /api/dashboard, ${LOAD_CONNECTIONS} clients polling 1/s`,
              `${web.dashboard.pacedOncePerSecond.requestsPerSecond} req/s, p50/p95/p99 ${web.dashboard.pacedOncePerSecond.p50Ms}/${web.dashboard.pacedOncePerSecond.p95Ms}/${web.dashboard.pacedOncePerSecond.p99Ms} ms`,
              'informational (the UI refreshes every 10 s)',
              '',
            ],
            ['Desync freshness (default / 10 s schedule)', `${web.freshness.defaultScheduleS} s / ${web.freshness.tenSecondScheduleS.join(', ')} s`, '', ''],
            ['Server RSS during the sync job', `${web.memory.peakDuringSyncMiB} MiB`, `before it ${web.memory.beforeSyncMiB} MiB`, ''],
          ]
        : []),
    ];
    const targetRows = targets.map((t) => [t.label, fmtValue(t.value, t.unit), fmtTarget(t), t.met === null ? '-' : t.met ? 'met' : 'MISSED']);

    console.log('');
    console.log(table(['Measurement', 'SyncWatch', 'Baseline (same run)', 'Ratio'], figures));
    console.log('');
    console.log(table(['Target', 'Measured', 'Target', ''], targetRows));
    if (pairs < 1_000_000) console.log('The targets are set for 1,000,000 pairs; at this size fixed costs (round trips, transactions) weigh more.');
    console.log('');

    const loadEnd = os.loadavg();
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
        postgres: await serverFacts(url),
      },
      dataset: { buildMs: round(built.ms), desyncs: expected },
      healthCheck: health,
      sync,
      recordProgress: throughput,
      server: web,
      targets,
      markdown: {
        figures: markdownTable(['Measurement', 'SyncWatch', 'Baseline (same run)', 'Ratio'], figures),
        targets: markdownTable(['Target', 'Measured', 'Target', ''], targetRows),
      },
    };
    const outDir = path.join(process.cwd(), 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    const jsonFile = path.join(outDir, `${date}-${pairs}.json`);
    const rounded = (_key: string, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? round(v, 3) : v);
    writeFileSync(jsonFile, `${JSON.stringify(result, rounded, 2)}\n`);
    log(`Results written to ${path.relative(process.cwd(), jsonFile)}`);
    if (args.chart) {
      const pngFile = path.join(outDir, `${date}-${pairs}.png`);
      const note = await writeChartPng(
        pngFile,
        `SyncWatch at ${pairs.toLocaleString('en-US')} pairs: measured vs target`,
        `${date}, ${os.cpus().length} CPUs, load ${loadStart[0]!.toFixed(1)} -> ${loadEnd[0]!.toFixed(1)}, median of ${runs} runs, PostgreSQL ${result.machine.postgres.server_version ?? ''}`,
        targets,
      );
      log(`Chart written to ${path.relative(process.cwd(), pngFile)}${note ? ` (${note})` : ''}`);
    }
    rmSync(logDir, { recursive: true, force: true }); // kept only when the run fails
    const missed = targets.filter((t) => t.met === false);
    log(missed.length ? `Done in ${(totalS / 60).toFixed(1)} min; missed: ${missed.map((t) => t.label).join('; ')}` : `Done in ${(totalS / 60).toFixed(1)} min; every measured target met.`);
  } finally {
    await c?.end().catch(() => {});
    await closeDb().catch(() => {});
    await server?.stop();
  }
}

main().catch((err) => {
  if ((err as Error)?.name === 'ConfigError' || (err as Error)?.name === 'DatabaseStartError' || (err as Error)?.name === 'DatabaseConnectError') exitOnKnownError(err);
  console.error(`bench: ${(err as Error)?.stack ?? err}`);
  process.exit(1);
});
