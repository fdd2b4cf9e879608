import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type pg from 'pg';
import { hashPassword } from '../../lib/auth/password';
import { createDb } from '../../lib/db/prisma';
import { measureApiWrites } from './api-writes';
import { CALLERS } from './coupled-writes';
import { dashboardFigures, measureDashboardLoad, measureOpenLoop, readDashboard, serverDatabaseUrl, warmUp } from './dashboard';
import { reinjectDesyncs, totalDesyncs } from './dataset';
import type { FreshnessFigures, SseTarget } from './freshness';
import { log } from './log';
import { measureMassDesync, type MassDesyncFigures } from './mass-desync';
import { cronAt, memoryFigures, waitForScheduledSync } from './memory';
import { buildIfStale, sampleRss, signIn, startServer } from './server';
import { fmtMs, round, sleep } from './stats';

/**
 * What needs the production server (.next-bench): on a first server with the default health
 * schedule (the sync and the audit moved out of the way), the dashboard under load, the write
 * API, and the event stream's and the dashboard page's parts of the freshness figure (1b, 1c, run
 * by the caller); on a second one, the RSS during a scheduled sync job, then (`massDesync`, the 1M
 * run) during the mass desync (mass-desync.ts). `freshnessOnly` (the 10M run) starts only the
 * first server and measures only the freshness there.
 */

const STAFF_EMAIL = 'bench-admin@syncwatch.bench';

/**
 * The dashboard charts the latest 240 checks: give it that history (4 hours of minutely
 * snapshots), as a server that has run for a while has, copies of the latest check back in time.
 * Then a staff user to sign in as, with a password of this run; returns the password.
 */
async function prepareServerData(c: pg.Client): Promise<string> {
  await c.query(
    `INSERT INTO health_checks (checked_at, duration_ms, total_pairs, consistent_pairs, consistency_rate, level_mismatch, missing_license,
                                missing_progress, orphan_progress, orphan_license, invalid_progress, license_in_future, by_specialization,
                                source, kind)
     SELECT h.checked_at - make_interval(mins => g), duration_ms, total_pairs, consistent_pairs, consistency_rate, level_mismatch,
            missing_license, missing_progress, orphan_progress, orphan_license, invalid_progress, license_in_future, by_specialization,
            source, 'SNAPSHOT'
     FROM (SELECT * FROM health_checks ORDER BY checked_at DESC, id DESC LIMIT 1) h, generate_series(1, 240) AS g`,
  );
  const password = randomBytes(12).toString('hex');
  await c.query(
    `INSERT INTO users (email, name, role, password_hash) VALUES ($1, 'Benchmark admin', 'ADMIN', $2)
     ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = 'ADMIN'`,
    [STAFF_EMAIL, await hashPassword(password)],
  );
  return password;
}

export async function measureServer(opts: {
  c: pg.Client;
  url: string;
  pairs: number;
  logDir: string;
  runs: number;
  freshnessOnly: boolean;
  freshness: (sse: SseTarget) => Promise<FreshnessFigures>;
  /** Also the mass desync (10% and 50% of the pairs) on server 2, after its sync job (the 1M run). */
  massDesync?: boolean;
}) {
  const { c, url, pairs, logDir, runs, freshnessOnly } = opts;
  log('Production build (.next-bench; rebuilt only when sources changed)...');
  const buildMs = await buildIfStale(path.join(logDir, 'build.log'));
  log(buildMs ? `  built in ${fmtMs(buildMs)}` : '  up to date');

  const password = await prepareServerData(c);
  // The write API's rate limit would cap the API throughput figure: lifted for the benchmark.
  // The hourly audit and the 6-hourly sync are moved out of the way so that neither can fire
  // in the middle of a measurement.
  const common = {
    // Named, so that the PostgreSQL backends of its pool can be found (the dashboard's CPU per request).
    DATABASE_URL: serverDatabaseUrl(url),
    SCHEDULER_ENABLED: 'true',
    SCHEDULE_TIMEZONE: 'UTC',
    API_RATE_LIMIT_PER_MINUTE: '1000000',
    AUDIT_CRON: '0 0 1 1 *',
  };

  log('Server 1: default health schedule (HEALTH_CHECK_CRON "* * * * *": snapshots of the counters)...');
  const s1 = await startServer({
    env: { ...common, HEALTH_CHECK_CRON: '* * * * *', SYNC_CRON: '0 0 1 1 *', SCHEDULE_CATCH_UP_GRACE_MINUTES: '0' },
    logFile: path.join(logDir, 'server-1.log'),
  });
  let dashboard: ReturnType<typeof dashboardFigures> | null = null;
  let apiWrites: Awaited<ReturnType<typeof measureApiWrites>> | null = null;
  let freshness: FreshnessFigures;
  try {
    const cookie = await signIn(s1.baseUrl, STAFF_EMAIL, password);
    if (!freshnessOnly) {
      await readDashboard(s1, cookie);
      await warmUp(s1, cookie);
      const openLoop = await measureOpenLoop(s1, c, cookie);
      dashboard = dashboardFigures(await measureDashboardLoad(s1, cookie), openLoop);
      log('  the write API beside direct recordProgress calls, 16 clients each...');
      const db = createDb(url, { poolSize: CALLERS + 4 });
      try {
        apiWrites = await measureApiWrites(db, s1.baseUrl, pairs, runs);
      } finally {
        await db.$disconnect();
      }
    }
    log('  freshness with the event stream: a client of GET /api/events on this server');
    freshness = await opts.freshness({ baseUrl: s1.baseUrl, cookie });
  } finally {
    await s1.stop();
  }
  if (freshnessOnly) return { buildMs: round(buildMs), dashboard, apiWrites, freshness, memory: null, mass: null };

  // Server 2: a scheduled sync that fires ~25 s after the start, so that the server's RSS can be
  // sampled while the job runs inside it.
  const expected = totalDesyncs(pairs);
  const fireAt = new Date(Date.now() + 25_000);
  log(`Server 2: a scheduled sync at ${fireAt.toISOString()} (${expected} desyncs)...`);
  const spawnedAt = Date.now();
  const s2 = await startServer({
    env: { ...common, SYNC_CRON: cronAt(fireAt), SCHEDULE_CATCH_UP_GRACE_MINUTES: '5' },
    logFile: path.join(logDir, 'server-2.log'),
  });
  const rss = sampleRss(s2.pid, 100);
  try {
    log('  waiting for the scheduled sync job to run inside the server...');
    const job = await waitForScheduledSync(c);
    await sleep(300);
    const idle = rss.peakMiB(spawnedAt, job.startedAt.getTime() - 1);
    const during = rss.peakMiB(job.startedAt.getTime(), job.claimFinishedAt.getTime() + 200);
    log(
      `  job #${job.id} ${job.status}: found ${job.found}; ` +
        `server RSS peak ${during.tree.toFixed(0)} MiB during the job (${idle.tree.toFixed(0)} MiB before it)`,
    );
    let mass: MassDesyncFigures | null = null;
    if (opts.massDesync) {
      log('(7) Mass desync on this server: 10% and 50% of the pairs, the dry run, a full audit and a job plan');
      mass = await measureMassDesync({
        c,
        url,
        pairs,
        server: { baseUrl: s2.baseUrl, cookie: await signIn(s2.baseUrl, STAFF_EMAIL, password) },
        rss,
      });
    }
    rss.stop();
    return { buildMs: round(buildMs), dashboard, apiWrites, freshness, memory: memoryFigures(job, idle, during), mass };
  } finally {
    rss.stop();
    await s2.stop();
    await reinjectDesyncs(c, pairs);
  }
}

export type ServerFigures = Awaited<ReturnType<typeof measureServer>>;
