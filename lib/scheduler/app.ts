import { getDb } from '../db/server';
import { env } from '../env';
import { consoleLogger, createScheduler, type Scheduler } from './scheduler';
import { schedulerConfigFromEnv } from './schedules';

const globalForScheduler = globalThis as unknown as { syncwatchScheduler?: Scheduler };

/**
 * Starts the app server's scheduler from the environment, once (the instrumentation hook may be
 * evaluated more than once in development). Returns null when SCHEDULER_ENABLED=false.
 * Stops its timers on SIGTERM/SIGINT; Next.js's own handler then closes the server and exits.
 */
export async function startSchedulerFromEnv(): Promise<Scheduler | null> {
  const e = env();
  if (!e.SCHEDULER_ENABLED) {
    consoleLogger.info('SCHEDULER_ENABLED=false: this instance runs no schedules.');
    return null;
  }
  if (globalForScheduler.syncwatchScheduler) return globalForScheduler.syncwatchScheduler;
  const scheduler = createScheduler({ db: getDb(), config: schedulerConfigFromEnv(e) });
  globalForScheduler.syncwatchScheduler = scheduler;
  const onSignal = () => void scheduler.stop();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  await scheduler.start();
  return scheduler;
}
