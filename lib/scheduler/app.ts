import { getDb } from '../db/server';
import { env } from '../env';
import { setForeignWrites } from '../sync/detection-state';
import { onShutdown, shutdownSignal } from '../shutdown';
import { appLogger, createScheduler, type Scheduler } from './scheduler';
import { schedulerConfigFromEnv } from './schedules';

const SHUTDOWN_WORK_WAIT_MS = 15_000;

const globalForScheduler = globalThis as unknown as { syncwatchScheduler?: Scheduler };

/**
 * Starts the app server's scheduler from the environment, once (the instrumentation hook may be
 * evaluated more than once in development). Returns null when SCHEDULER_ENABLED=false.
 * Stops on SIGTERM/SIGINT through the process's shutdown signal (lib/shutdown.ts): no new claims,
 * its running sync job stops between batches. Next.js's own handler closes the server and exits.
 */
export async function startSchedulerFromEnv(): Promise<Scheduler | null> {
  const e = env();
  // The deployment's choice for foreign writes, read by the triggers of every instance.
  await setForeignWrites(getDb(), e.FOREIGN_WRITES).catch((err: unknown) => appLogger.error('could not set FOREIGN_WRITES', err));
  if (!e.SCHEDULER_ENABLED) {
    appLogger.info('SCHEDULER_ENABLED=false: this instance runs no schedules.');
    return null;
  }
  if (globalForScheduler.syncwatchScheduler) return globalForScheduler.syncwatchScheduler;
  const scheduler = createScheduler({
    db: getDb(),
    config: schedulerConfigFromEnv(e),
    signal: shutdownSignal(),
    // The running occurrence's job stops between batches: time for its last batch and its record.
    stopWaitMs: SHUTDOWN_WORK_WAIT_MS,
  });
  onShutdown('scheduler', () => scheduler.stop());
  globalForScheduler.syncwatchScheduler = scheduler;
  await scheduler.start();
  return scheduler;
}
