import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyPassword } from '../../lib/auth/password';
import { db, rawClient } from '../support/db';
import { syncwatch, syncwatchWithInput } from '../support/cli';

/**
 * `syncwatch users` spawned as the real bin against this file's database: a password only from
 * stdin, a generated one printed once, never from argv; the list without hashes; role, disable,
 * enable, reset-password; hostile input refused with exit 2 and nothing saved. The tests run in
 * order on one set of accounts, to keep the number of spawns low.
 */

vi.setConfig({ testTimeout: 180_000 });

const PASSWORD = 'first-admin-passphrase-2024';
let c: pg.Client;
const staffRows = async () =>
  (await c.query(`SELECT email, role, disabled_at IS NOT NULL AS disabled FROM users WHERE role <> 'STUDENT' ORDER BY email`)).rows;
const hashOf = async (email: string) => (await c.query(`SELECT password_hash FROM users WHERE email = $1`, [email])).rows[0]?.password_hash;
const sessionVersionOf = async (email: string) =>
  (await c.query(`SELECT session_version FROM users WHERE email = $1`, [email])).rows[0]?.session_version;

beforeAll(async () => {
  c = await rawClient();
  await c.query(`DELETE FROM users WHERE role <> 'STUDENT'`);
});
afterAll(async () => {
  await c.end();
});

describe('syncwatch users', () => {
  it('add --password-stdin creates the first admin, who can sign in with that password', async () => {
    const r = await syncwatchWithInput(
      `${PASSWORD}\nignored second line\n`,
      'users',
      'add',
      '--email',
      'Root@Example.org',
      '--name',
      'Root',
      '--role',
      'admin',
      '--password-stdin',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Added ADMIN root@example\.org/);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(await staffRows()).toEqual([{ email: 'root@example.org', role: 'ADMIN', disabled: false }]);
    expect(await verifyPassword(await hashOf('root@example.org'), PASSWORD)).toBe(true);
    const audit = await db.auditEvent.findMany({ where: { action: 'STAFF_ADDED' }, select: { actor: true, source: true } });
    expect(audit).toEqual([{ actor: 'cli', source: 'CLI' }]);
  });

  it('add --generate prints a one-time password once, alone on stdout', async () => {
    const r = await syncwatch('users', 'add', '--email', 'viewer@example.org', '--name', 'Vi', '--role', 'VIEWER', '--generate');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^[A-Za-z0-9_-]{24}\n$/);
    expect(r.stderr).toMatch(/shown this once/);
    expect(await verifyPassword(await hashOf('viewer@example.org'), r.stdout.trim())).toBe(true);
  });

  it('refuses a password in argv, a missing password source, and hostile input: exit 2, nothing saved', async () => {
    const before = await staffRows();
    const base = ['users', 'add', '--name', 'X', '--role', 'VIEWER'];
    const cases: [string[], RegExp, string?][] = [
      [[...base, '--email', 'x@example.org', '--password', PASSWORD], /Unknown option '--password'/],
      [[...base, '--email', 'x@example.org', `--password=${PASSWORD}`], /Unknown option/],
      [[...base, '--email', 'x@example.org'], /no password given/], // stdin is not a terminal
      [[...base, '--email', 'not an email', '--password-stdin'], /email/, PASSWORD],
      [
        ['users', 'add', '--email', 'x@example.org', '--name', 'X', '--role', 'STUDENT', '--password-stdin'],
        /--role must be one of/,
        PASSWORD,
      ],
      [[...base, '--email', 'x@example.org', '--password-stdin'], /at least 12/, 'short'],
      [[...base, '--email', 'x@example.org', '--password-stdin'], /common passwords/, 'Qwerty123456'],
      [[...base, '--email', 'x@example.org', '--password-stdin', '--generate'], /not both/, PASSWORD],
      [['users', 'role', 'root@example.org', 'SUPERUSER'], /ROLE must be one of/],
      [['users', 'disable', "x' OR 1=1 --"], /is not an email/],
      [['users', 'frobnicate'], /unknown subcommand/],
    ];
    for (const [args, message, input] of cases) {
      const r = input === undefined ? await syncwatch(...args) : await syncwatchWithInput(`${input}\n`, ...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout + r.stderr).not.toMatch(/argon2/);
    }
    expect(await staffRows()).toEqual(before);
  });

  it('list shows every account without a hash, as a table or JSON', async () => {
    const table = await syncwatch('users', 'list');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/EMAIL\s+NAME\s+ROLE\s+STATUS/);
    expect(table.stdout).toMatch(/root@example\.org\s+Root\s+ADMIN\s+enabled/);
    const json = await syncwatch('users', 'list', '--json');
    expect(json.code, json.stderr).toBe(0);
    const list = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(list.map((s) => [s.email, s.role, s.disabled])).toEqual([
      ['root@example.org', 'ADMIN', false],
      ['viewer@example.org', 'VIEWER', false],
    ]);
    expect(json.stdout + table.stdout).not.toMatch(/argon2|passwordHash|password_hash/);
  });

  it('role, disable, enable and reset-password; the last admin is kept', async () => {
    const lastAdmin = await syncwatch('users', 'disable', 'root@example.org');
    expect(lastAdmin.code).toBe(1);
    expect(lastAdmin.stderr).toMatch(/would leave no admin/);
    const unknown = await syncwatch('users', 'enable', 'nobody@example.org');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no staff account/);

    const role = await syncwatch('users', 'role', 'viewer@example.org', 'ADMIN');
    expect(role.code, role.stderr).toBe(0);
    expect(role.stdout).toMatch(/is now ADMIN/);
    const disable = await syncwatch('users', 'disable', 'root@example.org');
    expect(disable.code, disable.stderr).toBe(0);
    expect(await staffRows()).toEqual([
      { email: 'root@example.org', role: 'ADMIN', disabled: true },
      { email: 'viewer@example.org', role: 'ADMIN', disabled: false },
    ]);
    const enable = await syncwatch('users', 'enable', 'root@example.org');
    expect(enable.code, enable.stderr).toBe(0);
    expect((await staffRows())[0]).toMatchObject({ disabled: false });

    // The disable ended the account's sessions (version 2). A weak password changes nothing; a
    // good one sets it and bumps the session version again, which ends the sessions since.
    const next = 'second-admin-passphrase-99';
    expect(await sessionVersionOf('root@example.org')).toBe(2);
    const weak = await syncwatchWithInput('admin-demo-password\n', 'users', 'reset-password', 'root@example.org', '--password-stdin');
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/demo password/);
    expect(await sessionVersionOf('root@example.org')).toBe(2);
    const reset = await syncwatchWithInput(`${next}\r\n`, 'users', 'reset-password', 'root@example.org', '--password-stdin');
    expect(reset.code, reset.stderr).toBe(0);
    expect(await verifyPassword(await hashOf('root@example.org'), next)).toBe(true);
    expect(await sessionVersionOf('root@example.org')).toBe(3);
    expect(await sessionVersionOf('viewer@example.org')).toBe(1);
    const actions = await db.auditEvent.findMany({
      where: { action: { startsWith: 'STAFF_' } },
      orderBy: { id: 'asc' },
      select: { action: true },
    });
    expect(actions.map((a) => a.action)).toEqual([
      'STAFF_ADDED',
      'STAFF_ADDED',
      'STAFF_ROLE_CHANGED',
      'STAFF_DISABLED',
      'STAFF_ENABLED',
      'STAFF_PASSWORD_RESET',
    ]);
  });
});
