import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type pg from 'pg';
import { hashPassword } from '../../lib/auth/password';
import { createDb } from '../../lib/db/prisma';
import { measureApiWrites } from './api-writes';
import { CALLERS } from './coupled-writes';
import { dashboardFigures, measureDashboardLoad, readDashboard, warmUp, type DashboardLoad } from './dashboard';
import { expectedDesyncs, reinjectDesyncs } from './dataset';
import { BrokenPairs, breakAndWait } from './freshness';
import { log } from './log';
import { cronAt, memoryFigures, waitForScheduledSync } from './memory';
import { buildIfStale, sampleRss, signIn, startServer } from './server';
import { fmtMs, round, sleep } from './stats';

/**
 * (4)-(6) on the production server (.next-bench): the dashboard under load and the desync
 * freshness on a server with the default schedules, then the freshness with a 10 s health
 * schedule and the RSS during a scheduled sync on a second server.
 */

const STAFF_EMAIL = 'bench-admin@syncwatch.bench';

/**
 * The dashboard charts the latest 240 checks: give it that history (4 hours at the default
 * schedule), as a server that has run for a while has, copies of the latest check back in time.
 * Then a staff user to sign in as, with a password of this run; returns the password.
 */
async function prepareServerData(c: pg.Client): Promise<string> {
  await c.query(
    `INSERT INTO health_checks (checked_at, duration_ms, total_pairs, consistent_pairs, consistency_rate, level_mismatch, missing_license,
                                missing_progress, orphan_progress, orphan_license, by_specialization, source)
     SELECT h.checked_at - make_interval(mins => g), duration_ms, total_pairs, consistent_pairs, consistency_rate, level_mismatch,
            missing_license, missing_progress, orphan_progress, orphan_license, by_specialization, source
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

export async function measureServer(c: pg.Client, url: string, pairs: number, logDir: string, runs: number) {
  log('Production build (.next-bench; rebuilt only when sources changed)...');
  const buildMs = await buildIfStale(path.join(logDir, 'build.log'));
  log(buildMs ? `  built in ${fmtMs(buildMs)}` : '  up to date');

  const password = await prepareServerData(c);
  // The write API's rate limit would cap the API throughput figure: lifted for the benchmark.
  const common = { DATABASE_URL: url, SCHEDULER_ENABLED: 'true', SCHEDULE_TIMEZONE: 'UTC', API_RATE_LIMIT_PER_MINUTE: '1000000' };
  const broken = new BrokenPairs();

  // Server 1: the default health schedule (every minute). The 6-hourly sync is moved out of the
  // way so that it cannot fire in the middle of a measurement.
  log('Server 1: default schedules (HEALTH_CHECK_CRON "* * * * *")...');
  const s1 = await startServer({
    env: { ...common, HEALTH_CHECK_CRON: '* * * * *', SYNC_CRON: '0 0 1 1 *', SCHEDULE_CATCH_UP_GRACE_MINUTES: '0' },
    logFile: path.join(logDir, 'server-1.log'),
  });
  let load: DashboardLoad | undefined;
  let freshnessDefault: number;
  let apiWrites: Awaited<ReturnType<typeof measureApiWrites>>;
  try {
    const cookie = await signIn(s1.baseUrl, STAFF_EMAIL, password);
    await readDashboard(s1, cookie);
    await warmUp(s1, cookie);
    log('  waiting for a scheduled health check, then breaking one pair; the load tests run meanwhile');
    freshnessDefault = await breakAndWait(c, s1, cookie, broken.next(), 240_000, async () => {
      load = await measureDashboardLoad(s1, cookie);
    });
    log(`  freshness with the default schedule: ${freshnessDefault.toFixed(1)} s`);
    log('  the write API beside direct recordProgress calls, 16 clients each...');
    const db = createDb(url, { poolSize: CALLERS + 4 });
    try {
      apiWrites = await measureApiWrites(db, s1.baseUrl, pairs, runs);
    } finally {
      await db.$disconnect();
    }
  } finally {
    await s1.stop();
    await broken.restore(c);
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
  try {
    const cookie = await signIn(s2.baseUrl, STAFF_EMAIL, password);
    log('  waiting for the scheduled sync job to run inside the server...');
    const job = await waitForScheduledSync(c);
    await sleep(300);
    const idle = rss.peakMiB(spawnedAt, job.startedAt.getTime() - 1);
    const during = rss.peakMiB(job.startedAt.getTime(), job.claimFinishedAt.getTime() + 200);
    log(
      `  job #${job.id} ${job.status}: found ${job.found}; ` +
        `server RSS peak ${during.tree.toFixed(0)} MiB during the job (${idle.tree.toFixed(0)} MiB before it)`,
    );
    for (let i = 0; i < 3; i++) {
      const s = await breakAndWait(c, s2, cookie, broken.next(), 60_000);
      freshness10s.push(s);
      log(`  freshness with a 10 s health schedule, sample ${i + 1}/3: ${s.toFixed(1)} s`);
    }
    rss.stop();
    return {
      buildMs: round(buildMs),
      dashboard: dashboardFigures(load!),
      freshness: {
        defaultScheduleS: round(freshnessDefault, 1),
        tenSecondScheduleS: freshness10s.map((x) => round(x, 1)),
        tenSecondWorstS: Math.max(...freshness10s),
      },
      memory: memoryFigures(job, idle, during),
      apiWrites,
    };
  } finally {
    rss.stop();
    await s2.stop();
    await broken.restore(c);
  }
}

export type ServerFigures = Awaited<ReturnType<typeof measureServer>>;
