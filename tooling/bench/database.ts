import pg from 'pg';
import { checkConnection } from '../../lib/db/connection';
import { startEmbeddedPostgres } from '../../lib/db/embedded';
import { applyMigrations } from '../../lib/db/migrations';

/**
 * The PostgreSQL server the benchmark and stress tests use: DATABASE_URL's server, or the
 * embedded one (EMBEDDED_PG_DIR / EMBEDDED_PG_PORT), as `npm start` resolves it. They never
 * touch the app's own database: each works in a database of its own on that server
 * (syncwatch_bench_<pairs>, syncwatch_stress_<name>), dropped and rebuilt on every run.
 */

export interface BenchServer {
  /** Where the server is, for messages. */
  describe: string;
  embedded: boolean;
  urlFor(database: string): string;
  /** Stops the embedded server if this process started it. */
  stop(): Promise<void>;
}

const LOCAL_HOSTS = ['localhost', '127.0.0.1', '::1', '[::1]'];

export async function openBenchServer(opts: { databaseUrl?: string; embeddedDir: string; embeddedPort: number }): Promise<BenchServer> {
  if (opts.databaseUrl) {
    const base = new URL(opts.databaseUrl);
    if (!LOCAL_HOSTS.includes(base.hostname) && process.env.SYNCWATCH_BENCH_ALLOW_REMOTE !== '1') {
      throw new Error(
        `Refusing to benchmark on non-local host ${base.hostname}: the benchmark creates and drops databases there. ` +
          'Set SYNCWATCH_BENCH_ALLOW_REMOTE=1 if that server is yours to load.',
      );
    }
    await checkConnection(opts.databaseUrl);
    return {
      describe: `the server of DATABASE_URL (${base.host})`,
      embedded: false,
      urlFor: (database) => {
        const u = new URL(opts.databaseUrl!);
        u.pathname = `/${database}`;
        return u.toString();
      },
      stop: async () => {},
    };
  }
  const server = await startEmbeddedPostgres({ dataDir: opts.embeddedDir, port: opts.embeddedPort });
  return {
    describe: `the embedded PostgreSQL on port ${server.port} (${opts.embeddedDir})`,
    embedded: true,
    urlFor: (database) => `${server.baseUrl}/${database}`,
    stop: () => server.stop(),
  };
}

async function withAdmin<T>(server: BenchServer, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: server.urlFor('postgres') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Drops (if present), creates and migrates `database`; returns its URL. */
export async function recreateDatabase(server: BenchServer, database: string): Promise<string> {
  await withAdmin(server, async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${quoteIdent(database)}`);
  });
  const url = server.urlFor(database);
  await applyMigrations(url);
  return url;
}

/** Server version and the settings that shape the figures, for the results file. */
export async function serverFacts(url: string): Promise<Record<string, string>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings
       WHERE name IN ('server_version', 'shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit', 'synchronous_commit',
                      'max_connections')`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting]));
  } finally {
    await c.end();
  }
}
