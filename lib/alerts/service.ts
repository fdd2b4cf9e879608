import type { Db } from '../db/prisma';
import { env, type Env } from '../env';
import { log } from '../log';
import { schedulerConfigFromEnv } from '../scheduler/schedules';
import { evaluateIncidents, type Evaluation, type EvaluationOptions } from './incidents';
import { runDeliveries, type DeliveryOptions } from './delivery';

const alertLog = log.child({ component: 'alerts' });

/**
 * The alerts as the app, the scheduler and the CLI run them: options from the configuration, one
 * evaluation at a time per process, and the delivery worker's loop.
 */

export function appUrlOf(e: Env): string {
  return e.APP_URL ?? e.NEXTAUTH_URL ?? `http://localhost:${e.PORT}`;
}

export function evaluationOptionsFromEnv(e: Env = env()): EvaluationOptions {
  return {
    config: {
      targetPercent: e.CONSISTENCY_TARGET,
      writerBurstCount: e.ALERT_WRITER_BURST_COUNT,
      writerBurstMinutes: e.ALERT_WRITER_BURST_MINUTES,
      schedules: schedulerConfigFromEnv(e),
    },
    appUrl: appUrlOf(e),
    remindMs: e.ALERT_REMIND_HOURS * 3_600_000,
  };
}

export function deliveryOptionsFromEnv(e: Env = env()): DeliveryOptions {
  return {
    retryMs: e.ALERT_RETRY_MINUTES * 60_000,
    allowPrivateNetwork: e.ALERTS_ALLOW_PRIVATE_NETWORK,
    smtpUrl: e.SMTP_URL,
    smtpFrom: e.SMTP_FROM,
  };
}

const running = new WeakMap<Db, { promise: Promise<Evaluation | null>; again: boolean }>();

/**
 * Evaluates the incidents now, with the configuration's options. Calls that arrive while one runs
 * on the same database are folded into one more run after it (the state they would see is at
 * least as new). Never throws: a failure is logged, and the next health check or tick evaluates again.
 */
export function evaluateIncidentsNow(db: Db): Promise<Evaluation | null> {
  const current = running.get(db);
  if (current) {
    current.again = true;
    return current.promise;
  }
  const state = { again: false, promise: Promise.resolve<Evaluation | null>(null) };
  state.promise = (async () => {
    let result: Evaluation | null = null;
    do {
      state.again = false;
      try {
        result = await evaluateIncidents(db, evaluationOptionsFromEnv());
      } catch (err) {
        alertLog.error({ err }, 'could not evaluate the incidents');
      }
    } while (state.again);
    return result;
  })().finally(() => running.delete(db));
  running.set(db, state);
  return state.promise;
}

export interface AlertWorker {
  stop(): Promise<void>;
}

/**
 * The process's alert loop: sends due deliveries every `pollMs` (1 s), and evaluates the incidents
 * every `evaluateMs` (30 s: the "tick" that notices an overdue sync, a manual job's end, a
 * writer's burst). Every instance runs it; the outbox's claims make each notification go once.
 */
export function startAlertWorker(db: Db, opts: { signal?: AbortSignal; pollMs?: number; evaluateMs?: number } = {}): AlertWorker {
  const pollMs = opts.pollMs ?? 1_000;
  const evaluateMs = opts.evaluateMs ?? 30_000;
  let stopped = false;
  let lastEvaluation = 0;
  let timer: NodeJS.Timeout | null = null;
  let current: Promise<void> = Promise.resolve();
  const round = async () => {
    if (Date.now() - lastEvaluation >= evaluateMs) {
      lastEvaluation = Date.now();
      await evaluateIncidentsNow(db);
    }
    await runDeliveries(db, deliveryOptionsFromEnv()).catch((err: unknown) => alertLog.error({ err }, 'delivery round failed'));
  };
  const loop = () => {
    if (stopped) return;
    current = round().finally(() => {
      if (!stopped) timer = setTimeout(loop, pollMs).unref();
    });
  };
  const stop = async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await current;
  };
  opts.signal?.addEventListener('abort', () => void stop(), { once: true });
  timer = setTimeout(loop, 0).unref();
  return { stop };
}
