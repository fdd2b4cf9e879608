import { getDb } from '../db/server';
import { onShutdown, shutdownSignal } from '../shutdown';
import { onJobEnded } from '../sync';
import { evaluateIncidentsNow, startAlertWorker, type AlertWorker } from './service';

const globalForAlerts = globalThis as unknown as { syncwatchAlerts?: AlertWorker };

/**
 * Starts the app server's alerts, once: the delivery worker and the incidents' tick, and an
 * evaluation at the end of every job this process runs. Every instance runs them (the outbox's
 * claims make each notification go once), whether or not it runs the schedules.
 */
export function startAlertsFromEnv(): AlertWorker {
  if (globalForAlerts.syncwatchAlerts) return globalForAlerts.syncwatchAlerts;
  const db = getDb();
  onJobEnded(() => void evaluateIncidentsNow(db));
  const worker = startAlertWorker(db, { signal: shutdownSignal() });
  onShutdown('alert worker', () => worker.stop());
  globalForAlerts.syncwatchAlerts = worker;
  return worker;
}
