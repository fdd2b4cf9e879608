import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../tooling/build';
import { appBuildIsStale, buildIfStale, runLogged, startServer, tail, type RunningServer } from '../tooling/next-server';
import { E2E_APP, E2E_LEARNERS, E2E_POLL_SECONDS, ENV, STAFF } from './support/run';

/**
 * Prepares one E2E run and returns its teardown:
 *   1. a real PostgreSQL: an embedded server in a temporary directory on a free port, or, when
 *      DATABASE_URL is set, a fresh database on that (local only) server;
 *   2. the migrations and a small demo seed (desyncs of every kind);
 *   3. the production build of the app in .next-e2e, rebuilt only when older than the sources;
 *   4. `next start` on a free port with the scheduler off (the tests drive checks and syncs).
 * The tests find the app and the database through the environment variables in ./support/run.
 */

const root = path.resolve(import.meta.dirname, '..');
const RUN_DIR = path.join(root, 'e2e', '.run');
const log = (m: string) => console.log(`[e2e] ${m}`);

/** Same rule as scripts/start.ts: rebuild when any source is newer than the build. */
async function buildAppIfStale(env: NodeJS.ProcessEnv) {
  if (!appBuildIsStale(E2E_APP)) {
    log(`Production build in ${E2E_APP.distDir} is up to date.`);
    return;
  }
  const logFile = path.join(RUN_DIR, 'build.log');
  log(`Building the app for production in ${E2E_APP.distDir} (next build; log in ${path.relative(root, logFile)})...`);
  const ms = await buildIfStale(E2E_APP, { env, logFile, log });
  log(`Built in ${(ms / 1000).toFixed(0)} s.`);
}

function refuseNonLocal(url: string) {
  const host = new URL(url).hostname;
  if (!['localhost', '127.0.0.1', '::1', '[::1]'].includes(host) && process.env.SYNCWATCH_TEST_ALLOW_REMOTE !== '1') {
    throw new Error(
      `Refusing to run the E2E suite against non-local database host ${host}: it creates and drops a database there. ` +
        'Unset DATABASE_URL to use an embedded PostgreSQL, or set SYNCWATCH_TEST_ALLOW_REMOTE=1 if this server is disposable.',
    );
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Database {
  url: string;
  stop(): Promise<void>;
}

async function prepareDatabase(tmp: string): Promise<Database> {
  const { startEmbeddedPostgres } = await import('../lib/db/embedded');
  const name = `syncwatch_e2e_${process.pid}_${Date.now().toString(36)}`;
  let baseUrl: string;
  let stopServer = async () => {};
  if (process.env.DATABASE_URL) {
    refuseNonLocal(process.env.DATABASE_URL);
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = '';
    u.search = '';
    baseUrl = u.toString().replace(/\/$/, '');
    log(`Using the PostgreSQL server of DATABASE_URL (${u.host}), database ${name}.`);
  } else {
    chmodSync(tmp, 0o755); // as root, PostgreSQL runs as an unprivileged user that must reach it
    const server = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port: await freePort() });
    baseUrl = server.baseUrl;
    stopServer = () => server.stop();
    log(`Embedded PostgreSQL on port ${server.port} (data in ${tmp}).`);
  }
  const admin = new pg.Client({ connectionString: `${baseUrl}/postgres` });
  await admin.connect();
  try {
    // Databases of earlier runs that were interrupted before their teardown (their pid is gone).
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'syncwatch\\_e2e\\_%'`);
    for (const { datname } of rows) {
      const pid = Number(/^syncwatch_e2e_(\d+)_/.exec(datname)?.[1]);
      if (pid && !processAlive(pid)) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `${baseUrl}/${name}`,
    async stop() {
      const client = new pg.Client({ connectionString: `${baseUrl}/postgres` });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
      await stopServer();
    },
  };
}

/**
 * One finished scheduled job from a month ago, with items, so the job pages have history before
 * any test syncs (the demo seed leaves job history to the app).
 */
async function addJobHistory(client: pg.Client) {
  const { rows } = await client.query<{ id: number }>(
    `INSERT INTO sync_jobs (status, trigger, actor, started_at, finished_at, heartbeat_at, duration_ms, found, total, done, synced)
     VALUES ('SUCCEEDED', 'SCHEDULED', 'scheduler', now() - interval '30 days', now() - interval '30 days' + interval '2 seconds',
             now() - interval '30 days' + interval '2 seconds', 2000, 2, 2, 2, 2) RETURNING id`,
  );
  await client.query(
    `INSERT INTO sync_job_items (job_id, user_id, specialization_id, kind, before, after, outcome, created_at)
     SELECT $1, user_id, specialization_id, 'LEVEL_MISMATCH',
            jsonb_build_object('progressLevel', current_level, 'licenseLevel', 1,
                               'totalXp', total_xp, 'completedSessions', completed_sessions),
            jsonb_build_object('progressLevel', current_level, 'licenseLevel', current_level,
                               'totalXp', total_xp, 'completedSessions', completed_sessions),
            'SYNCED', now() - interval '30 days'
     FROM (SELECT * FROM specialization_progress WHERE current_level > 1 ORDER BY user_id, specialization_id LIMIT 2) p`,
    [rows[0]!.id],
  );
}

/**
 * Migrations in-process; the demo seed through `npm run db:seed`'s own script (plain tsx), in a
 * child process, so the run seeds exactly as a user's `npm run db:seed` does: the seed drives the
 * real engine (health checks and sync jobs for history) on a client of its own.
 */
async function migrateAndSeed(url: string) {
  const { applyMigrations } = await import('../lib/db/migrations');
  const applied = await applyMigrations(url, path.join(root, 'prisma', 'migrations'));
  const logFile = path.join(RUN_DIR, 'seed.log');
  const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const seedEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url,
    SEED_LEARNERS: String(E2E_LEARNERS),
    SEED_ADMIN_EMAIL: STAFF.admin.email,
    SEED_ADMIN_PASSWORD: STAFF.admin.password,
    SEED_VIEWER_EMAIL: STAFF.viewer.email,
    SEED_VIEWER_PASSWORD: STAFF.viewer.password,
    SCHEDULER_ENABLED: 'false',
  };
  const code = await runLogged(process.execPath, [tsx, 'scripts/db-seed.ts'], seedEnv, logFile);
  if (code !== 0) throw new Error(`The demo seed failed (exit ${code}). Last lines of ${logFile}:\n${tail(logFile)}`);

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ kind: string; n: string }>(
      `SELECT CASE WHEN p.user_id IS NULL THEN 'MISSING_PROGRESS' WHEN l.user_id IS NULL THEN 'MISSING_LICENSE'
                   ELSE 'LEVEL_MISMATCH' END AS kind,
              count(*) AS n
       FROM specialization_progress p FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
       WHERE p.user_id IS NULL OR l.user_id IS NULL OR p.current_level <> l.current_level GROUP BY 1 ORDER BY 1`,
    );
    const {
      rows: [learners],
    } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM users WHERE role = 'STUDENT'`);
    if (rows.length < 3) {
      throw new Error(`The E2E seed must hold desyncs of every kind; it has ${JSON.stringify(rows)} (log: ${logFile}).`);
    }
    if (!(await client.query(`SELECT 1 FROM sync_jobs WHERE status <> 'RUNNING'`)).rowCount) await addJobHistory(client);
    log(
      `Applied ${applied.length} migration(s); seeded ${learners!.n} learners; desyncs ${rows.map((r) => `${r.kind} ${r.n}`).join(', ')}.`,
    );
  } finally {
    await client.end();
  }
}

export default async function globalSetup() {
  const started = Date.now();
  if (process.cwd() !== root) process.chdir(root); // lib/db/migrations resolves prisma/ from the cwd
  mkdirSync(RUN_DIR, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'syncwatch-e2e-'));

  let db: Database | undefined;
  let server: RunningServer | undefined;
  const teardown = async () => {
    if (server) await server.stop();
    if (db) await db.stop().catch((e: Error) => log(`Could not drop the run's database: ${e.message}`));
    rmSync(tmp, { recursive: true, force: true });
  };
  // If the run is interrupted before its teardown (Ctrl-C), leave no data behind (and no server:
  // tooling/next-server.ts kills the servers it started when this process exits).
  process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));

  try {
    db = await prepareDatabase(tmp);
    await migrateAndSeed(db.url);

    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    // With NODE_ENV=production, NEXT_DIST_DIR and NEXT_TSCONFIG_PATH of E2E_APP (tooling/next-server.ts).
    const runEnv: Record<string, string> = {
      DATABASE_URL: db.url,
      PORT: String(port),
      NEXTAUTH_URL: baseUrl,
      NEXTAUTH_SECRET: randomBytes(32).toString('hex'),
      // A production server refuses the documented demo secrets (lib/env.ts).
      MONITOR_TOKEN: randomBytes(24).toString('hex'),
      SCHEDULER_ENABLED: 'false',
      // Every test signs in through the same address; the limiter is not what this suite tests.
      LOGIN_MAX_ATTEMPTS: '1000',
      LOGIN_MAX_ATTEMPTS_PER_ADDRESS: '10000',
      // The pages poll this seldom while the event stream is down: what a test sees change within
      // seconds came as an event (see E2E_POLL_SECONDS).
      DASHBOARD_POLL_SECONDS: String(E2E_POLL_SECONDS),
      // The factories write a pair's two rows in two statements, as legacy code does: observed,
      // never refused or completed (docs/decisions/014).
      FOREIGN_WRITES: 'observe',
      // The alerts' tests send webhooks to receivers they start on 127.0.0.1 (e2e/alerts.spec.ts).
      ALERTS_ALLOW_PRIVATE_NETWORK: 'true',
    };
    const appEnv: NodeJS.ProcessEnv = { ...process.env, ...runEnv };
    delete appEnv.CONSISTENCY_TARGET; // the default target (99.9%)

    await buildAppIfStale(appEnv);

    const logFile = path.join(RUN_DIR, 'server.log');
    // Ready once the sign-in page answers without a server error.
    server = await startServer(E2E_APP, {
      port,
      env: appEnv,
      logFile,
      readyPath: '/login',
      accept: (res) => res.status < 500,
      pollMs: 250,
    });

    process.env[ENV.baseUrl] = baseUrl;
    process.env[ENV.databaseUrl] = db.url;
    process.env[ENV.serverLog] = logFile;
    process.env[ENV.appEnv] = JSON.stringify(runEnv);
    log(
      `SyncWatch (production build) at ${baseUrl}, ready in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
        `server log in ${path.relative(root, logFile)}.`,
    );
  } catch (err) {
    await teardown();
    throw err;
  }

  return teardown;
}
