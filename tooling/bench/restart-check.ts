import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { hashPassword } from '../../lib/auth/password';
import { ensureDatabaseExists } from '../../lib/db/connection';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../lib/db/embedded';
import { applyMigrations } from '../../lib/db/migrations';
import { buildDataset } from './dataset';
import { buildIfStale, freePort, signIn, startServer } from './server';

/**
 * The database restarted under a running app: /api/health goes 503 and back to 200, the
 * dashboard's data route fails meanwhile (the page shows it as stale) and answers again by
 * itself, and the scheduler resumes without running any occurrence twice.
 */
export interface RestartCheckResult {
  healthDownAfterMs: number;
  healthUpAfterMs: number;
  dashboardDuringOutage: number;
  dashboardUpAfterMs: number;
  healthChecksBefore: number;
  healthChecksAfterRestart: number;
  duplicateOccurrences: number;
  runsDuringOutage: Record<string, number>;
  ok: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pollUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await probe().catch(() => false)) return Date.now() - started;
    await sleep(200);
  }
  throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}.`);
}

const status = async (url: string, cookie?: string) =>
  (await fetch(url, { headers: cookie ? { cookie } : {}, signal: AbortSignal.timeout(10_000) }).catch(() => null))?.status ?? 0;

export async function runRestartCheck(log: (line: string) => void): Promise<RestartCheckResult> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'syncwatch-restart-'));
  chmodSync(tmp, 0o755);
  const dataDir = path.join(tmp, 'pg');
  const port = await freePort();
  let db: EmbeddedServer | undefined = await startEmbeddedPostgres({ dataDir, port });
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    await ensureDatabaseExists(db.baseUrl, 'syncwatch');
    const url = `${db.baseUrl}/syncwatch`;
    await applyMigrations(url);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await buildDataset(c, 2_000);
    await c.query(`INSERT INTO users (email, name, role, password_hash) VALUES ('admin@restart.test', 'Admin', 'ADMIN', $1)`, [
      await hashPassword('restart-password'),
    ]);
    await c.end();

    log('building the production app when stale...');
    await buildIfStale(path.join(tmp, 'build.log'));
    server = await startServer({
      env: { DATABASE_URL: url, SCHEDULER_ENABLED: 'true', HEALTH_CHECK_CRON: '*/3 * * * * *', SYNC_CRON: '0 0 1 1 *' },
      logFile: path.join(tmp, 'server.log'),
    });
    const cookie = await signIn(server.baseUrl, 'admin@restart.test', 'restart-password');
    const count = async () => {
      const q = new pg.Client({ connectionString: url });
      await q.connect();
      try {
        return (
          await q.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM schedule_runs WHERE schedule = 'HEALTH_CHECK' AND status = 'SUCCEEDED'`,
          )
        ).rows[0]!.n;
      } finally {
        await q.end();
      }
    };
    await pollUntil('two scheduled health checks', async () => (await count()) >= 2, 60_000);
    const healthChecksBefore = await count();
    if ((await status(`${server.baseUrl}/api/health`)) !== 200) throw new Error('/api/health was not 200 before the restart');
    if ((await status(`${server.baseUrl}/api/dashboard`, cookie)) !== 200) throw new Error('/api/dashboard was not 200 before the restart');

    log('stopping PostgreSQL under the running app...');
    const outageStart = new Date();
    await db.stop();
    db = undefined;
    const healthDownAfterMs = await pollUntil(
      '/api/health to answer 503',
      async () => (await status(`${server!.baseUrl}/api/health`)) === 503,
      30_000,
    );
    const dashboardDuringOutage = await status(`${server.baseUrl}/api/dashboard`, cookie);
    await sleep(7_000); // several scheduled occurrences fall in the outage
    log('starting PostgreSQL again...');
    db = await startEmbeddedPostgres({ dataDir, port });
    const healthUpAfterMs = await pollUntil(
      '/api/health to answer 200 again',
      async () => (await status(`${server!.baseUrl}/api/health`)) === 200,
      60_000,
    );
    const dashboardUpAfterMs = await pollUntil(
      '/api/dashboard to answer 200 again',
      async () => (await status(`${server!.baseUrl}/api/dashboard`, cookie)) === 200,
      60_000,
    );
    await sleep(10_000); // the scheduler's next occurrences

    const q = new pg.Client({ connectionString: url });
    await q.connect();
    const dup = await q.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT schedule, occurrence_at FROM schedule_runs GROUP BY 1, 2 HAVING count(*) > 1) d`,
    );
    const during = await q.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM schedule_runs
       WHERE occurrence_at >= $1 AND occurrence_at < now() - interval '10 seconds' GROUP BY 1`,
      [outageStart],
    );
    await q.end();
    const healthChecksAfterRestart = (await count()) - healthChecksBefore;
    const result: RestartCheckResult = {
      healthDownAfterMs,
      healthUpAfterMs,
      dashboardDuringOutage,
      dashboardUpAfterMs,
      healthChecksBefore,
      healthChecksAfterRestart,
      duplicateOccurrences: dup.rows[0]!.n,
      runsDuringOutage: Object.fromEntries(during.rows.map((r) => [r.status, r.n])),
      ok: false,
    };
    result.ok = result.duplicateOccurrences === 0 && result.healthChecksAfterRestart >= 2 && result.dashboardDuringOutage === 503;
    return result;
  } finally {
    await server?.stop();
    await db?.stop().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}
