import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import pg from 'pg';
import { freePort } from '../../tooling/build';
import { nextEnv, startServer, type RunningServer } from '../../tooling/next-server';
import type { ConsoleGuard } from './console-guard';
import { E2E_APP, runValue } from './run';
import type { Sql } from './sql';

/**
 * Several production servers of the E2E build on one database of their own (e2e/instances.spec.ts):
 * the database on the run's PostgreSQL server, migrated and given staff by the real engine, and
 * servers started, killed and stopped by the tests.
 */

const root = path.resolve(import.meta.dirname, '../..');
const RUN_DIR = path.join(root, 'e2e', '.run');

/** The application_name of the spec's own connections, to tell them from the servers' in pg_stat_activity. */
export const INSTANCES_SQL_APPLICATION_NAME = 'e2e-instances';

export interface InstanceDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  sql: Sql;
  /** A connection of its own (to hold a lock in a transaction); end it after use. */
  connect(): Promise<pg.Client>;
  /** Ends the pool and drops the database (whatever is still connected to it). */
  drop(): Promise<void>;
}

/**
 * A new database on the PostgreSQL server of the run (ENV.databaseUrl), named like the run's
 * (`syncwatch_e2e_<pid>_...`) so that global setup drops it if this worker dies before afterAll.
 */
export async function createInstanceDatabase(): Promise<InstanceDatabase> {
  const server = new URL(runValue('databaseUrl'));
  server.pathname = '';
  server.search = '';
  const base = server.toString().replace(/\/$/, '');
  const name = `syncwatch_e2e_${process.pid}_instances_${Date.now().toString(36)}`;
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: `${base}/postgres`, application_name: INSTANCES_SQL_APPLICATION_NAME });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = `${base}/${name}`;
  const pool = new pg.Pool({ connectionString: url, max: 4, application_name: INSTANCES_SQL_APPLICATION_NAME });
  let dropped = false;
  return {
    name,
    url,
    pool,
    sql: async (text, params) => (await pool.query(text, params as unknown[])).rows,
    async connect() {
      const client = new pg.Client({ connectionString: url, application_name: INSTANCES_SQL_APPLICATION_NAME });
      await client.connect();
      return client;
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await pool.end().catch(() => {});
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** The migrations, as `npm run serve` applies them. */
export async function migrate(url: string): Promise<string[]> {
  const { applyMigrations } = await import('../../lib/db/migrations');
  return applyMigrations(url, path.join(root, 'prisma', 'migrations'));
}

export interface StaffAccount {
  email: string;
  password: string;
  role: 'ADMIN' | 'VIEWER';
}

/** Staff through the real staff engine (lib/auth/staff.ts#addStaff, what `syncwatch users add` runs). */
export async function addStaffAccounts(url: string, accounts: StaffAccount[]): Promise<void> {
  const [{ createDb }, { addStaff }] = await Promise.all([import('../../lib/db/prisma'), import('../../lib/auth/staff')]);
  const db = createDb(url, { poolSize: 2 });
  try {
    for (const a of accounts) {
      await addStaff(
        db,
        { email: a.email, name: `E2E ${a.role.toLowerCase()} ${a.email.split('@')[0]}`, role: a.role, password: a.password },
        {
          label: 'cli',
          source: 'CLI',
        },
      );
    }
  } finally {
    await db.$disconnect();
  }
}

/** API keys through the real engine (lib/api/keys.ts#createApiKey); returns their tokens, by name. */
export async function createApiKeys(url: string, names: string[], scopes: string[]): Promise<Record<string, string>> {
  const [{ createDb }, { createApiKey }] = await Promise.all([import('../../lib/db/prisma'), import('../../lib/api/keys')]);
  const db = createDb(url, { poolSize: 2 });
  const tokens: Record<string, string> = {};
  try {
    for (const name of names) tokens[name] = (await createApiKey(db, { name, scopes }, { label: 'cli', source: 'CLI' })).token;
  } finally {
    await db.$disconnect();
  }
  return tokens;
}

export interface Instance {
  /** "A", "B", ... */
  label: string;
  baseUrl: string;
  pid: number;
  server: RunningServer;
  logFile: string;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** A signal to the server's whole process group. */
  signal(sig: NodeJS.Signals): void;
}

/**
 * Production servers of the E2E build (no rebuild: global setup built it) on `url`, one per
 * label, each on a free port with its log in e2e/.run/instance-<label>.log, in process groups of
 * their own. `env` is the configuration they share (secrets, schedules, limits).
 */
export async function startInstances(url: string, labels: string[], env: Record<string, string>): Promise<Instance[]> {
  const ports: number[] = [];
  while (ports.length < labels.length) ports.push(await freePort());
  return Promise.all(
    labels.map(async (label, i) => {
      const port = ports[i]!;
      const baseUrl = `http://127.0.0.1:${port}`;
      const logFile = path.join(RUN_DIR, `instance-${label.toLowerCase()}.log`);
      const serverEnv: NodeJS.ProcessEnv = { ...process.env, ...env, DATABASE_URL: url, PORT: String(port), NEXTAUTH_URL: baseUrl };
      delete serverEnv.CONSISTENCY_TARGET;
      delete serverEnv.APP_URL;
      const server = await startServer(E2E_APP, {
        port,
        env: serverEnv,
        logFile,
        readyPath: '/api/health/ready',
        accept: (res) => res.status === 200,
        pollMs: 200,
        processGroup: true,
      });
      const { child } = server;
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
        else child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      return {
        label,
        baseUrl,
        pid: server.pid,
        server,
        logFile,
        exited,
        alive: () => child.exitCode === null && child.signalCode === null,
        signal: (sig: NodeJS.Signals) => process.kill(-server.pid, sig),
      };
    }),
  );
}

/**
 * `npm run serve -- --no-migrate` of the E2E build on `url` (as an operator starts production),
 * in a process group of its own, its output (the launcher's and the server's) in
 * e2e/.run/instance-npm.log. The caller signals npm's pid alone, as an orchestrator signals PID 1.
 */
export function startWithNpm(
  url: string,
  env: Record<string, string>,
  port: number,
): { npm: ChildProcess; logFile: string; baseUrl: string } {
  const baseUrl = `http://127.0.0.1:${port}`;
  const logFile = path.join(RUN_DIR, 'instance-npm.log');
  const out = openSync(logFile, 'w');
  const serverEnv = nextEnv(E2E_APP, { ...process.env, ...env, DATABASE_URL: url, PORT: String(port), NEXTAUTH_URL: baseUrl });
  delete serverEnv.CONSISTENCY_TARGET;
  delete serverEnv.APP_URL;
  const npm = spawn('npm', ['run', 'serve', '--', '--no-migrate'], {
    cwd: root,
    env: serverEnv,
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  return { npm, logFile, baseUrl };
}

/** Whether any process of the group led by `pid` is alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A fresh secret of `bytes` random bytes, hex. */
export const secret = (bytes = 32) => randomBytes(bytes).toString('hex');

/** The pid an instance id (`hostname:pid:random`, lib/scheduler/scheduler-types.ts) names. */
export function pidOfInstanceId(instanceId: string): number {
  return Number(instanceId.split(':').at(-2));
}

/** The JSON lines of a server log (pino), skipping anything else (Next.js's own banner). */
export function jsonLogLines(file: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

/** How an HTTP request to `url` ends: its status, or the connection error's code (ECONNREFUSED, ...). */
export async function probe(url: string, init: RequestInit = {}): Promise<number | string> {
  try {
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000), ...init });
    await res.body?.cancel();
    return res.status;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? (err as Error).name;
  }
}

/** A new browser context (no baseURL: the tests use both servers' absolute URLs), watched by `guard`. */
export async function openPage(
  browser: Browser,
  guard: ConsoleGuard,
  opts: { storageState?: Awaited<ReturnType<BrowserContext['storageState']>>; headers?: Record<string, string> } = {},
): Promise<Page> {
  const context = await browser.newContext({
    locale: 'en-US',
    storageState: opts.storageState ?? { cookies: [], origins: [] },
    extraHTTPHeaders: opts.headers,
  });
  const page = await context.newPage();
  guard.watch(page);
  return page;
}

/** Fills and sends the /login form the page shows. */
export async function submitSignIn(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signs in through the real /login form of `baseUrl`. */
export async function signInAt(page: Page, baseUrl: string, email: string, password: string) {
  await page.goto(`${baseUrl}/login`);
  await submitSignIn(page, email, password);
}
