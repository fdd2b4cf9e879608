import { spawn } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rawClient, testDatabaseUrl } from '../support/db';

/**
 * The two ways to start (issue 16): `npm start` is the demo and refuses a DATABASE_URL without
 * --demo; `npm run serve` is production: it checks the whole configuration, secrets included,
 * before touching the database, and with --no-migrate refuses to start while migrations are
 * pending. These are the paths that end before a server runs; they need no build.
 */

vi.setConfig({ testTimeout: 120_000 });

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const SECRETS = { NEXTAUTH_SECRET: 'a-production-secret-0123456789', MONITOR_TOKEN: 'a-production-monitor-token-0123' };

function run(script: string, args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const clean: NodeJS.ProcessEnv = { ...process.env };
    for (const k of ['DATABASE_URL', 'NEXTAUTH_SECRET', 'MONITOR_TOKEN', 'SYNCWATCH_DEMO']) delete clean[k];
    const child = spawn(process.execPath, [tsx, path.join(root, 'scripts', script), ...args], {
      cwd: root,
      // A port nothing uses, so a test never collides with a running app.
      env: { ...clean, PORT: '39017', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

/** Tables in the database at `url`: 0 while nothing has touched it. */
async function tablesIn(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`)).rows[0]!.n;
  } finally {
    await c.end();
  }
}

const emptyDb = `serve_empty_${process.pid}`;
let emptyUrl = '';
beforeAll(async () => {
  const c = await rawClient();
  await c.query(`CREATE DATABASE ${emptyDb}`);
  await c.end();
  const u = new URL(testDatabaseUrl);
  u.pathname = `/${emptyDb}`;
  emptyUrl = u.toString();
});
afterAll(async () => {
  const c = await rawClient();
  await c.query(`DROP DATABASE IF EXISTS ${emptyDb} WITH (FORCE)`);
  await c.end();
});

describe('npm start', () => {
  it('refuses a DATABASE_URL without --demo, naming the production command, and writes nothing', async () => {
    const r = await run('start.ts', [], { DATABASE_URL: emptyUrl });
    expect(r.code).toBe(1);
    expect(r.out).toContain('npm run serve');
    expect(r.out).toContain('npm start -- --demo');
    expect(await tablesIn(emptyUrl)).toBe(0);
  });
});

describe('npm run serve', () => {
  it('needs DATABASE_URL', async () => {
    const r = await run('serve.ts', [], SECRETS);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^syncwatch: DATABASE_URL must be set/m);
  });

  it('refuses the demo secrets before touching the database (it is not even reachable)', async () => {
    const r = await run('serve.ts', [], { DATABASE_URL: 'postgresql://nobody:nothing@127.0.0.1:1/none' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/NEXTAUTH_SECRET and MONITOR_TOKEN must be set to your own secret in production/);
    expect(r.out).not.toMatch(/connect|ECONNREFUSED/i);
    expect(r.out.trim().split('\n')).toHaveLength(1);
  });

  it('with --no-migrate, refuses to start while migrations are pending, and says how many', async () => {
    const r = await run('serve.ts', ['--no-migrate'], { ...SECRETS, DATABASE_URL: emptyUrl });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/syncwatch: \d+ migration\(s\) pending: run without --no-migrate, or npm run db:migrate\./);
    expect(await tablesIn(emptyUrl)).toBe(0);
  });

  it('refuses an unknown option', async () => {
    const r = await run('serve.ts', ['--seed'], { ...SECRETS, DATABASE_URL: emptyUrl });
    expect(r.code).toBe(1);
    expect(r.out).toContain('unknown option --seed');
  });
});
