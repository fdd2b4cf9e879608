import 'server-only';
import { env } from '../env';
import { onShutdown } from '../shutdown';
import { createDb, type Db } from './prisma';

/**
 * The Next.js app's database client, built from the validated configuration on first use and
 * cached on globalThis so that dev-mode reloads do not open a new pool each time. Only the app
 * (pages, actions, route handlers, instrumentation) imports this module; everything else is
 * handed a client.
 */

const globalForDb = globalThis as unknown as { syncwatchDb?: Db };

export class DatabaseNotConfiguredError extends Error {
  override name = 'DatabaseNotConfiguredError';
}

export function getDb(): Db {
  if (globalForDb.syncwatchDb) return globalForDb.syncwatchDb;
  const { DATABASE_URL, DATABASE_POOL_SIZE } = env();
  if (!DATABASE_URL) {
    throw new DatabaseNotConfiguredError(
      'DATABASE_URL is not set. Start SyncWatch with `npm start` (it runs an embedded PostgreSQL) or set DATABASE_URL.',
    );
  }
  const db = createDb(DATABASE_URL, { poolSize: DATABASE_POOL_SIZE });
  globalForDb.syncwatchDb = db;
  onShutdown('database pool', () => db.$disconnect(), 'connections');
  return db;
}
