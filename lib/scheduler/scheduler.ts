import type { Cron } from 'croner';
import { abandonStaleJobs } from '../sync';
import { abandonStaleClaims, claimOccurrence, finishClaim, heartbeatClaim, recordFirstStart } from './claims';
import { claimWindowMs, latestOccurrence, nextOccurrence, parseCron, SCHEDULE_NAMES, type ScheduleName } from './schedules';
import { appLogger, newInstanceId, type RunOutcome, type Scheduler, type SchedulerOptions } from './scheduler-types';
import { DEFAULT_TASKS, type ScheduleTask, type TaskResult } from './tasks';

export * from './scheduler-types';

/**
 * The scheduler of one app instance. Every instance runs one; the database decides which of them
 * runs each occurrence (lib/scheduler/claims.ts), so adding instances never adds runs.
 *
 * `tick(now)` is the whole algorithm and takes its clock as an argument, so tests and the CLI
 * drive it through occurrences without waiting: for each schedule, take the latest occurrence
 * at or before `now`; if it is no later than the claim window (SCHEDULE_CATCH_UP_GRACE_MINUTES,
 * at least one minute), try to claim it; the instance that wins runs it. Only the latest
 * occurrence is ever considered, so after downtime a schedule runs once, not once per missed
 * occurrence. Occurrences before the first scheduler start on the database are never caught up
 * (on a fresh install nothing was missed). `start()` adds the timers for production: one loop
 * per schedule that sleeps until the next occurrence and ticks that schedule, and a sweep that
 * abandons stale jobs and claims.
 */

/** Longest sleep between wake-ups: bounds the effect of clock jumps and sleeping laptops. */
const MAX_SLEEP_MS = 60_000;
/** Wake slightly after an occurrence so the clock is past it. */
const WAKE_AFTER_MS = 25;
/** How long a busy instance leaves the next occurrence to the others before recording it SKIPPED. */
const BUSY_YIELD_MS = 1000;

export function createScheduler(opts: SchedulerOptions): Scheduler {
  const { db, config } = opts;
  const names = opts.schedules ?? SCHEDULE_NAMES;
  const tasks: Record<ScheduleName, ScheduleTask> = { ...DEFAULT_TASKS, ...opts.tasks };
  const instanceId = opts.instanceId ?? newInstanceId();
  const clock = opts.clock ?? (() => new Date());
  const log = opts.log ?? appLogger;
  const crons = Object.fromEntries(names.map((n) => [n, parseCron(config.crons[n], config.timezone)])) as Record<ScheduleName, Cron>;
  const window = claimWindowMs(config);
  const heartbeatEveryMs = Math.max(250, Math.floor(config.heartbeatTimeoutMs / 4));
  const busyYieldMs = opts.busyYieldMs ?? BUSY_YIELD_MS;

  /** Schedules this instance is claiming or running right now, with the occurrence. */
  const busy = new Map<ScheduleName, Date>();
  /** Runs in flight in this instance, with the claim each holds. */
  const inFlight = new Map<ScheduleName, { claimId: number; done: Promise<unknown> }>();
  /** The last occurrence of each schedule this instance tried to claim. */
  const attempted = new Map<ScheduleName, number>();
  /** Schedules whose first evaluation after start() has happened (for the one catch-up log line). */
  const reportedLate = new Set<ScheduleName>();
  let started = false;
  /** scheduler_state.first_started_at, known once start() ran. */
  let firstStartedAt: Date | null = null;
  let stopping = false;
  /** Aborted by stop(): a running sync job ends between batches instead of waiting to be abandoned. */
  const shutdown = new AbortController();
  /** What tasks get: stop() or the process shutting down, whichever comes first. */
  const taskSignal = opts.signal ? AbortSignal.any([shutdown.signal, opts.signal]) : shutdown.signal;
  const timers = new Set<NodeJS.Timeout>();
  const wakers = new Set<() => void>();

  function cronOf(schedule: ScheduleName): Cron {
    const c = crons[schedule];
    if (!c) throw new Error(`Schedule ${schedule} is not run by this scheduler.`);
    return c;
  }

  function dueOccurrence(schedule: ScheduleName, now: Date): Date | null {
    const occ = latestOccurrence(cronOf(schedule), now);
    if (!occ) return null;
    // Nothing was "missed" before any scheduler ever ran on this database (a fresh install).
    if (firstStartedAt && occ.getTime() < firstStartedAt.getTime()) return null;
    const late = now.getTime() - occ.getTime();
    if (late > window) {
      // Said once, when the instance starts: later it is just the time between occurrences.
      if (started && !reportedLate.has(schedule)) {
        reportedLate.add(schedule);
        if (attempted.get(schedule) === undefined) {
          const next = nextOccurrence(cronOf(schedule), now)?.toISOString() ?? 'never';
          log.info(
            `${schedule}: the latest occurrence (${occ.toISOString()}) is older than the catch-up grace; not run now, next at ${next}.`,
          );
        }
      }
      return null;
    }
    reportedLate.add(schedule);
    return occ;
  }

  async function runDue(schedule: ScheduleName, now: Date = clock()): Promise<RunOutcome | null> {
    if (stopping) return null;
    const occurrenceAt = dueOccurrence(schedule, now);
    if (!occurrenceAt) return null;
    // Already tried (won or lost) by this instance: no need to ask the database again. Marked
    // before the first await, so concurrent calls for one occurrence ask once.
    if (attempted.get(schedule) === occurrenceAt.getTime()) return null;
    attempted.set(schedule, occurrenceAt.getTime());
    return busy.has(schedule) ? skipWhileBusy(schedule, occurrenceAt, now) : claimAndRun(schedule, occurrenceAt, now);
  }

  /** Claims an occurrence for this instance; a failed attempt may be retried by the next call. */
  async function claim(schedule: ScheduleName, occurrenceAt: Date) {
    try {
      return await claimOccurrence(db, schedule, occurrenceAt, instanceId);
    } catch (err) {
      if (attempted.get(schedule) === occurrenceAt.getTime()) attempted.delete(schedule);
      throw err;
    }
  }

  async function claimAndRun(schedule: ScheduleName, occurrenceAt: Date, now: Date): Promise<RunOutcome | null> {
    busy.set(schedule, occurrenceAt);
    try {
      const claimed = await claim(schedule, occurrenceAt);
      if (!claimed) return null;
      const run = execute(schedule, claimed.id, occurrenceAt, now);
      inFlight.set(schedule, { claimId: claimed.id, done: run });
      return await run;
    } finally {
      inFlight.delete(schedule);
      busy.delete(schedule);
    }
  }

  /**
   * One run per schedule at a time in this instance: an occurrence that comes while the previous
   * one still runs here is not queued. A free instance gets it first (this one waits a moment);
   * if it is still unclaimed then, this instance claims it and records it SKIPPED with the
   * reason, so history and metrics show it. The claim decides, so it is recorded once.
   */
  async function skipWhileBusy(schedule: ScheduleName, occurrenceAt: Date, now: Date): Promise<RunOutcome | null> {
    await sleep(busyYieldMs);
    if (stopping) return null;
    const still = busy.get(schedule);
    // The previous run finished meanwhile: this one runs after all (unless someone has it).
    if (!still) return claimAndRun(schedule, occurrenceAt, now);
    const claimed = await claim(schedule, occurrenceAt);
    if (!claimed) return null;
    const detail = `The previous ${schedule} run (occurrence ${still.toISOString()}) was still running in this instance.`;
    await finishClaim(db, claimed.id, { status: 'SKIPPED', detail }).catch((err) =>
      // The claim stays RUNNING, with no heartbeat: the sweep marks it ABANDONED later.
      log.error(`${schedule}: could not record claim ${claimed.id} as SKIPPED`, err),
    );
    log.info(`${schedule} ${occurrenceAt.toISOString()}: SKIPPED (${detail})`);
    return { schedule, occurrenceAt, claimId: claimed.id, status: 'SKIPPED', detail, syncJobId: null, healthCheckId: null };
  }

  async function execute(schedule: ScheduleName, claimId: number, occurrenceAt: Date, now: Date): Promise<RunOutcome> {
    const beat = setInterval(() => {
      heartbeatClaim(db, claimId).catch((err) => log.error(`${schedule}: claim heartbeat failed`, err));
    }, heartbeatEveryMs);
    beat.unref();
    let result: TaskResult;
    try {
      result = await tasks[schedule]({ schedule, occurrenceAt, now, config, db, instanceId, signal: taskSignal });
    } catch (err) {
      result = { status: 'FAILED', detail: readable(err) };
      log.error(`${schedule} ${occurrenceAt.toISOString()} failed`, err);
    } finally {
      clearInterval(beat);
    }
    try {
      // Only a RUNNING claim is finished: one the sweep marked ABANDONED meanwhile keeps that verdict.
      const recorded = await finishClaim(db, claimId, result);
      if (!recorded)
        log.error(`${schedule} ${occurrenceAt.toISOString()}: claim ${claimId} was no longer RUNNING, ${result.status} not recorded`);
    } catch (err) {
      // The claim stays RUNNING and is swept as ABANDONED later; the work itself is done.
      log.error(`${schedule}: could not record the outcome of claim ${claimId}`, err);
    }
    if (result.status !== 'SUCCEEDED' || schedule === 'SYNC') {
      log.info(`${schedule} ${occurrenceAt.toISOString()}: ${result.status}${result.detail ? ` (${result.detail})` : ''}`);
    }
    return {
      schedule,
      occurrenceAt,
      claimId,
      status: result.status,
      detail: result.detail ?? null,
      syncJobId: result.syncJobId ?? null,
      healthCheckId: result.healthCheckId ?? null,
    };
  }

  async function sweep(): Promise<{ jobs: number; claims: number }> {
    const [jobs, claims] = await Promise.all([
      abandonStaleJobs(db, config.heartbeatTimeoutMs),
      abandonStaleClaims(db, config.heartbeatTimeoutMs),
    ]);
    for (const j of jobs) log.info(`Sync job #${j.id} (started by ${j.actor}) had no heartbeat: marked ABANDONED.`);
    for (const c of claims)
      log.info(`${c.schedule} run of ${c.occurrenceAt.toISOString()} by ${c.instanceId} had no heartbeat: marked ABANDONED.`);
    return { jobs: jobs.length, claims: claims.length };
  }

  async function tick(now: Date = clock()): Promise<RunOutcome[]> {
    await sweep();
    const outcomes = await Promise.all(names.map((n) => runDue(n, now)));
    return outcomes.filter((o): o is RunOutcome => o !== null);
  }

  /** Resolves after `ms` or when stop() is called. */
  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        timers.delete(t);
        wakers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, Math.max(0, ms));
      t.unref();
      timers.add(t);
      wakers.add(wake);
    });
  }

  async function scheduleLoop(schedule: ScheduleName) {
    while (!stopping) {
      // Not awaited: the loop wakes for the next occurrence even while this one runs (runDue then
      // records that one SKIPPED), and one schedule's loop never delays another's.
      void runDue(schedule, clock()).catch((err) => log.error(`${schedule}: could not claim or run`, err));
      if (stopping) break;
      const now = clock();
      const next = nextOccurrence(cronOf(schedule), now);
      const wait = next ? next.getTime() - now.getTime() + WAKE_AFTER_MS : MAX_SLEEP_MS;
      await sleep(Math.min(wait, MAX_SLEEP_MS));
    }
  }

  async function sweepLoop() {
    const every = Math.min(30_000, Math.max(1000, Math.floor(config.heartbeatTimeoutMs / 2)));
    while (!stopping) {
      await sleep(every);
      if (stopping) break;
      await sweep().catch((err) => log.error('sweep failed', err));
    }
  }

  async function start() {
    if (started) return;
    started = true;
    firstStartedAt = await recordFirstStart(db).catch((err) => {
      log.error('could not record the first start', err);
      return null;
    });
    // Before the first claims: a job left RUNNING by a crash would block the first sync.
    await sweep().catch((err) => log.error('sweep failed', err));
    for (const n of names) void scheduleLoop(n);
    void sweepLoop();
    log.info(`Started as ${instanceId}: ${names.map((n) => `${n} "${config.crons[n]}"`).join(', ')} (${config.timezone}).`);
  }

  let stopped: Promise<void> | undefined;
  /** Idempotent: a second call (the server's shutdown after the signal's) waits for the first. */
  const stop = (stopOpts: { waitMs?: number } = {}) => (stopped ??= stopNow(stopOpts));

  async function stopNow(stopOpts: { waitMs?: number }) {
    stopping = true;
    shutdown.abort('the instance is shutting down');
    for (const wake of [...wakers]) wake();
    for (const t of timers) clearTimeout(t);
    const running = [...inFlight.values()];
    if (!running.length) return;
    const waitMs = stopOpts.waitMs ?? 0;
    if (waitMs > 0) {
      await Promise.race([Promise.allSettled(running.map((r) => r.done)), new Promise((r) => setTimeout(r, waitMs).unref())]);
    }
    // Whatever is still running will not finish in this process: say so now rather than after
    // the heartbeat timeout. (A sync job's own row is abandoned by the engine's heartbeat sweep.)
    await Promise.allSettled(
      [...inFlight.values()].map(
        (r) =>
          db.$executeRaw`UPDATE schedule_runs SET status = 'ABANDONED', finished_at = now(),
          detail = 'The instance shut down while running it.' WHERE id = ${r.claimId} AND status = 'RUNNING'`,
      ),
    );
  }

  opts.signal?.addEventListener('abort', () => void stop({ waitMs: opts.stopWaitMs }), { once: true });

  return {
    instanceId,
    tick,
    runDue,
    sweep,
    dueOccurrence,
    nextOccurrence: (schedule, after) => nextOccurrence(cronOf(schedule), after),
    start,
    stop,
  };
}

function readable(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n').filter(Boolean).at(-1) ?? 'unexpected error').slice(0, 500);
}
