import { readFileSync } from 'node:fs';
import { expect, runFullAudit, signIn, staff, test } from './fixtures';
import { appEnvOfRun, runValue, STAFF } from './support/run';

/**
 * The server's log (lib/log.ts) as an operator reads it, after the whole suite ran against the
 * server (this project runs last): JSON lines with a request id, the actor and a duration for
 * routes and actions; and not one secret, password, token or cookie anywhere in the file.
 */

interface Line {
  msg?: string;
  reqId?: string;
  actor?: string;
  status?: number;
  ms?: number;
  method?: string;
  path?: string;
  action?: string;
  ok?: boolean;
}

const WRONG_PASSWORD = 'not-the-password-logs-spec-5521';
const LOOKALIKE_KEY = 'swk_notARealKeyButShapedLikeOne1234567890';

function serverLog(): { text: string; lines: Line[] } {
  const text = readFileSync(runValue('serverLog'), 'utf8');
  const lines = text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
  return { text, lines };
}

test.describe.serial('the server log', () => {
  test('1. routes log their request id, actor, status and duration; the id is the caller X-Request-Id', async ({ request }) => {
    const res = await request.get('/api/dashboard', { headers: { 'X-Request-Id': 'e2e-logs-trace-1' } });
    expect(res.status()).toBe(200);
    expect(res.headers()['x-request-id']).toBe('e2e-logs-trace-1');

    const { MONITOR_TOKEN } = appEnvOfRun();
    const metrics = await request.get('/api/metrics', { headers: { Authorization: `Bearer ${MONITOR_TOKEN}` } });
    expect(metrics.status()).toBe(200);
    const unknownKey = await request.get('/api/v1/learners/1', { headers: { Authorization: `Bearer ${LOOKALIKE_KEY}` } });
    expect(unknownKey.status()).toBe(401);
    const generated = unknownKey.headers()['x-request-id'];
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);

    await expect
      .poll(() => serverLog().lines.find((l) => l.msg === 'request' && l.reqId === 'e2e-logs-trace-1'))
      .toMatchObject({ method: 'GET', path: '/api/dashboard', status: 200, actor: STAFF.admin.email, ms: expect.any(Number) });
    const lines = serverLog().lines;
    expect(lines.find((l) => l.reqId === generated)).toMatchObject({ path: '/api/v1/learners/1', status: 401 });
    expect(lines.find((l) => l.msg === 'request' && l.path === '/api/metrics' && l.actor === 'monitor token')).toBeTruthy();
  });

  test('2. a server action logs its name, actor, outcome and duration', async ({ page, sql }) => {
    await runFullAudit(page, sql);
    await expect
      .poll(() => serverLog().lines.find((l) => l.msg === 'action' && l.action === 'FULL_AUDIT' && l.actor === STAFF.admin.email))
      .toMatchObject({ ok: true, reqId: expect.any(String), ms: expect.any(Number) });
  });

  test('3. no secret, password, token or cookie appears anywhere in the log', async ({ anonPage, consoleGuard }) => {
    // Credentials that must not be echoed: a wrong password typed at sign-in.
    consoleGuard.allow(/status of 401/); // next-auth answers a failed credentials sign-in with 401
    await signIn(anonPage, staff('admin').email, WRONG_PASSWORD);
    await expect(anonPage).toHaveURL((url) => url.pathname === '/login');

    const env = appEnvOfRun();
    const { text, lines } = serverLog();
    // Run after the whole suite, the log holds hundreds of lines; run alone, those of this spec.
    expect(lines.filter((l) => l.msg === 'request' || l.msg === 'action').length).toBeGreaterThan(5);
    const forbidden = [
      env.NEXTAUTH_SECRET!,
      env.MONITOR_TOKEN!,
      STAFF.admin.password,
      STAFF.viewer.password,
      WRONG_PASSWORD,
      LOOKALIKE_KEY,
    ];
    for (const value of forbidden) expect(text, 'a configured or typed secret in the server log').not.toContain(value);
    const shapes: [string, RegExp][] = [
      ['an API key', /swk_[A-Za-z0-9_-]{20,}/],
      ['a session cookie', /next-auth\.[\w.-]+=(?!\[redacted\])[^;\s"]{8,}/],
      ['a JWT', /eyJ[A-Za-z0-9_-]{16,}\./],
      ['a password hash', /\$argon2id?\$/],
      ['a bearer token', /Bearer\s+(?!\[redacted\])[A-Za-z0-9_-]{12,}/],
    ];
    for (const [what, pattern] of shapes) expect(pattern.exec(text)?.[0], `${what} in the server log`).toBeUndefined();
  });
});
