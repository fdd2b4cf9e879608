import 'server-only';
import { DatabaseNotConfiguredError } from '../db/server';
import { env } from '../env';
import { onShutdown, shutdownSignal } from '../shutdown';
import { createEventHub, type EventHub } from './event-hub';

/**
 * The app process's event hub: one LISTEN connection on the app's DATABASE_URL, opened on the
 * first subscriber (the first open page) and cached on globalThis like the database client, so
 * that dev-mode reloads do not open another. It closes on SIGTERM/SIGINT (lib/shutdown.ts), which
 * also ends every open event stream so the server's shutdown is not held by them.
 */

const globalForHub = globalThis as unknown as { syncwatchEventHub?: EventHub };

export function getEventHub(): EventHub {
  if (globalForHub.syncwatchEventHub) return globalForHub.syncwatchEventHub;
  const { DATABASE_URL } = env();
  if (!DATABASE_URL) {
    throw new DatabaseNotConfiguredError(
      'DATABASE_URL is not set. Start SyncWatch with `npm start` (it runs an embedded PostgreSQL) or set DATABASE_URL.',
    );
  }
  const hub = createEventHub({ connectionString: DATABASE_URL });
  globalForHub.syncwatchEventHub = hub;
  const signal = shutdownSignal();
  let closed: Promise<void> | undefined;
  const close = () => {
    if (globalForHub.syncwatchEventHub === hub) globalForHub.syncwatchEventHub = undefined;
    return (closed ??= hub.close());
  };
  onShutdown('event hub', close, 'connections');
  if (signal.aborted) close();
  else signal.addEventListener('abort', () => void close(), { once: true });
  return hub;
}
