import type { Page } from '@playwright/test';
import type pg from 'pg';
import { expect, test } from './fixtures';
import { readFileSync } from 'node:fs';
import { freePort } from '../tooling/build';
import { createFactory, type Learner } from './support/factory';
import {
  addStaffAccounts,
  createApiKeys,
  createInstanceDatabase,
  groupAlive,
  INSTANCES_SQL_APPLICATION_NAME,
  jsonLogLines,
  migrate,
  openPage,
  pidOfInstanceId,
  probe,
  secret,
  signInAt,
  startInstances,
  startWithNpm,
  submitSignIn,
  type Instance,
  type InstanceDatabase,
  type StaffAccount,
} from './support/instances';

/**
 * Several instances on one PostgreSQL (README "Several instances on one PostgreSQL", issue 16):
 * two production servers of the E2E build, A and B, on a database of this spec's own, with the
 * same secrets and schedules. A session made on one is valid on the other, a role change made on
 * one applies on the other, each schedule occurrence runs once across both, the sign-in and API
 * limits are counted once for both, B keeps serving and scheduling when A is killed, B shuts
 * down gracefully on SIGTERM, and so does `npm run serve` when npm alone gets the signal.
 */

/** A snapshot every 2 seconds (6 fields: seconds first), so that occurrences come fast. */
const HEALTH_CHECK_CRON = '*/2 * * * * *';
const HEALTH_CHECK_EVERY_MS = 2_000;
/** Never within a run: only the snapshot schedule (and the hourly retention) is due. */
const RARE_CRON = '0 0 1 1 *';
/** The lowest the configuration allows: a claim with no heartbeat for 10 s is abandoned. */
const HEARTBEAT_TIMEOUT_SECONDS = 10;
const LOGIN_MAX_ATTEMPTS = 3;
const LOGIN_MAX_ATTEMPTS_PER_ADDRESS = 4;
const API_RATE_LIMIT_PER_MINUTE = 4;
const SHUTDOWN_BOUND_MS = 30_000;

const INVALID = 'Invalid email or password';
const THROTTLED = 'Too many sign-in attempts. Wait a few minutes, then try again.';

const tag = `inst${secret(3)}`;
const STAFF = {
  admin: { email: `${tag}-admin@staff.e2e.test`, password: `${tag} admin password`, role: 'ADMIN' },
  viewer: { email: `${tag}-viewer@staff.e2e.test`, password: `${tag} viewer password`, role: 'VIEWER' },
  /** Only the limiter's test signs in (and fails) as this one. */
  limited: { email: `${tag}-limited@staff.e2e.test`, password: `${tag} limited password`, role: 'VIEWER' },
} satisfies Record<string, StaffAccount>;

type StorageState = Awaited<ReturnType<ReturnType<Page['context']>['storageState']>>;

type Run = {
  id: number;
  schedule: string;
  occurrence: Date;
  status: string;
  instance_id: string;
  health_check_id: number | null;
  detail: string | null;
};

test.describe.serial('several instances on one PostgreSQL', () => {
  let db: InstanceDatabase;
  let a: Instance;
  let b: Instance;
  let learner: Learner;
  let tokens: Record<string, string>;
  let adminState: StorageState;
  let shared: Record<string, string>;
  const pages: Page[] = [];

  /** A page of its own context, closed after the test (no page outlives the server it talks to). */
  const open = async (...args: Parameters<typeof openPage>) => {
    const page = await openPage(...args);
    pages.push(page);
    return page;
  };

  const runs = (schedule = 'HEALTH_CHECK') =>
    db.sql<Run>(
      `SELECT id, schedule::text, occurrence_at AS occurrence, status::text, instance_id, health_check_id, detail
         FROM schedule_runs WHERE schedule = $1::"ScheduleName" ORDER BY occurrence_at`,
      [schedule],
    );

  const labelOf = (instanceId: string) => [a, b].find((i) => i.pid === pidOfInstanceId(instanceId))?.label ?? `? (${instanceId})`;

  /** Gaps in a list of occurrences of the snapshot schedule (ms between neighbours other than its period). */
  const gaps = (list: Run[]) =>
    list.slice(1).flatMap((r, i) => {
      const gap = r.occurrence.getTime() - list[i]!.occurrence.getTime();
      return gap === HEALTH_CHECK_EVERY_MS ? [] : [`${list[i]!.occurrence.toISOString()} -> ${r.occurrence.toISOString()}`];
    });

  test.beforeAll(async ({}, testInfo) => {
    testInfo.setTimeout(180_000);
    db = await createInstanceDatabase();
    await migrate(db.url);
    await addStaffAccounts(db.url, Object.values(STAFF));
    // Learners with pairs (legacy-style inserts, as the other specs' factory makes them): one desync.
    const { factory } = createFactory(db.sql);
    learner = (
      await factory.learners(4, (i) => [
        { spec: 'PLAYER', progressLevel: 2, licenseLevel: i === 3 ? 1 : 2 },
        { spec: 'COACH', progressLevel: 1, licenseLevel: 1 },
      ])
    )[0]!;
    tokens = await createApiKeys(db.url, ['e2e-limit', 'e2e-in-flight'], ['learners:read']);

    shared = {
      NEXTAUTH_SECRET: secret(),
      MONITOR_TOKEN: secret(24),
      SCHEDULER_ENABLED: 'true',
      HEALTH_CHECK_CRON,
      AUDIT_CRON: RARE_CRON,
      SYNC_CRON: RARE_CRON,
      SCHEDULE_TIMEZONE: 'UTC',
      JOB_HEARTBEAT_TIMEOUT_SECONDS: String(HEARTBEAT_TIMEOUT_SECONDS),
      LOGIN_MAX_ATTEMPTS: String(LOGIN_MAX_ATTEMPTS),
      LOGIN_MAX_ATTEMPTS_PER_ADDRESS: String(LOGIN_MAX_ATTEMPTS_PER_ADDRESS),
      LOGIN_WINDOW_SECONDS: '900',
      API_RATE_LIMIT_PER_MINUTE: String(API_RATE_LIMIT_PER_MINUTE),
      DATABASE_POOL_SIZE: '5',
      DASHBOARD_POLL_SECONDS: '60',
      FOREIGN_WRITES: 'observe',
      // The "shut down" line is info; a stuck shutdown gives up (exit 1) well within SHUTDOWN_BOUND_MS.
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_SECONDS: '20',
    };
    const started = await startInstances(db.url, ['A', 'B'], shared);
    [a, b] = [started[0]!, started[1]!];
    testInfo.annotations.push({ type: 'instances', description: `A ${a.baseUrl} (pid ${a.pid}), B ${b.baseUrl} (pid ${b.pid})` });
  });

  test.afterEach(async () => {
    for (const page of pages.splice(0)) await page.context().close();
  });

  test.afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map((i) => i.server.stop()));
    await db?.drop();
  });

  test('a sign-in on A gives a session that B accepts', async ({ browser, consoleGuard }) => {
    const page = await open(browser, consoleGuard);
    await signInAt(page, a.baseUrl, STAFF.admin.email, STAFF.admin.password);
    await expect(page).toHaveURL(`${a.baseUrl}/`);
    await expect(page.getByRole('banner').getByText(STAFF.admin.email)).toBeVisible();
    const session = (await page.context().cookies(a.baseUrl)).find((c) => /^(__Secure-)?next-auth\.session-token$/.test(c.name));
    expect(session, 'a session cookie after the sign-in on A').toBeDefined();
    expect(session!.domain, 'a host-only cookie of 127.0.0.1 (cookies ignore ports)').toBe('127.0.0.1');

    // The same browser context on B: the cookie goes along, B verifies it with the shared secret.
    await page.goto(`${b.baseUrl}/`);
    await expect(page).toHaveURL(`${b.baseUrl}/`);
    const banner = page.getByRole('banner');
    await expect(banner.getByText(STAFF.admin.email)).toBeVisible();
    await expect(banner.getByText('ADMIN', { exact: true })).toBeVisible();

    // The cookies copied to a context of their own, and an authenticated route of B.
    adminState = await page.context().storageState();
    const onB = await open(browser, consoleGuard, { storageState: adminState });
    const res = await onB.request.get(`${b.baseUrl}/api/dashboard`, { maxRedirects: 0 });
    expect(res.status()).toBe(200);
    // B reads this spec's database: 4 learners with 2 pairs each.
    expect(((await res.json()) as { latest: { totalPairs: number } | null }).latest?.totalPairs).toBe(8);
    // Without them, B refuses the same route and sends the page to /login.
    const anon = await open(browser, consoleGuard);
    expect([401, 403]).toContain((await anon.request.get(`${b.baseUrl}/api/dashboard`, { maxRedirects: 0 })).status());
    await anon.goto(`${b.baseUrl}/`);
    await expect(anon).toHaveURL((url) => url.pathname === '/login');
  });

  test('a role change made on A applies at once to a session on B, and back', async ({ browser, consoleGuard }) => {
    const { email } = STAFF.viewer;
    const viewer = await open(browser, consoleGuard);
    await signInAt(viewer, b.baseUrl, email, STAFF.viewer.password);
    await expect(viewer).toHaveURL(`${b.baseUrl}/`);
    await expect(viewer.getByRole('banner').getByText('VIEWER', { exact: true })).toBeVisible();

    // An ADMIN-only route and page of B: refused to the VIEWER (the route checks the role first:
    // an ADMIN gets 404 for a delivery that does not exist).
    const adminOnly = async () =>
      (await viewer.request.get(`${b.baseUrl}/api/notifications/deliveries/999999`, { maxRedirects: 0 })).status();
    const staffPageShown = async () => {
      await viewer.goto(`${b.baseUrl}/settings/staff`);
      return (
        new URL(viewer.url()).pathname === '/settings/staff' &&
        (await viewer.getByRole('heading', { name: 'Staff', level: 1 }).count()) === 1
      );
    };
    expect(await adminOnly()).toBe(403);
    expect(await staffPageShown()).toBe(false);

    const admin = await open(browser, consoleGuard, { storageState: adminState });
    const setRole = async (role: 'ADMIN' | 'VIEWER') => {
      await admin.goto(`${a.baseUrl}/settings/staff`);
      await expect(admin.getByRole('heading', { name: 'Staff', level: 1 })).toBeVisible();
      await admin.getByRole('combobox', { name: `Role of ${email}`, exact: true }).selectOption(role);
      await admin.getByRole('button', { name: `Change role of ${email}` }).click();
      await expect(admin.getByRole('status').getByText(`${email} is now ${role}.`)).toBeVisible();
      const [row] = await db.sql<{ role: string }>('SELECT role::text FROM users WHERE email = $1', [email]);
      expect(row!.role).toBe(role);
    };

    await setRole('ADMIN');
    // The viewer's existing session on B, not signed in again: the role is read per request.
    expect(await adminOnly()).toBe(404);
    expect(await staffPageShown()).toBe(true);
    await expect(viewer.getByRole('banner').getByText('ADMIN', { exact: true })).toBeVisible();

    await setRole('VIEWER');
    expect(await adminOnly()).toBe(403);
    expect(await staffPageShown()).toBe(false);
  });

  test('each occurrence of the snapshot schedule runs once across both instances, none missed', async () => {
    // Both instances claim every occurrence; poll until they have each won some.
    await expect
      .poll(
        async () => {
          const list = await runs();
          return { enough: list.length >= 6, winners: [...new Set(list.map((r) => labelOf(r.instance_id)))].sort() };
        },
        { message: 'six occurrences or more, won by both A and B', timeout: 40_000, intervals: [500] },
      )
      .toEqual({ enough: true, winners: ['A', 'B'] });

    // One claim per (schedule, occurrence) for every schedule (the unique index says so; so does this).
    const dupes = await db.sql(`SELECT schedule, occurrence_at, count(*)::int AS n FROM schedule_runs GROUP BY 1, 2 HAVING count(*) > 1`);
    expect(dupes).toEqual([]);

    // A moment with no snapshot running: every snapshot recorded belongs to exactly one succeeded
    // claim, and every succeeded claim has its own. One statement, one view of the tables.
    type Tally = { running: number; succeeded: number; linked: number; distinct_linked: number; checks: number; failed: string[] };
    let tally: Tally | undefined;
    await expect
      .poll(
        async () => {
          [tally] = await db.sql<Tally>(
            `SELECT count(*) FILTER (WHERE r.status = 'RUNNING')::int AS running,
                    count(*) FILTER (WHERE r.status = 'SUCCEEDED')::int AS succeeded,
                    count(r.health_check_id) FILTER (WHERE r.status = 'SUCCEEDED')::int AS linked,
                    count(DISTINCT r.health_check_id)::int AS distinct_linked,
                    (SELECT count(*)::int FROM health_checks) AS checks,
                    coalesce(array_agg(r.status || ': ' || coalesce(r.detail, ''))
                               FILTER (WHERE r.status NOT IN ('RUNNING', 'SUCCEEDED', 'SKIPPED')), '{}') AS failed
               FROM schedule_runs r WHERE r.schedule = 'HEALTH_CHECK'`,
          );
          return tally!.running;
        },
        { message: 'a moment with no snapshot running', timeout: 15_000, intervals: [100] },
      )
      .toBe(0);
    // SKIPPED would be an instance still busy with the previous one while the other was too: allowed, never FAILED.
    expect(tally!.failed, 'no snapshot failed or was abandoned').toEqual([]);
    expect(tally!.linked, 'every succeeded snapshot claim names its health check').toBe(tally!.succeeded);
    expect(tally!.distinct_linked, 'no health check is claimed by two occurrences').toBe(tally!.succeeded);
    expect(tally!.checks, 'one health check per occurrence, none recorded twice').toBe(tally!.succeeded);

    // Consecutive: every occurrence from the first claimed one on is there (none fell between the instances).
    const list = await runs();
    expect(gaps(list), `occurrences every ${HEALTH_CHECK_EVERY_MS} ms without a gap`).toEqual([]);
    const by = (label: string) => list.filter((r) => labelOf(r.instance_id) === label).length;
    test.info().annotations.push({ type: 'snapshot claims', description: `${list.length}: A ${by('A')}, B ${by('B')}` });
  });

  test('failed sign-ins on A count on B: per account and per client address', async ({ browser, consoleGuard }) => {
    consoleGuard.allow(/status of 401/); // next-auth answers a failed credentials sign-in with 401
    const failures = async (key: string) =>
      (await db.sql<{ failures: number }>(`SELECT failures FROM login_attempts WHERE key = $1`, [key]))[0]?.failures ?? 0;
    /** One failed attempt on the form the page shows, seen counted under `key`. */
    const fail = async (page: Page, email: string, key: string, count: number) => {
      await submitSignIn(page, email, `wrong password ${count}`);
      await expect.poll(() => failures(key), { message: `failure ${count} counted under ${key}` }).toBe(count);
      await expect(page.getByRole('alert').filter({ hasText: INVALID })).toHaveText(INVALID);
    };

    const { email, password } = STAFF.limited;
    const onA = await open(browser, consoleGuard);
    await onA.goto(`${a.baseUrl}/login`);
    for (let i = 1; i <= LOGIN_MAX_ATTEMPTS; i++) await fail(onA, email, `email:${email}`, i);
    // The right password, on the other instance: refused by the shared count.
    const onB = await open(browser, consoleGuard);
    await signInAt(onB, b.baseUrl, email, password);
    await expect(onB.getByRole('alert').filter({ hasText: THROTTLED })).toHaveText(THROTTLED);
    await expect(onB).toHaveURL((url) => url.pathname === '/login');
    expect((await onB.context().cookies()).filter((c) => /session-token/.test(c.name))).toEqual([]);
    expect(await failures(`email:${email}`), 'a refused attempt is not a failure').toBe(LOGIN_MAX_ATTEMPTS);

    // Per address (X-Forwarded-For, as a proxy passes it): failures of unknown accounts, half on A
    // and half on B, then the right password of another account from that address is refused on
    // both; from elsewhere it is not.
    const address = `203.0.113.${1 + Math.floor(Math.random() * 250)}`;
    const proxied = await open(browser, consoleGuard, { headers: { 'x-forwarded-for': address } });
    for (let i = 1; i <= LOGIN_MAX_ATTEMPTS_PER_ADDRESS; i++) {
      const instance = i <= LOGIN_MAX_ATTEMPTS_PER_ADDRESS / 2 ? a : b;
      if (!proxied.url().startsWith(`${instance.baseUrl}/login`)) await proxied.goto(`${instance.baseUrl}/login`);
      await fail(proxied, `${tag}-nobody-${i}@staff.e2e.test`, `ip:${address}`, i);
    }
    for (const instance of [b, a]) {
      await signInAt(proxied, instance.baseUrl, STAFF.viewer.email, STAFF.viewer.password);
      await expect(proxied.getByRole('alert').filter({ hasText: THROTTLED }), `refused on ${instance.label}`).toHaveText(THROTTLED);
    }
    const elsewhere = await open(browser, consoleGuard);
    await signInAt(elsewhere, a.baseUrl, STAFF.viewer.email, STAFF.viewer.password);
    await expect(elsewhere).toHaveURL(`${a.baseUrl}/`);
  });

  test("an API key's per-minute limit is spent across A and B", async () => {
    // The window is the database clock's minute: start early in one, so the requests share it.
    await expect
      .poll(async () => Number((await db.sql<{ s: number }>(`SELECT extract(second FROM now())::float AS s`))[0]!.s), {
        message: 'early enough in a minute',
        timeout: 15_000,
        intervals: [500],
      })
      .toBeLessThan(55);
    const get = (instance: Instance) =>
      fetch(`${instance.baseUrl}/api/v1/learners/${learner.id}`, { headers: { authorization: `Bearer ${tokens['e2e-limit']}` } });
    const served: string[] = [];
    for (let i = 0; i < API_RATE_LIMIT_PER_MINUTE; i++) {
      const instance = [a, b][i % 2]!;
      const res = await get(instance);
      expect(res.status, `request ${i + 1} (on ${instance.label})`).toBe(200);
      expect(((await res.json()) as { id: number }).id).toBe(learner.id);
      served.push(instance.label);
    }
    for (const instance of [b, a]) {
      const res = await get(instance);
      expect(res.status, `request past the limit on ${instance.label}`).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(((await res.json()) as { detail: string }).detail).toContain(`more than ${API_RATE_LIMIT_PER_MINUTE} requests this minute`);
    }
    const [window] = await db.sql<{ requests: number }>(
      `SELECT w.requests FROM api_rate_windows w JOIN api_keys k ON k.id = w.api_key_id WHERE k.name = 'e2e-limit'`,
    );
    expect(window?.requests, `one count for both (served on ${served.join(', ')})`).toBe(API_RATE_LIMIT_PER_MINUTE + 2);
  });

  test('SIGKILL of A: B keeps serving and runs every occurrence, and abandons what A left RUNNING', async ({ browser, consoleGuard }) => {
    test.setTimeout(90_000);
    // Snapshots block on health_checks while this transaction holds it: the next claims stay RUNNING.
    const lock: pg.Client = await db.connect();
    let killedAt = 0;
    let claimOfA: Run | undefined;
    try {
      await lock.query('BEGIN');
      const lockedAt = (await lock.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0]!.now.getTime();
      await lock.query('LOCK TABLE health_checks IN ACCESS EXCLUSIVE MODE');
      await expect
        .poll(
          async () => {
            claimOfA = (await runs()).find(
              (r) => r.status === 'RUNNING' && labelOf(r.instance_id) === 'A' && r.occurrence.getTime() > lockedAt,
            );
            return claimOfA !== undefined;
          },
          { message: 'a snapshot claim of A, RUNNING (held up by the lock)', timeout: 15_000, intervals: [200] },
        )
        .toBe(true);
      a.signal('SIGKILL');
      const end = await a.exited;
      expect(end.signal).toBe('SIGKILL');
      killedAt = (await db.sql<{ now: Date }>('SELECT now()'))[0]!.now.getTime();
    } finally {
      await lock.query('ROLLBACK').catch(() => {});
      await lock.end();
    }
    expect(await probe(`${a.baseUrl}/api/health/live`), 'A is gone').toBe('ECONNREFUSED');

    // B serves: its probes, and a signed-in page.
    expect(await probe(`${b.baseUrl}/api/health/live`)).toBe(200);
    expect(await probe(`${b.baseUrl}/api/health/ready`)).toBe(200);
    const page = await open(browser, consoleGuard, { storageState: adminState });
    await page.goto(`${b.baseUrl}/`);
    await expect(page).toHaveURL(`${b.baseUrl}/`);
    await expect(page.getByRole('banner').getByText(STAFF.admin.email)).toBeVisible();
    await page.context().close();

    // A's claim had no heartbeat since the kill: B's sweep marks it ABANDONED, naming A.
    await expect
      .poll(async () => (await runs()).find((r) => r.id === claimOfA!.id)?.status, {
        message: `A's RUNNING claim ${claimOfA!.id} swept ABANDONED`,
        timeout: (HEARTBEAT_TIMEOUT_SECONDS + 20) * 1000,
        intervals: [500],
      })
      .toBe('ABANDONED');
    const swept = (await runs()).find((r) => r.id === claimOfA!.id)!;
    expect(swept.detail).toContain(`No heartbeat from ${claimOfA!.instance_id}`);

    // Every occurrence since the kill is B's, without a gap, and none of A's is left RUNNING.
    await expect
      .poll(async () => (await runs()).filter((r) => r.occurrence.getTime() > killedAt && r.status !== 'RUNNING').length, {
        message: 'three finished occurrences after the kill',
        timeout: 20_000,
        intervals: [500],
      })
      .toBeGreaterThanOrEqual(3);
    const all = await runs();
    const after = all.filter((r) => r.occurrence.getTime() > killedAt);
    expect([...new Set(after.map((r) => labelOf(r.instance_id)))], 'claimed by B alone').toEqual(['B']);
    expect(
      gaps(all.filter((r) => r.occurrence.getTime() >= claimOfA!.occurrence.getTime())),
      'no occurrence missed since the kill',
    ).toEqual([]);
    expect(all.filter((r) => r.status === 'RUNNING' && labelOf(r.instance_id) === 'A')).toEqual([]);
    expect(after.filter((r) => !['SUCCEEDED', 'SKIPPED', 'RUNNING'].includes(r.status))).toEqual([]);
    // For the record: A's snapshot INSERT, queued behind the lock, may still commit after A died.
    const [orphans] = await db.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM health_checks h WHERE NOT EXISTS (SELECT 1 FROM schedule_runs r WHERE r.health_check_id = h.id)`,
    );
    test.info().annotations.push({ type: 'health checks of no claim (A, after its death)', description: String(orphans!.n) });
  });

  test('SIGTERM of B: the request in flight completes, new connections are refused, and B exits with no connection left', async () => {
    test.setTimeout(90_000);
    expect(b.alive()).toBe(true);
    // Connections to this database other than the spec's own: B's alone (A's died with it).
    const serverConnections = () =>
      db.sql<{ application_name: string; state: string; query: string }>(
        `SELECT application_name, state, left(query, 80) AS query FROM pg_stat_activity
          WHERE datname = current_database() AND application_name <> $1`,
        [INSTANCES_SQL_APPLICATION_NAME],
      );
    expect((await serverConnections()).length, "B's pool and LISTEN connection, seen").toBeGreaterThan(0);
    const lock: pg.Client = await db.connect();
    let inFlight: Promise<Response> | undefined;
    let sentAt = 0;
    try {
      // The route reads api_keys first: held here, the request waits inside B.
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE');
      const lockPid = (await lock.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      inFlight = fetch(`${b.baseUrl}/api/v1/learners/${learner.id}`, {
        headers: { authorization: `Bearer ${tokens['e2e-in-flight']}` },
        signal: AbortSignal.timeout(60_000),
      });
      inFlight.catch(() => {}); // awaited below
      await expect
        .poll(
          async () =>
            (
              await db.sql<{ n: number }>(
                `SELECT count(*)::int AS n FROM pg_stat_activity
                  WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1 AND query ILIKE '%api_keys%'`,
                [lockPid],
              )
            )[0]!.n,
          { message: "B's request waiting on the lock", timeout: 10_000, intervals: [100] },
        )
        .toBe(1);

      sentAt = Date.now();
      b.signal('SIGTERM');
      // B stops listening at once, while it still runs (and waits for the request in flight).
      await expect
        .poll(() => probe(`${b.baseUrl}/api/health/live`), { message: 'a new connection to B refused', timeout: 10_000, intervals: [100] })
        .toBe('ECONNREFUSED');
      expect(b.alive(), 'B still runs, for its request in flight').toBe(true);
    } finally {
      await lock.query('COMMIT').catch(() => {});
      await lock.end();
    }

    const res = await inFlight!;
    expect(res.status, 'the request in flight completes').toBe(200);
    expect(((await res.json()) as { id: number }).id).toBe(learner.id);

    const end = await Promise.race([
      b.exited,
      new Promise<null>((r) => setTimeout(() => r(null), Math.max(0, sentAt + SHUTDOWN_BOUND_MS - Date.now()))),
    ]);
    expect(end, `B exits within ${SHUTDOWN_BOUND_MS / 1000} s of SIGTERM`).not.toBeNull();
    expect(end!.signal, 'B exits by itself, not killed by the signal').toBeNull();
    // Next.js's code for an exit on SIGTERM (1 would be the app's own shutdown timeout).
    expect(end!.code).toBe(143);
    test.info().annotations.push({ type: 'shutdown', description: `exit code ${end!.code} after ${Date.now() - sentAt} ms` });

    // It closed its database pools: no connection of B is left (A's died with it; the rest are this spec's).
    await expect.poll(serverConnections, { message: "no connection of B's left", timeout: 5_000, intervals: [100] }).toEqual([]);

    const lines = jsonLogLines(b.logFile);
    expect(
      lines.some((l) => l.msg === 'shut down'),
      `a JSON line "shut down" in ${b.logFile}`,
    ).toBe(true);
  });

  test('npm run serve: a SIGTERM sent to npm alone reaches the server, its last log lines are kept, and no process is left', async () => {
    test.setTimeout(120_000);
    const { npm, logFile, baseUrl } = startWithNpm(db.url, { ...shared, SCHEDULER_ENABLED: 'false' }, await freePort());
    try {
      await expect
        .poll(() => probe(`${baseUrl}/api/health/ready`), { message: 'npm run serve answers ready', timeout: 90_000, intervals: [250] })
        .toBe(200);
      // npm's pid alone, as an orchestrator signals PID 1: the launcher and the server must get it.
      process.kill(npm.pid!, 'SIGTERM');
      await expect
        .poll(() => jsonLogLines(logFile).some((l) => l.msg === 'shut down'), {
          message: `the server's "shut down" line in ${logFile}`,
          timeout: 30_000,
          intervals: [200],
        })
        .toBe(true);
      await expect.poll(() => groupAlive(npm.pid!), { message: 'no process of npm run serve left', timeout: 15_000 }).toBe(false);
      expect(readFileSync(logFile, 'utf8')).toContain('"msg":"shutting down"');
    } finally {
      if (groupAlive(npm.pid!)) process.kill(-npm.pid!, 'SIGKILL');
    }
  });
});
