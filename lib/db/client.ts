import 'server-only';
import { createPrismaClient, type Db } from './prisma';

/**
 * The one database client of the server. Built on first use from DATABASE_URL (set by
 * `npm start`, which resolves the embedded server when the user configured none) and cached on
 * globalThis so that dev-mode reloads do not open a new pool each time.
 */

const globalForDb = globalThis as unknown as { syncwatchDb?: Db };

export class DatabaseNotConfiguredError extends Error {
  override name = 'DatabaseNotConfiguredError';
}

export function getDb(): Db {
  if (globalForDb.syncwatchDb) return globalForDb.syncwatchDb;
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new DatabaseNotConfiguredError(
      'DATABASE_URL is not set. Start SyncWatch with `npm start` (it runs an embedded PostgreSQL) or set DATABASE_URL.',
    );
  }
  const poolSize = Number(process.env.DATABASE_POOL_SIZE ?? 20);
  globalForDb.syncwatchDb = createPrismaClient(url, { poolSize });
  return globalForDb.syncwatchDb;
}

/** Closes the pool (tests, CLI, graceful shutdown). */
export async function closeDb(): Promise<void> {
  const current = globalForDb.syncwatchDb;
  globalForDb.syncwatchDb = undefined;
  await current?.$disconnect();
}
