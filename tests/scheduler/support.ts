import { createDb, type Db } from '../../lib/db/prisma';
import { testDatabaseUrl } from '../support/db';
import { createScheduler, type Scheduler, type SchedulerOptions } from '../../lib/scheduler/scheduler';
import type { SchedulerConfig } from '../../lib/scheduler/schedules';

/** Scheduler tests drive tick(now) with their own clock; nothing waits for real cron times. */

export const quietLog = { info: () => {}, error: () => {} };

export function testConfig(overrides: Partial<SchedulerConfig> = {}): SchedulerConfig {
  return {
    crons: { HEALTH_CHECK: '* * * * *', SYNC: '0 */6 * * *', RETENTION: '17 * * * *', AUDIT: '0 0 1 1 *' },
    timezone: 'UTC',
    catchUpGraceMs: 30 * 60_000,
    heartbeatTimeoutMs: 60_000,
    retentionDays: 90,
    syncOverdueGraceMs: 60 * 60_000,
    ...overrides,
  };
}

/** A scheduler with its own Prisma client (its own pool of connections), as another instance would have. */
export function independentScheduler(opts: Omit<SchedulerOptions, 'db'> & { poolSize?: number }): { scheduler: Scheduler; db: Db } {
  const db = createDb(testDatabaseUrl, { poolSize: opts.poolSize ?? 3 });
  const scheduler = createScheduler({ log: quietLog, ...opts, db });
  return { scheduler, db };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);

/** Asserts that no two jobs' [started, finished] intervals overlap. */
export function overlapping(jobs: { id: number; started_at: Date; finished_at: Date | null }[]): string[] {
  const sorted = [...jobs].sort((a, b) => a.started_at.getTime() - b.started_at.getTime());
  const problems: string[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (!prev.finished_at || prev.finished_at.getTime() > cur.started_at.getTime()) {
      problems.push(
        `job ${prev.id} (${prev.started_at.toISOString()}..${prev.finished_at?.toISOString()}) ` +
          `overlaps job ${cur.id} (from ${cur.started_at.toISOString()})`,
      );
    }
  }
  return problems;
}
