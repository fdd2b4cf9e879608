import pg from 'pg';
import { createDb, type Db } from '../../lib/db/prisma';

/**
 * This test file's database (tests/support/database-per-file.ts made it): its URL, the client
 * the tests hand to the engine, and raw pg clients for SQL the app would never write.
 */

function databaseUrl(): string {
  const url = (globalThis as { syncwatchTestDatabaseUrl?: string }).syncwatchTestDatabaseUrl;
  if (!url) throw new Error('tests/support/database-per-file.ts has not run: it is a Vitest setup file.');
  return url;
}

export const testDatabaseUrl = databaseUrl();

/** The engine's client for this file, also the one the app's modules use (lib/db/server.ts). */
export const db: Db = createDb(testDatabaseUrl, { poolSize: 10 });

// The app's modules (server actions, route handlers, auth) read their client from the cache that
// lib/db/server.ts keeps on globalThis: this file's client is put there, as a server built from
// this file's configuration would have it.
const appDb = globalThis as unknown as { syncwatchDb?: Db };
appDb.syncwatchDb = db;

export async function closeTestDb(): Promise<void> {
  if (appDb.syncwatchDb === db) appDb.syncwatchDb = undefined;
  await db.$disconnect();
}

/** A plain pg client on this test file's database, for raw SQL the app would never write. */
export async function rawClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  return client;
}

/** Runs `sql` and returns the PostgreSQL error it raised (SQLSTATE code and constraint). */
export async function expectRefused(client: pg.Client, sql: string, params: unknown[] = []) {
  try {
    await client.query(sql, params);
  } catch (err) {
    const e = err as { code: string; constraint?: string; message: string };
    return { code: e.code, constraint: e.constraint, message: e.message };
  }
  throw new Error(`Expected PostgreSQL to refuse: ${sql}`);
}
