import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildIsStale as isStale, freePort } from '../lib/dev/build';
import pg from 'pg';
import { E2E_LEARNERS, ENV, STAFF } from './support/run';

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
const DIST_DIR = '.next-e2e';
const RUN_DIR = path.join(root, 'e2e', '.run');
const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
const log = (m: string) => console.log(`[e2e] ${m}`);

/** Same rule as scripts/start.ts: rebuild when any source is newer than the build. */
const buildIsStale = () => isStale(root, DIST_DIR, { extraSources: ['tsconfig.e2e.json'] });

function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(logFile);
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.once('error', reject);
    child.once('exit', (code) => out.end(() => resolve(code ?? 1)));
  });
}

/**
 * `next build` with another distDir writes that directory's type paths into tsconfig.json and
 * next-env.d.ts. Undo exactly that, so a test run leaves no change in tracked files.
 */
function restoreTsconfig(before: string) {
  const file = path.join(root, 'tsconfig.json');
  const after = readFileSync(file, 'utf8');
  if (after === before) return;
  try {
    const strip = (text: string) => {
      const json = JSON.parse(text) as { include?: string[] };
      json.include = json.include?.filter((p) => !p.includes(DIST_DIR));
      return JSON.stringify(json);
    };
    if (strip(after) === strip(before)) writeFileSync(file, before);
    else log('tsconfig.json changed during the build in other ways; left as it is.');
  } catch {
    log('tsconfig.json is not plain JSON after the build; left as it is.');
  }
}

async function buildIfStale(env: NodeJS.ProcessEnv) {
  if (!buildIsStale()) {
    log(`Production build in ${DIST_DIR} is up to date.`);
    return;
  }
  const logFile = path.join(RUN_DIR, 'build.log');
  log(`Building the app for production in ${DIST_DIR} (next build; log in ${path.relative(root, logFile)})...`);
  const tsconfig = readFileSync(path.join(root, 'tsconfig.json'), 'utf8');
  const nextEnvFile = path.join(root, 'next-env.d.ts');
  const nextEnv = existsSync(nextEnvFile) ? readFileSync(nextEnvFile, 'utf8') : undefined;
  const started = Date.now();
  const code = await run(process.execPath, [nextBin, 'build'], env, logFile);
  restoreTsconfig(tsconfig);
  if (nextEnv !== undefined) writeFileSync(nextEnvFile, nextEnv);
  if (code !== 0) {
    throw new Error(`next build failed (exit ${code}). Last lines of ${logFile}:\n${tail(logFile)}`);
  }
  log(`Built in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
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
            jsonb_build_object('progressLevel', current_level, 'licenseLevel', 1, 'totalXp', total_xp, 'completedSessions', completed_sessions),
            jsonb_build_object('progressLevel', current_level, 'licenseLevel', current_level, 'totalXp', total_xp, 'completedSessions', completed_sessions),
            'SYNCED', now() - interval '30 days'
     FROM (SELECT * FROM specialization_progress WHERE current_level > 1 ORDER BY user_id, specialization_id LIMIT 2) p`,
    [rows[0]!.id],
  );
}

/**
 * Migrations in-process; the demo seed through `npm run db:seed`'s own script, in a child
 * process: the seed drives the real engine (health checks and sync jobs for history), whose
 * server-only modules load only under the react-server condition.
 */
async function migrateAndSeed(url: string) {
  const { applyMigrations } = await import('../lib/db/migrations');
  const applied = await applyMigrations(url, path.join(root, 'prisma', 'migrations'));
  const logFile = path.join(RUN_DIR, 'seed.log');
  const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const code = await run(process.execPath, [tsx, '--conditions=react-server', 'scripts/db-seed.ts'], {
    ...process.env,
    DATABASE_URL: url,
    SEED_LEARNERS: String(E2E_LEARNERS),
    SEED_ADMIN_EMAIL: STAFF.admin.email,
    SEED_ADMIN_PASSWORD: STAFF.admin.password,
    SEED_VIEWER_EMAIL: STAFF.viewer.email,
    SEED_VIEWER_PASSWORD: STAFF.viewer.password,
    SCHEDULER_ENABLED: 'false',
  }, logFile);
  if (code !== 0) throw new Error(`The demo seed failed (exit ${code}). Last lines of ${logFile}:\n${tail(logFile)}`);

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ kind: string; n: string }>(
      `SELECT CASE WHEN p.user_id IS NULL THEN 'MISSING_PROGRESS' WHEN l.user_id IS NULL THEN 'MISSING_LICENSE' ELSE 'LEVEL_MISMATCH' END AS kind, count(*) AS n
       FROM specialization_progress p FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
       WHERE p.user_id IS NULL OR l.user_id IS NULL OR p.current_level <> l.current_level GROUP BY 1 ORDER BY 1`,
    );
    const { rows: [learners] } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM users WHERE role = 'STUDENT'`);
    if (rows.length < 3) {
      throw new Error(`The E2E seed must hold desyncs of every kind; it has ${JSON.stringify(rows)} (log: ${logFile}).`);
    }
    if (!(await client.query(`SELECT 1 FROM sync_jobs WHERE status <> 'RUNNING'`)).rowCount) await addJobHistory(client);
    log(`Applied ${applied.length} migration(s); seeded ${learners!.n} learners; desyncs ${rows.map((r) => `${r.kind} ${r.n}`).join(', ')}.`);
  } finally {
    await client.end();
  }
}

async function waitUntilServing(baseUrl: string, child: ChildProcess, logFile: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`next start exited (code ${child.exitCode}). Last lines of ${logFile}:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(`${baseUrl}/login`, { redirect: 'manual', signal: AbortSignal.timeout(5_000) });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`next start did not answer within ${timeoutMs / 1000} s. Last lines of ${logFile}:\n${tail(logFile)}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export default async function globalSetup() {
  const started = Date.now();
  if (process.cwd() !== root) process.chdir(root); // lib/db/migrations resolves prisma/ from the cwd
  mkdirSync(RUN_DIR, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'syncwatch-e2e-'));

  let db: Database | undefined;
  let server: ChildProcess | undefined;
  const teardown = async () => {
    if (server) await stopChild(server);
    if (db) await db.stop().catch((e: Error) => log(`Could not drop the run's database: ${e.message}`));
    rmSync(tmp, { recursive: true, force: true });
  };
  // If the run is interrupted before its teardown (Ctrl-C), leave no server and no data behind.
  process.once('exit', () => {
    server?.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  try {
    db = await prepareDatabase(tmp);
    await migrateAndSeed(db.url);

    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const appEnv: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      NEXT_DIST_DIR: DIST_DIR,
      // Type-check this build with its own tsconfig (see next.config.ts).
      NEXT_TSCONFIG_PATH: 'tsconfig.e2e.json',
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
    };
    delete appEnv.CONSISTENCY_TARGET; // the default target (99.9%)

    await buildIfStale(appEnv);

    const logFile = path.join(RUN_DIR, 'server.log');
    const out = createWriteStream(logFile);
    server = spawn(process.execPath, [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'], {
      cwd: root,
      env: appEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout!.pipe(out);
    server.stderr!.pipe(out);
    await waitUntilServing(baseUrl, server, logFile);

    process.env[ENV.baseUrl] = baseUrl;
    process.env[ENV.databaseUrl] = db.url;
    process.env[ENV.serverLog] = logFile;
    log(`SyncWatch (production build) at ${baseUrl}, ready in ${((Date.now() - started) / 1000).toFixed(0)} s; server log in ${path.relative(root, logFile)}.`);
  } catch (err) {
    await teardown();
    throw err;
  }

  return teardown;
}
