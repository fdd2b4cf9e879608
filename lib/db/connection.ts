import pg from 'pg';
import { DatabaseStartError, startEmbeddedPostgres, type EmbeddedServer } from './embedded';

/**
 * Where SyncWatch's PostgreSQL is: DATABASE_URL when set (nothing is started), otherwise the
 * embedded server, with its `syncwatch` database created on first use.
 */

export const EMBEDDED_DATABASE = 'syncwatch';

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** Turns a connection failure into one sentence that says what failed and what to set. */
export function describeConnectionError(err: unknown, url: string): string {
  const e = err as { code?: string; message?: string };
  let where = url;
  try {
    const u = new URL(url);
    where = `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'DATABASE_URL is not a valid URL. Set it to postgresql://user:password@host:port/database.';
  }
  switch (e.code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
      return `Cannot reach PostgreSQL at ${where} (${e.code}). Check DATABASE_URL, or unset it to use the embedded server.`;
    case '28P01':
    case '28000':
      return `PostgreSQL at ${where} refused the credentials (${e.message}). Fix the user and password in DATABASE_URL.`;
    case '3D000':
      return `Database ${where} does not exist. Create it, or point DATABASE_URL at an existing database.`;
    default:
      return `Cannot connect to PostgreSQL at ${where}: ${e.message ?? String(err)}. Check DATABASE_URL.`;
  }
}

export class DatabaseConnectError extends Error {
  override name = 'DatabaseConnectError';
}

export async function checkConnection(url: string, timeoutMs = 5000): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new DatabaseConnectError(describeConnectionError(err, url));
  } finally {
    await client.end().catch(() => {});
  }
}

export async function ensureDatabaseExists(baseUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: `${baseUrl}/postgres` });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
}

export async function resolveDatabase(opts: {
  databaseUrl?: string;
  embeddedDir: string;
  embeddedPort: number;
  log?: (line: string) => void;
}): Promise<ResolvedDatabase> {
  if (opts.databaseUrl) {
    await checkConnection(opts.databaseUrl);
    return { url: opts.databaseUrl, embedded: false, stop: async () => {} };
  }
  let server: EmbeddedServer;
  try {
    server = await startEmbeddedPostgres({ dataDir: opts.embeddedDir, port: opts.embeddedPort, log: opts.log });
  } catch (err) {
    if (err instanceof DatabaseStartError) throw err;
    throw new DatabaseStartError(`The embedded PostgreSQL failed to start: ${(err as Error).message}`);
  }
  await ensureDatabaseExists(server.baseUrl, EMBEDDED_DATABASE);
  return { url: `${server.baseUrl}/${EMBEDDED_DATABASE}`, embedded: true, stop: () => server.stop() };
}
