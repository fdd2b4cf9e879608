import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authenticateApiKey, hashToken } from '../../lib/api/keys';
import { db, rawClient } from '../support/db';
import { syncwatch } from '../support/cli';

/**
 * `syncwatch api-keys` spawned as the real bin against this file's database: the token on
 * stdout alone (so a script can capture it), the warning on stderr, exit codes, the list, and
 * revocation. The tests run in order on one set of keys, to keep the number of spawns low.
 */

vi.setConfig({ testTimeout: 180_000 });

let c: pg.Client;
let token = '';
beforeAll(async () => {
  c = await rawClient();
  await c.query(`TRUNCATE api_keys CASCADE`);
});
afterAll(async () => {
  await c.end();
});

describe('syncwatch api-keys', () => {
  it('create prints the token once, alone on stdout, with a warning on stderr', async () => {
    const r = await syncwatch('api-keys', 'create', '--name', 'lms', '--scope', 'progress:write', '--scope', 'learners:read');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^swk_[A-Za-z0-9_-]{43}\n$/);
    token = r.stdout.trim();
    expect(r.stderr).toMatch(/Created API key lms/);
    expect(r.stderr).toMatch(/shown this once/);
    expect(r.stderr).not.toContain(token.slice(12));
    const { rows } = await c.query(`SELECT name, scopes, created_by, token_hash, prefix FROM api_keys`);
    expect(rows).toEqual([
      {
        name: 'lms',
        scopes: ['learners:read', 'progress:write'],
        created_by: 'cli',
        token_hash: hashToken(token),
        prefix: token.slice(0, 12),
      },
    ]);
    expect(await authenticateApiKey(db, token)).toMatchObject({ name: 'lms' });
    const audit = await c.query(`SELECT action, actor, source FROM audit_events WHERE action = 'API_KEY_CREATED'`);
    expect(audit.rows).toEqual([{ action: 'API_KEY_CREATED', actor: 'cli', source: 'CLI' }]);
  });

  it('refuses bad usage with exit 2 and a taken name with exit 1, creating nothing', async () => {
    const noScope = await syncwatch('api-keys', 'create', '--name', 'crm');
    expect(noScope.code).toBe(2);
    expect(noScope.stderr).toContain('--scope is required');
    const badScope = await syncwatch('api-keys', 'create', '--name', 'crm', '--scope', 'admin');
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain('--scope must be one of learners:read');
    const noSub = await syncwatch('api-keys');
    expect(noSub.code).toBe(2);
    expect(noSub.stderr).toContain('needs a subcommand');
    const taken = await syncwatch('api-keys', 'create', '--name', 'lms', '--scope', 'learners:read');
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('already exists');
    expect(taken.stdout).toBe('');
    expect((await c.query(`SELECT name FROM api_keys`)).rows).toEqual([{ name: 'lms' }]);
  });

  it('lists keys with prefix, scopes and dates, never the token', async () => {
    await c.query(`UPDATE api_keys SET last_used_at = now()`);
    const r = await syncwatch('api-keys', 'list');
    expect(r.code, r.stderr).toBe(0);
    const [header, row] = r.stdout.trim().split('\n');
    expect(header).toMatch(/^NAME\s+PREFIX\s+SCOPES\s+CREATED\s+LAST USED\s+REVOKED$/);
    expect(row).toMatch(new RegExp(`^lms\\s+${token.slice(0, 12)}\\s+learners:read,progress:write\\s+\\d{4}-\\S+Z\\s+\\d{4}-\\S+Z\\s+-$`));
    expect(r.stdout).not.toContain(token.slice(12));
    const json = await syncwatch('api-keys', 'list', '--json');
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ name: 'lms', prefix: token.slice(0, 12), revokedAt: null })]);
    expect(json.stdout).not.toContain(token.slice(12));
  });

  it('revokes at once; revoking again or an unknown name exits 1', async () => {
    const r = await syncwatch('api-keys', 'revoke', 'lms');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Revoked API key lms/);
    expect(await authenticateApiKey(db, token)).toBeNull();
    const again = await syncwatch('api-keys', 'revoke', 'lms');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already revoked');
    const unknown = await syncwatch('api-keys', 'revoke', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no API key named nope');
    const list = await syncwatch('api-keys', 'list');
    expect(list.stdout.trim().split('\n')[1]).toMatch(/\d{4}-\S+Z$/);
  });
});
