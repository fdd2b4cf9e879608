import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addChannel, getIncident, listIncidents, readConditions } from '../../lib/alerts';
import { db, rawClient, testDatabaseUrl } from '../support/db';
import { testActor } from '../support/factories';
import { mailHeader, startHttpReceiver, startSmtpReceiver } from '../support/receivers';
import { createPairs, deliverAll, deliveryOptions, evaluate, evaluationOptions, resetAlerts, setLicenseLevel } from './support';

/**
 * Every condition opens its incident while it holds and resolves it when it clears, each made
 * with raw SQL the way it happens in production (a legacy writer, a failed job row, a scheduler
 * that started long ago, an audit that found drift, rows behind the foreign keys' back).
 */

let c: pg.Client;
let su = false;

beforeAll(async () => {
  c = await rawClient();
  su = (await c.query<{ su: boolean }>(`SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user`)).rows[0]!.su;
});
afterAll(async () => {
  await c.end();
});
beforeEach(async () => {
  await resetAlerts(c);
});

const openConditions = async () =>
  (await listIncidents(db, { state: 'OPEN' })).items.map((i) => `${i.condition}${i.subject ? `:${i.subject}` : ''}`);

/** A sync job that finished now with `status`. */
async function finishedJob(status: string, opts: { error?: string | null } = {}) {
  const { rows } = await c.query<{ id: number }>(
    `INSERT INTO sync_jobs (status, trigger, actor, started_at, finished_at, heartbeat_at, duration_ms, synced, failed, error)
     VALUES ($1, 'SCHEDULED', 'scheduler', now() - interval '1 minute', now(), now(), 60000, 3, 1, $2) RETURNING id`,
    [status, opts.error ?? null],
  );
  return rows[0]!.id;
}

async function audit(drift: number) {
  await c.query(
    `INSERT INTO health_checks (checked_at, duration_ms, total_pairs, consistent_pairs, consistency_rate, level_mismatch, missing_license,
                                missing_progress, orphan_progress, orphan_license, by_specialization, kind, drift, drift_detail)
     VALUES (clock_timestamp(), 5, 0, 0, 1, 0, 0, 0, 0, 0, '{}', 'AUDIT', $1, '{}')`,
    [drift],
  );
}

describe('each condition opens its incident and resolves it', () => {
  it('CONSISTENCY_BELOW_TARGET, with its figures at opening and at resolution', async () => {
    const broken = await createPairs(c, 2, 1);
    const { opened } = await evaluate(db);
    expect(opened.map((i) => i.condition)).toEqual(['CONSISTENCY_BELOW_TARGET']);
    expect(opened[0]!.summary).toMatch(/Consistency 66\.66\d?% \(2 of 3 pairs\), target 99\.9%/);
    expect(opened[0]!.openedFigures).toMatchObject({ pairs: 3, consistent: 2, byKind: { LEVEL_MISMATCH: 1 } });
    await setLicenseLevel(c, broken, 1);
    const { resolved } = await evaluate(db);
    expect(resolved.map((i) => i.id)).toEqual([opened[0]!.id]);
    expect(resolved[0]!.resolvedFigures).toMatchObject({ pairs: 3, consistent: 3 });
    const detail = await getIncident(db, opened[0]!.id);
    expect(detail!.events.map((e) => e.kind)).toEqual(['OPENED', 'RESOLVED']);
    expect(detail!.events[0]!.detail).toMatchObject({ figures: { pairs: 3, consistent: 2 } });
    expect(detail!.events[1]!.detail).toMatchObject({ figures: { pairs: 3, consistent: 3 } });
    // No pairs at all is not "below target".
    await resetAlerts(c);
    expect((await evaluate(db)).opened).toEqual([]);
  });

  it('SYNC_JOB_FAILED for FAILED, PARTIAL and ABANDONED; a later success resolves it', async () => {
    for (const status of ['FAILED', 'PARTIAL', 'ABANDONED']) {
      const job = await finishedJob(status, { error: status === 'FAILED' ? 'connection reset' : null });
      const { opened } = await evaluate(db);
      expect(opened.map((i) => i.condition)).toEqual(['SYNC_JOB_FAILED']);
      expect(opened[0]!.openedFigures).toMatchObject({ jobId: job, status });
      expect(opened[0]!.summary).toContain(`Sync job #${job} ended ${status}`);
      await finishedJob('SUCCEEDED');
      expect((await evaluate(db)).resolved.map((i) => i.condition)).toEqual(['SYNC_JOB_FAILED']);
    }
    expect(await openConditions()).toEqual([]);
  });

  it('SYNC_OVERDUE when the scheduler started long ago and no sync succeeded since; a success resolves it', async () => {
    await c.query(`INSERT INTO scheduler_state (id, first_started_at) VALUES (1, now() - interval '2 days')`);
    const { opened } = await evaluate(db);
    expect(opened.map((i) => i.condition)).toEqual(['SYNC_OVERDUE']);
    expect(opened[0]!.openedFigures).toMatchObject({ state: 'OVERDUE', lastSuccessAt: null });
    await finishedJob('SUCCEEDED');
    expect((await evaluate(db)).resolved.map((i) => i.condition)).toEqual(['SYNC_OVERDUE']);
    // A success 8 hours ago (6 h interval + 1 h grace) is overdue again.
    await c.query(`UPDATE sync_jobs SET finished_at = now() - interval '8 hours', started_at = now() - interval '8 hours 1 minute'`);
    expect((await evaluate(db)).opened.map((i) => i.condition)).toEqual(['SYNC_OVERDUE']);
  });

  it('AUDIT_DRIFT when the latest full audit corrected something; a clean audit resolves it', async () => {
    await audit(0);
    expect((await evaluate(db)).opened).toEqual([]);
    await audit(2);
    const { opened } = await evaluate(db);
    expect(opened.map((i) => i.condition)).toEqual(['AUDIT_DRIFT']);
    expect(opened[0]!.openedFigures).toMatchObject({ drift: 2 });
    expect(opened[0]!.summary).toContain('corrected 2 entries');
    await audit(0);
    expect((await evaluate(db)).resolved.map((i) => i.condition)).toEqual(['AUDIT_DRIFT']);
  });

  it('ORPHANS_PRESENT while a row has no learner; deleting it resolves it', async (ctx) => {
    if (!su) ctx.skip(true, 'needs a superuser to bypass the foreign keys (session_replication_role = replica)');
    await createPairs(c, 3);
    await c.query(`SET session_replication_role = replica`);
    await c.query(`INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at) VALUES (990001, 'PLAYER', 2, now())`);
    await c.query(`SET session_replication_role = origin`);
    // Any later write of the row lets the judge see it (as the next legacy write would).
    await c.query(`UPDATE user_licenses SET current_level = 3 WHERE user_id = 990001`);
    const { opened } = await evaluate(db);
    expect(opened.map((i) => i.condition)).toContain('ORPHANS_PRESENT');
    expect(opened.find((i) => i.condition === 'ORPHANS_PRESENT')!.openedFigures).toMatchObject({ orphans: 1 });
    await c.query(`DELETE FROM user_licenses WHERE user_id = 990001`);
    const { resolved } = await evaluate(db);
    expect(resolved.map((i) => i.condition).sort()).toEqual(opened.map((i) => i.condition).sort());
    expect(await openConditions()).toEqual([]);
  });

  it('WRITER_BURST per writer: more than N desyncs by one writer within M minutes; it resolves once they are older', async () => {
    await createPairs(c, 7);
    const ids = (await c.query<{ id: number }>(`SELECT user_id AS id FROM user_licenses ORDER BY user_id`)).rows.map((r) => r.id);
    const legacy = new pg.Client({ connectionString: testDatabaseUrl, application_name: 'legacy-x' });
    await legacy.connect();
    try {
      // Exactly N is not a burst...
      await legacy.query(`UPDATE user_licenses SET current_level = 2 WHERE user_id = ANY($1::int[])`, [ids.slice(0, 2)]);
      const burst = { config: { writerBurstCount: 2, writerBurstMinutes: 10, targetPercent: 10 } };
      expect((await evaluate(db, burst)).opened).toEqual([]);
      // ...one more is.
      await legacy.query(`UPDATE user_licenses SET current_level = 2 WHERE user_id = $1`, [ids[2]]);
      const { opened } = await evaluate(db, burst);
      expect(opened.map((i) => [i.condition, i.subject])).toEqual([['WRITER_BURST', 'sql:legacy-x']]);
      expect(opened[0]!.openedFigures).toMatchObject({ writer: 'sql:legacy-x', desyncs: 3, threshold: 2, minutes: 10 });
      // Another writer's burst is an incident of its own.
      const other = new pg.Client({ connectionString: testDatabaseUrl, application_name: 'legacy-y' });
      await other.connect();
      await other.query(`UPDATE user_licenses SET current_level = 2 WHERE user_id = ANY($1::int[])`, [ids.slice(3, 6)]);
      await other.end();
      expect((await evaluate(db, burst)).opened.map((i) => i.subject)).toEqual(['sql:legacy-y']);
      expect((await openConditions()).sort()).toEqual(['WRITER_BURST:sql:legacy-x', 'WRITER_BURST:sql:legacy-y']);
      // Eleven minutes later the window holds none of them: both resolve (the pairs are still out of sync).
      const later = new Date(Date.now() + 11 * 60_000);
      const { resolved } = await evaluate(db, { ...burst, now: later });
      expect(resolved.map((i) => i.subject).sort()).toEqual(['sql:legacy-x', 'sql:legacy-y']);
      expect(await openConditions()).toEqual([]);
    } finally {
      await legacy.end();
    }
  });

  it('names the writer in the notices of a WRITER_BURST', async () => {
    const http = await startHttpReceiver();
    const smtp = await startSmtpReceiver();
    try {
      await addChannel(db, { kind: 'WEBHOOK', name: 'hook', target: `${http.origin}/hook` }, testActor, { allowPrivateNetwork: true });
      await addChannel(db, { kind: 'EMAIL', name: 'mail', target: 'oncall@example.test' }, testActor, { allowPrivateNetwork: true });
      await createPairs(c, 3);
      await breakAs('legacy-x', 3);
      await evaluate(db, { config: { writerBurstCount: 2, targetPercent: 10 } });
      await deliverAll(db, deliveryOptions(smtp.url));
      const bodies = http.requests.map((r) => JSON.parse(r.body) as { incident: { condition: string; subject: string } });
      expect(bodies.filter((b) => b.incident.condition === 'WRITER_BURST').map((b) => b.incident.subject)).toEqual(['sql:legacy-x']);
      const subjects = smtp.messages.map((m) => mailHeader(m.raw, 'Subject') ?? '');
      expect(subjects.filter((s) => s.includes('burst'))).toEqual([expect.stringContaining('sql:legacy-x')]);
    } finally {
      await http.close();
      await smtp.close();
    }
  });

  it("escapes a writer's name in a Slack message: an application_name is anyone's to choose", async () => {
    const http = await startHttpReceiver();
    try {
      await addChannel(db, { kind: 'SLACK', name: 'slack', target: `${http.origin}/slack` }, testActor, { allowPrivateNetwork: true });
      await createPairs(c, 3);
      await breakAs('x <!channel> <https://evil.test|click>', 3);
      await evaluate(db, { config: { writerBurstCount: 2, targetPercent: 10 } });
      await deliverAll(db, deliveryOptions(undefined));
      const burst = http.requests.map((r) => JSON.parse(r.body) as { text: string }).find((b) => b.text.includes('burst'))!;
      // Slack reads <...> in `text` as a mention or a link: it must come through as text.
      expect(burst.text).not.toContain('<!channel>');
      expect(burst.text).not.toContain('<https://evil.test|click>');
      expect(burst.text).toContain('&lt;!channel&gt;');
    } finally {
      await http.close();
    }
  });

  it('WRITER_BURST is off with a count of 0, and readConditions lists every other condition once', async () => {
    await createPairs(c, 3);
    await breakAs('legacy-x', 3);
    const states = await readConditions(db, evaluationOptions().config, new Date());
    expect(states.map((s) => s.condition)).toEqual([
      'CONSISTENCY_BELOW_TARGET',
      'SYNC_OVERDUE',
      'SYNC_JOB_FAILED',
      'ORPHANS_PRESENT',
      'AUDIT_DRIFT',
    ]);
  });
});

/** Breaks `n` consistent pairs, one statement each, from a client named `application`. */
async function breakAs(application: string, n: number) {
  const legacy = new pg.Client({ connectionString: testDatabaseUrl, application_name: application });
  await legacy.connect();
  try {
    const { rows } = await legacy.query<{ id: number }>(
      `SELECT p.user_id AS id FROM specialization_progress p JOIN user_licenses l USING (user_id, specialization_id)
       WHERE p.current_level = l.current_level ORDER BY 1 LIMIT $1`,
      [n],
    );
    for (const r of rows) await legacy.query(`UPDATE user_licenses SET current_level = current_level + 1 WHERE user_id = $1`, [r.id]);
  } finally {
    await legacy.end();
  }
}
