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
              (SELECT count(*) FROM notification_channels)::int AS channels,
              (SELECT count(*) FROM maintenance_windows)::int AS windows,
              (SELECT count(*) FROM deliveries)::int AS deliveries,
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
    [['alerts']],
    [['alerts', 'frobnicate']],
    [['alerts', 'add-webhook', 'file:///etc/passwd', '--name', 'x']],
    [['alerts', 'add-webhook', 'ftp://example.com/hook', '--name', 'x']],
    [['alerts', 'add-webhook', 'javascript:alert(1)', '--name', 'x']],
    [['alerts', 'add-webhook', 'example.com/hook', '--name', 'x']],
    [['alerts', 'add-webhook', 'https://example.com/<3000 characters>', '--name', 'x']],
    [['alerts', 'add-webhook', 'https://user:pass@example.com/hook', '--name', 'x']],
    [['alerts', 'add-webhook', 'http://169.254.169.254/latest/meta-data/', '--name', 'x']],
    [['alerts', 'add-webhook', 'http://127.0.0.1:9/hook', '--name', 'x']],
    [['alerts', 'add-webhook', 'https://no-such-host.invalid/hook', '--name', 'x']],
    [['alerts', 'add-webhook', 'https://example.com/hook', '--name', 'x', '--secret', 'short']],
    [['alerts', 'add-webhook', 'https://example.com/hook', '--name', '<script>']],
    [['alerts', 'add-webhook', 'https://example.com/hook', '--name', 'x', '--condition', 'CHEF']],
    [['alerts', 'add-webhook', 'https://example.com/hook']],
    [['alerts', 'add-webhook', '--name', 'x']],
    [['alerts', 'add-slack', 'https://example.com/hook', '--name', 'x', '--secret', '0123456789abcdef0123']],
    [['alerts', 'add-email', 'not-an-address', '--name', 'x']],
    [['alerts', 'add-email', 'a@', '--name', 'x']],
    [['alerts', 'add-email', '@example.com', '--name', 'x']],
    [['alerts', 'add-email', 'a b@example.com', '--name', 'x']],
    [['alerts', 'mute', '--until', 'tomorrow', '--reason', 'r']],
    [['alerts', 'mute', '--until', '2020-01-01T00:00:00Z', '--reason', 'r']],
    [['alerts', 'mute', '--until', '2999-01-01T00:00:00Z', '--reason', 'r']],
    [['alerts', 'mute', '--until', '<in an hour>', '--reason', '   ']],
    [['alerts', 'mute', '--until', '<in an hour>']],
    [['alerts', 'mute', '--until', '<in an hour>', '--reason', 'r', '--condition', 'orphans_present']],
    [['alerts', 'mute', '--reason', 'r']],
    [['alerts', 'remove']],
    [['alerts', 'test']],
    [['alerts', 'test', 'a', 'b']],
    [['alerts', 'unmute', 'abc']],
    [['alerts', 'unmute', '0']],
    [['alerts', 'list', 'extra']],
    [['alerts', 'list', '--secret', 'x']],
    [['alerts', 'incidents', '--until', '2030-01-01T00:00:00Z']],
  ])('%j is refused with a usage error and writes nothing', async (args) => {
    const before = await counts();
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    const { code, out } = await syncwatch(
      ...args.map((a) =>
        a === '<600 characters>' ? 'x'.repeat(600) : a === '<in an hour>' ? inAnHour : a.replace('<3000 characters>', 'a'.repeat(3000)),
      ),
    );
    expect(code).toBe(2);
    expect(out).not.toMatch(/\n\s+at /); // a sentence, never a stack trace
    expect(await counts()).toEqual(before);
  });
});
