/**
 * Runs once when a Next.js server instance starts: starts the schedules (health checks, sync
 * jobs, retention) in the Node.js runtime, unless SCHEDULER_ENABLED=false, and the alerts. Every instance runs
 * them; the database makes each occurrence run once (lib/scheduler/).
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  // Next.js's build runs no server; skip anything but a serving process.
  if (process.env.NEXT_PHASE === 'phase-production-build') return;
  const { startSchedulerFromEnv } = await import('./lib/scheduler/app');
  await startSchedulerFromEnv();
  // Incidents and their notifications (lib/alerts): on every instance, schedules or not.
  const { startAlertsFromEnv } = await import('./lib/alerts/app');
  startAlertsFromEnv();
}
