import { spawn } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rawClient, testDatabaseUrl } from '../support/db';
import { createPair } from '../support/factories';

/** The operator CLI, fed hostile arguments: a usage error (exit 2) and nothing written. */
const root = path.resolve(import.meta.dirname, '../..');
vi.setConfig({ testTimeout: 300_000 });

function syncwatch(...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'scripts/syncwatch.mjs'), ...args], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: testDatabaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

let c: pg.Client;
beforeAll(async () => {
  c = await rawClient();
  await createPair(c, { progressLevel: 3, licenseLevel: 1 });
});
afterAll(async () => {
  await c.end();
});

const counts = async () =>
  (
    await c.query(
      `SELECT (SELECT count(*) FROM sync_jobs)::int AS jobs,
              (SELECT count(*) FROM audit_events)::int AS audit,
              (SELECT string_agg(current_level::text, ',') FROM user_licenses) AS levels`,
    )
  ).rows[0];

describe('CLI hostile arguments', () => {
  it.each([
    [['jobs', '--limit', '-1']],
    [['jobs', '--limit', '1.5']],
    [['jobs', '--limit', 'NaN']],
    [['jobs', '--limit', 'Infinity']],
    [['jobs', '--limit', '99999999999999999999']],
    [['jobs', '--limit', '1; DROP TABLE users']],
    [['sync', '--reason', '<600 characters>']],
    [['sync', '--dry-run', '--unknown']],
    [['sync', '--reason']],
    [['sync', '--kind', 'CHEF']],
    [['sync', '--specialization', 'player']],
    [['sync', '--learner', '-1']],
    [['sync', '--learner', '1 OR 1=1']],
    [['sync', '--caused-by', '']],
    [['sync', '--search', '<600 characters>']],
    [['jobs', 'cancel']],
    [['jobs', 'cancel', 'abc']],
    [['jobs', 'cancel', '0']],
    [['jobs', 'undo', '1']],
    [['jobs', 'undo', '1', '--reason', '   ']],
    [['jobs', 'drop', '1']],
    [['<script>alert(1)</script>']],
    [['check', '--json', 'extra']],
  ])('%j is refused with a usage error and writes nothing', async (args) => {
    const before = await counts();
    const { code, out } = await syncwatch(...args.map((a) => (a === '<600 characters>' ? 'x'.repeat(600) : a)));
    expect(code).toBe(2);
    expect(out).not.toMatch(/\n\s+at /); // a sentence, never a stack trace
    expect(await counts()).toEqual(before);
  });
});
