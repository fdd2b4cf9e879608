import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type pg from 'pg';
import type { Db } from '../../lib/db/prisma';
import { createScheduler } from '../../lib/scheduler/scheduler';
import type { SchedulerConfig } from '../../lib/scheduler/schedules';
import { buildDataset, expectedDesyncs, reinjectDesyncs } from './dataset';
import { fmtMs, median } from './stats';
import type { StressIO } from './stress-io';

/**
 * `npm run stress -- soak`: 144 scheduled sync runs (the scheduler's own claim-and-run path,
 * driven through a fast cron on an accelerated clock: one simulated day at "every 10 minutes")
 * against 100,000 pairs, desyncs injected between runs: every run recorded, none overlapping,
 * RSS growth < 10% from run 10 to 144, pg_stat_activity stable.
 */

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return gc;
}

async function activeConnections(c: pg.Client): Promise<number> {
  const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database()`);
  return rows[0]!.n;
}

export async function runSoak({ log, check }: StressIO, db: Db, c: pg.Client): Promise<void> {
  const pairs = 100_000;
  const runs = 144;
  const perRun = Object.values(expectedDesyncs(pairs)).reduce((a, b) => a + b, 0);
  log(`Building ${pairs.toLocaleString('en-US')} pairs (${perRun} desyncs)...`);
  await buildDataset(c, pairs);
  const gc = forceGc();

  const config: SchedulerConfig = {
    crons: { HEALTH_CHECK: '* * * * *', SYNC: '*/10 * * * *', RETENTION: '17 * * * *', AUDIT: '0 0 1 1 *' },
    timezone: 'UTC',
    catchUpGraceMs: 0,
    heartbeatTimeoutMs: 120_000,
    retentionDays: 90,
    syncOverdueGraceMs: 60 * 60_000,
  };
  const quiet = { info: () => {}, error: (m: string, err?: unknown) => console.error(`[scheduler] ${m}`, err) };
  const scheduler = createScheduler({ db, config, schedules: ['SYNC'], log: quiet });
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
    const job = sync?.syncJobId ? await db.syncJob.findUnique({ where: { id: sync.syncJobId } }) : null;
    outcomes.push({
      status: sync ? `${sync.status}/${job?.status ?? '-'}` : 'NOT RUN',
      found: job?.found ?? null,
      synced: job?.synced ?? null,
    });
    gc();
    const m = process.memoryUsage();
    rss.push(m.rss / 2 ** 20);
    heap.push(m.heapUsed / 2 ** 20);
    conns.push(await activeConnections(c));
    if (i === 1 || i % 12 === 0) {
      log(
        `  run ${String(i).padStart(3)}/${runs}: ${outcomes.at(-1)!.status}, found ${job?.found}, ${fmtMs(durations.at(-1)!)}; ` +
          `RSS ${rss.at(-1)!.toFixed(0)} MiB, heap ${heap.at(-1)!.toFixed(0)} MiB, connections ${conns.at(-1)}`,
      );
    }
    occurrence = scheduler.nextOccurrence('SYNC', occurrence)!;
  }
  await scheduler.stop();

  const { rows: claims } = await c.query<{
    status: string;
    occurrence_at: Date;
    claimed_at: Date;
    finished_at: Date | null;
    sync_job_id: number | null;
  }>(
    `SELECT status, occurrence_at, claimed_at, finished_at, sync_job_id FROM schedule_runs
     WHERE schedule = 'SYNC' ORDER BY occurrence_at`,
  );
  const { rows: jobs } = await c.query<{
    id: number;
    status: string;
    found: number;
    synced: number;
    started_at: Date;
    finished_at: Date | null;
    trigger: string;
  }>(`SELECT id, status, found, synced, started_at, finished_at, trigger FROM sync_jobs ORDER BY started_at, id`);
  const overlaps = (xs: { from: Date; to: Date | null }[]) =>
    xs.slice(1).filter((x, i) => xs[i]!.to === null || xs[i]!.to!.getTime() > x.from.getTime()).length;
  const rssGrowth = (rss[runs - 1]! - rss[9]!) / rss[9]!;
  const early = Math.max(...conns.slice(9, 50));
  const late = Math.max(...conns.slice(100));

  console.log('');
  const total = durations.reduce((a, b) => a + b, 0);
  console.log(
    `  runs: ${runs}, median ${fmtMs(median(durations))} per scheduled run (claim + sync job + closing health check), ` +
      `total ${fmtMs(total)}`,
  );
  console.log(
    `  RSS: run 10 ${rss[9]!.toFixed(1)} MiB, run 144 ${rss[runs - 1]!.toFixed(1)} MiB (${(rssGrowth * 100).toFixed(1)}%), ` +
      `min ${Math.min(...rss).toFixed(1)}, max ${Math.max(...rss).toFixed(1)}; ` +
      `heap run 10 ${heap[9]!.toFixed(1)} MiB, run 144 ${heap[runs - 1]!.toFixed(1)} MiB`,
  );
  console.log(
    `  pg_stat_activity on the database: runs 10-50 max ${early}, runs 101-144 max ${late}, ` +
      `overall ${Math.min(...conns)}..${Math.max(...conns)}`,
  );
  console.log('');
  check(
    outcomes.every((o) => o.status === 'SUCCEEDED/SUCCEEDED' && o.found === perRun && o.synced === perRun),
    `all ${runs} scheduled runs ran a job that repaired the ${perRun} injected desyncs`,
  );
  check(
    claims.length === runs && claims.every((r) => r.status === 'SUCCEEDED' && r.sync_job_id !== null && r.finished_at !== null),
    `every run recorded: ${claims.length} schedule_runs rows, all SUCCEEDED with their job`,
  );
  check(
    jobs.length === runs && jobs.every((j) => j.trigger === 'SCHEDULED' && j.status === 'SUCCEEDED'),
    `${jobs.length} sync_jobs rows, all SCHEDULED and SUCCEEDED`,
  );
  check(overlaps(jobs.map((j) => ({ from: j.started_at, to: j.finished_at }))) === 0, 'no two sync jobs overlapped');
  check(overlaps(claims.map((r) => ({ from: r.claimed_at, to: r.finished_at }))) === 0, 'no two scheduled runs overlapped');
  check(rssGrowth < 0.1, `RSS growth from run 10 to run 144 under 10% (${(rssGrowth * 100).toFixed(1)}%)`);
  check(late <= early + 1, `no leaked connections: pg_stat_activity ${early} (runs 10-50) -> ${late} (runs 101-144)`);
}
