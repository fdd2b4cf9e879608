import type { Instrumentation } from 'next';

/**
 * Runs once when a Next.js server instance starts: installs the graceful exit (lib/shutdown.ts),
 * starts the schedules (health checks, sync jobs, retention) in the Node.js runtime, unless
 * SCHEDULER_ENABLED=false, and the alerts. Every instance runs them; the database makes each
 * occurrence run once (lib/scheduler/).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  // Next.js's build runs no server; skip anything but a serving process.
  if (process.env.NEXT_PHASE === 'phase-production-build') return;
  const { env } = await import('./lib/env');
  const { installGracefulExit } = await import('./lib/shutdown');
  installGracefulExit({ timeoutMs: env().SHUTDOWN_TIMEOUT_SECONDS * 1000 });
  const { startSchedulerFromEnv } = await import('./lib/scheduler/app');
  await startSchedulerFromEnv();
  // Incidents and their notifications (lib/alerts): on every instance, schedules or not.
  const { startAlertsFromEnv } = await import('./lib/alerts/app');
  startAlertsFromEnv();
}

/** A page, route or action that threw: one line in the app's log, with the request's id. */
export const onRequestError: Instrumentation.onRequestError = async (err, request, context) => {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { log } = await import('./lib/log');
  const reqId = request.headers['x-request-id'];
  log.error(
    { err, reqId: typeof reqId === 'string' ? reqId : undefined, method: request.method, path: request.path, route: context.routePath },
    `${context.routeType} failed`,
  );
};
