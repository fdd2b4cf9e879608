import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDb } from '../../lib/db/prisma';
import { db, rawClient } from '../support/db';
import { createPair } from '../support/factories';
import { parsePrometheusText, sampleValue } from './prometheus';

/**
 * The three route handlers, called directly with a Request against this file's real database.
 * Only next-auth's session lookup is replaced (there is no Next.js request to read a cookie
 * from); getCurrentStaff still reads the account and its role from the database.
 */

const TOKEN = 'monitor-token-for-tests-0123456789';
const session = vi.hoisted(() => {
  process.env.MONITOR_TOKEN = 'monitor-token-for-tests-0123456789';
  return { current: null as null | { user: { id: string; email: string } } };
});
vi.mock('next-auth', () => ({ getServerSession: vi.fn(async () => session.current) }));

const { GET: health } = await import('../../app/api/health/route');
const { GET: integrity } = await import('../../app/api/health/integrity/route');
const { GET: metrics } = await import('../../app/api/metrics/route');

let c: pg.Client;
let viewer: { id: number; email: string };
let student: { id: number; email: string };

beforeAll(async () => {
  c = await rawClient();
  const staff = await c.query<{ id: number; email: string }>(
    `INSERT INTO users (email, name, role, password_hash) VALUES ('viewer@monitor.test', 'V', 'VIEWER', 'x') RETURNING id, email`,
  );
  viewer = staff.rows[0]!;
  const s = await c.query<{ id: number; email: string }>(
    `INSERT INTO users (email, name) VALUES ('student@monitor.test', 'S') RETURNING id, email`,
  );
  student = s.rows[0]!;
});
afterAll(async () => {
  await c.end();
});
beforeEach(async () => {
  session.current = null;
  await c.query(
    `TRUNCATE current_desyncs, health_checks, sync_job_items, sync_jobs, schedule_runs, scheduler_state,
       specialization_progress, user_licenses`,
  );
});

const request = (path: string, headers: Record<string, string> = {}) => new Request(`http://localhost${path}`, { headers });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

async function runCheck() {
  const { runFullAudit } = await import('../../lib/sync');
  return runFullAudit(db);
}

async function succeededJob(finishedAgoMs: number, durationMs = 4200) {
  await c.query(
    `INSERT INTO sync_jobs (status, trigger, actor, started_at, finished_at, heartbeat_at, duration_ms, found, total, done, synced)
     VALUES ('SUCCEEDED', 'SCHEDULED', 'scheduler',
             now() - make_interval(secs => $1::float8 / 1000) - make_interval(secs => $2::float8 / 1000),
             now() - make_interval(secs => $1::float8 / 1000), now(), $2, 2, 2, 2, 2)`,
    [finishedAgoMs, durationMs],
  );
}

describe('GET /api/health', () => {
  it('answers 200 with no figures and no authentication', async () => {
    const res = await health();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', database: 'up' });
  });

  it('answers 503 when the database does not answer', async () => {
    // A real client pointed at a port where nothing listens, in place of the server's one.
    const g = globalThis as unknown as { syncwatchDb?: unknown };
    const real = g.syncwatchDb;
    const dead = createDb('postgresql://nobody:nothing@127.0.0.1:1/none', { poolSize: 1 });
    g.syncwatchDb = dead;
    try {
      const res = await health();
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', database: 'down' });
    } finally {
      g.syncwatchDb = real;
      await dead.$disconnect().catch(() => {});
    }
  });
});

describe('GET /api/health/live and /api/health/ready', () => {
  it('live answers without the database; ready when the database answers and every migration is applied', async () => {
    const { GET: live } = await import('../../app/api/health/live/route');
    const { GET: ready } = await import('../../app/api/health/ready/route');
    expect(live().status).toBe(200);
    const res = await ready();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', database: 'up', pendingMigrations: 0 });
  });

  it('ready is 503 with the number of migrations pending, and when the database is down; live stays 200', async () => {
    const { readiness } = await import('../../lib/db/readiness');
    const { migrationNames } = await import('../../lib/db/migration-files');
    const shipped = [...migrationNames(), '29991231000000_a_newer_version'];
    expect(await readiness(db, shipped)).toEqual({ ready: false, database: 'up', pendingMigrations: 1 });

    const g = globalThis as unknown as { syncwatchDb?: unknown };
    const real = g.syncwatchDb;
    const dead = createDb('postgresql://nobody:nothing@127.0.0.1:1/none', { poolSize: 1 });
    g.syncwatchDb = dead;
    try {
      const { GET: ready } = await import('../../app/api/health/ready/route');
      const { GET: live } = await import('../../app/api/health/live/route');
      const res = await ready();
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'unavailable', database: 'down', pendingMigrations: null });
      expect(live().status).toBe(200);
    } finally {
      g.syncwatchDb = real;
      await dead.$disconnect().catch(() => {});
    }
  });
});

describe.each([
  ['/api/health/integrity', integrity],
  ['/api/metrics', metrics],
] as const)('authentication of %s', (path, handler) => {
  it('refuses a request with no credentials', async () => {
    const res = await handler(request(path));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('refuses a wrong token, a token of another length and a non-bearer scheme', async () => {
    for (const headers of [
      bearer(TOKEN.replace(/.$/, 'X')),
      bearer('short'),
      bearer(`${TOKEN}extra`),
      { authorization: `Basic ${TOKEN}` },
    ]) {
      expect((await handler(request(path, headers))).status).toBe(401);
    }
  });

  it('refuses a wrong token even with a valid viewer session', async () => {
    session.current = { user: { id: String(viewer.id), email: viewer.email } };
    expect((await handler(request(path, bearer('wrong-token-wrong-token')))).status).toBe(401);
  });

  it('accepts the right token', async () => {
    expect((await handler(request(path, bearer(TOKEN)))).status).toBe(200);
  });

  it('accepts a signed-in viewer, and refuses a student or a stale session', async () => {
    session.current = { user: { id: String(viewer.id), email: viewer.email } };
    expect((await handler(request(path))).status).toBe(200);
    session.current = { user: { id: String(student.id), email: student.email } };
    expect((await handler(request(path))).status).toBe(401);
    // The id no longer belongs to that email (account recreated): not trusted.
    session.current = { user: { id: String(viewer.id), email: 'someone-else@monitor.test' } };
    expect((await handler(request(path))).status).toBe(401);
  });
});

describe('GET /api/health/integrity', () => {
  it('reports the live figures, the latest audit and the job health, healthy when all is well', async () => {
    for (let i = 0; i < 4; i++) await createPair(c, { progressLevel: 2 });
    await succeededJob(60_000);
    const check = await runCheck();
    const res = await integrity(request('/api/health/integrity', bearer(TOKEN)));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.json();
    expect(body).toEqual({
      healthy: true,
      problems: [],
      check: {
        // Read live from the maintained counters, not from a stored row.
        id: null,
        checkedAt: expect.any(String),
        pairs: 4,
        consistent: 4,
        consistencyRate: 1,
        consistencyPercent: 100,
        targetPercent: 99.9,
        desyncsByKind: {
          LEVEL_MISMATCH: 0,
          MISSING_LICENSE: 0,
          MISSING_PROGRESS: 0,
          ORPHAN_PROGRESS: 0,
          ORPHAN_LICENSE: 0,
          INVALID_PROGRESS: 0,
          LICENSE_IN_FUTURE: 0,
        },
        orphans: 0,
      },
      detection: {
        foreignWrites: 'OBSERVE',
        lastAudit: { id: check.id, checkedAt: check.checkedAt.toISOString(), drift: 0, durationMs: expect.any(Number) },
      },
      job: {
        state: 'ON_SCHEDULE',
        overdue: false,
        lastSuccessAt: expect.any(String),
        overdueAfter: expect.any(String),
        nextSyncAt: expect.any(String),
        lastSync: {
          id: expect.any(Number),
          status: 'SUCCEEDED',
          trigger: 'SCHEDULED',
          actor: 'scheduler',
          startedAt: expect.any(String),
          finishedAt: expect.any(String),
          synced: 2,
          failed: 0,
          reported: 0,
        },
      },
    });
  });

  it('is unhealthy under the consistency target', async () => {
    for (let i = 0; i < 9; i++) await createPair(c, { progressLevel: 2 });
    await createPair(c, { progressLevel: 3, licenseLevel: 1 });
    await succeededJob(60_000);
    await runCheck();
    const body = await (await integrity(request('/api/health/integrity', bearer(TOKEN)))).json();
    expect(body.healthy).toBe(false);
    expect(body.check).toMatchObject({ pairs: 10, consistent: 9, consistencyRate: 0.9, desyncsByKind: { LEVEL_MISMATCH: 1 } });
    expect(body.problems).toEqual(['Consistency 90% is under the 99.9% target.']);
  });

  it('is unhealthy when orphans exist', async () => {
    await c.query(`SET session_replication_role = replica`);
    await c.query(`INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES (987654, 'COACH', 1, now())`);
    await c.query(`SET session_replication_role = origin`);
    for (let i = 0; i < 2000; i += 500) {
      await c.query(
        `WITH u AS (INSERT INTO users (email, name)
                    SELECT 'bulk-' || g || '-' || $1 || '@monitor.test', 'B' FROM generate_series(1, 500) g RETURNING id)
         , p AS (INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
                 SELECT id, 'PLAYER', 1, 0, 0 FROM u)
         INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) SELECT id, 'PLAYER', 1, now() FROM u`,
        [i],
      );
    }
    await succeededJob(60_000);
    await runCheck();
    const body = await (await integrity(request('/api/health/integrity', bearer(TOKEN)))).json();
    // 2000 of 2001 consistent is above 99.9%: the orphan makes it unhealthy, and so does the way it
    // came (replica mode bypasses the triggers: the audit found it, as drift).
    expect(body.check).toMatchObject({ pairs: 2001, consistent: 2000, orphans: 1 });
    expect(body.healthy).toBe(false);
    expect(body.detection.lastAudit).toMatchObject({ drift: 1 });
    expect(body.problems).toEqual([
      expect.stringMatching(/^The last full audit .* corrected 1 entry: /),
      '1 orphan row(s) need a decision.',
    ]);
  });

  it('is unhealthy when the sync job is overdue', async () => {
    await succeededJob(7 * 3_600_000 + 3 * 60_000); // 7 h 3 min ago: past 6 h + 1 h wherever "now" falls
    await runCheck();
    const body = await (await integrity(request('/api/health/integrity', bearer(TOKEN)))).json();
    expect(body.job).toMatchObject({ state: 'OVERDUE', overdue: true });
    expect(body.healthy).toBe(false);
    expect(body.problems[0]).toMatch(/^The sync job is overdue/);
  });

  it('reads live figures before anything was stored: no pairs, no audit, the job never run', async () => {
    const body = await (await integrity(request('/api/health/integrity', bearer(TOKEN)))).json();
    expect(body).toMatchObject({
      healthy: true,
      check: { id: null, pairs: 0, consistencyRate: 1 },
      detection: { foreignWrites: 'OBSERVE', lastAudit: null },
      job: { state: 'NEVER_RUN', lastSync: null },
    });
  });
});

describe('GET /api/metrics', () => {
  it('is Prometheus text with the SyncWatch figures and the process metrics', async () => {
    for (let i = 0; i < 3; i++) await createPair(c, { progressLevel: 2 });
    await createPair(c, { spec: 'COACH', progressLevel: 3, licenseLevel: 1 });
    await createPair(c, { spec: 'INTERNSHIP', progressLevel: 2, licenseLevel: null });
    await succeededJob(120_000, 4200);
    await succeededJob(60_000, 95_000);
    await c.query(
      `INSERT INTO schedule_runs (schedule, occurrence_at, instance_id, status, finished_at) VALUES ('SYNC', now(), 'i', 'SKIPPED', now())`,
    );
    const check = await runCheck();

    const res = await metrics(request('/api/metrics', bearer(TOKEN)));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusText(await res.text());

    expect(sampleValue(families, 'syncwatch_consistency_ratio')).toBeCloseTo(check.consistencyRate, 10);
    expect(sampleValue(families, 'syncwatch_consistency_target_ratio')).toBeCloseTo(0.999, 10);
    expect(sampleValue(families, 'syncwatch_pairs')).toBe(5);
    expect(sampleValue(families, 'syncwatch_desyncs', { kind: 'LEVEL_MISMATCH', specialization: 'COACH' })).toBe(1);
    expect(sampleValue(families, 'syncwatch_desyncs', { kind: 'MISSING_LICENSE', specialization: 'INTERNSHIP' })).toBe(1);
    expect(sampleValue(families, 'syncwatch_desyncs', { kind: 'LEVEL_MISMATCH', specialization: 'PLAYER' })).toBe(0);
    expect(sampleValue(families, 'syncwatch_orphans')).toBe(0);
    expect(sampleValue(families, 'syncwatch_sync_jobs', { status: 'SUCCEEDED' })).toBe(2);
    expect(sampleValue(families, 'syncwatch_sync_jobs', { status: 'FAILED' })).toBe(0);
    expect(sampleValue(families, 'syncwatch_sync_overdue')).toBe(0);
    expect(sampleValue(families, 'syncwatch_schedule_runs', { schedule: 'SYNC', status: 'SKIPPED' })).toBe(1);
    const lastSuccess = sampleValue(families, 'syncwatch_last_sync_success_timestamp_seconds')!;
    expect(Math.abs(lastSuccess - (Date.now() - 60_000) / 1000)).toBeLessThan(120);

    expect(families.get('syncwatch_sync_job_duration_seconds')?.type).toBe('histogram');
    expect(sampleValue(families, 'syncwatch_sync_job_duration_seconds_count', { status: 'SUCCEEDED' })).toBe(2);
    expect(sampleValue(families, 'syncwatch_sync_job_duration_seconds_sum', { status: 'SUCCEEDED' })).toBeCloseTo(99.2, 6);
    expect(sampleValue(families, 'syncwatch_sync_job_duration_seconds_bucket', { status: 'SUCCEEDED', le: '5' })).toBe(1);
    expect(sampleValue(families, 'syncwatch_sync_job_duration_seconds_bucket', { status: 'SUCCEEDED', le: '120' })).toBe(2);

    // Incidents and the alert outbox (none here yet, then one open incident with one pending notice).
    expect(sampleValue(families, 'syncwatch_incidents_open', { condition: 'CONSISTENCY_BELOW_TARGET' })).toBe(0);
    expect(sampleValue(families, 'syncwatch_alert_deliveries', { state: 'pending' })).toBe(0);
    const [{ id: incident }] = (
      await c.query(`INSERT INTO incidents (condition, opened_figures) VALUES ('CONSISTENCY_BELOW_TARGET', '{}') RETURNING id`)
    ).rows;
    const [{ id: channel }] = (
      await c.query(
        `INSERT INTO notification_channels (kind, name, target, created_by) VALUES ('EMAIL', 'ops', 'ops@example.com', 't') RETURNING id`,
      )
    ).rows;
    await c.query(`INSERT INTO deliveries (channel_id, incident_id, event, payload) VALUES ($1, $2, 'OPEN', '{}')`, [channel, incident]);
    const after = parsePrometheusText(await (await metrics(request('/api/metrics', bearer(TOKEN)))).text());
    expect(sampleValue(after, 'syncwatch_incidents_open', { condition: 'CONSISTENCY_BELOW_TARGET' })).toBe(1);
    expect(sampleValue(after, 'syncwatch_alert_deliveries', { state: 'pending' })).toBe(1);
    expect(sampleValue(after, 'syncwatch_alert_deliveries', { state: 'failed' })).toBe(0);

    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(families.has(name), name).toBe(true);
    }
  });

  it('leaves unknown figures out and raises the overdue flag before anything ran', async () => {
    await c.query(`INSERT INTO scheduler_state (id, first_started_at) VALUES (1, now() - interval '8 hours')`);
    const families = parsePrometheusText(await (await metrics(request('/api/metrics', bearer(TOKEN)))).text());
    // The figures are maintained, so known from the start (no pairs: all consistent); no audit ran yet.
    expect(sampleValue(families, 'syncwatch_consistency_ratio')).toBe(1);
    expect(families.get('syncwatch_audit_drift')?.samples).toEqual([]);
    expect(families.get('syncwatch_last_sync_success_timestamp_seconds')?.samples).toEqual([]);
    expect(sampleValue(families, 'syncwatch_sync_overdue')).toBe(1);
    expect(sampleValue(families, 'syncwatch_desyncs', { kind: 'LEVEL_MISMATCH', specialization: 'PLAYER' })).toBeUndefined();
  });

  it('the strict parser refuses malformed text', () => {
    expect(() => parsePrometheusText('# TYPE a gauge\na{b="c"} 1\n')).not.toThrow();
    expect(() => parsePrometheusText('a 1\n')).toThrow(/before its TYPE/);
    expect(() => parsePrometheusText('# TYPE a gauge\na{b=c} 1\n')).toThrow(/not a sample/);
    expect(() => parsePrometheusText('# TYPE a gauge\na one\n')).toThrow(/not a sample/);
  });
});
