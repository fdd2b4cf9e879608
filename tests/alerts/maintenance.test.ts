import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  acknowledgeIncident,
  addChannel,
  addMaintenanceWindow,
  endMaintenanceWindow,
  getIncident,
  listIncidents,
  pendingDeliveries,
  pruneAlerts,
  runDeliveries,
} from '../../lib/alerts';
import { isSyncError } from '../../lib/sync';
import { db, rawClient } from '../support/db';
import { testActor } from '../support/factories';
import { startHttpReceiver, type HttpReceiver } from '../support/receivers';
import {
  countOf,
  createPairs,
  deliverAll,
  deliveryOptions,
  eventually,
  evaluate,
  resetAlerts,
  setLicenseLevel,
  sleep,
  timelineOf,
} from './support';

/**
 * Maintenance windows hold notifications back (the incidents still open and are recorded), a
 * receiver that was down gets everything in order, reminders follow an unacknowledged incident
 * and stop once it is acknowledged.
 */

let c: pg.Client;
let http: HttpReceiver;
const opts = deliveryOptions(undefined);

beforeAll(async () => {
  c = await rawClient();
  http = await startHttpReceiver();
});
afterAll(async () => {
  await http.close();
  await c.end();
});
beforeEach(async () => {
  await resetAlerts(c);
  http.reset();
  await addChannel(db, { kind: 'WEBHOOK', name: 'hook', target: `${http.origin}/hook` }, testActor, { allowPrivateNetwork: true });
});

const received = () =>
  http.requests.filter((r) => r.path === '/hook').map((r) => JSON.parse(r.body) as { state: string; incident: { id: number } });
const states = () => received().map((r) => r.state);
const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'accepted';
  } catch (err) {
    return isSyncError(err) ? err.code : `UNTYPED: ${(err as Error).message}`;
  }
};
/** Several delivery rounds (while a window holds everything back, they send nothing). */
async function rounds(n = 5) {
  for (let i = 0; i < n; i++) await runDeliveries(db, opts);
}

describe('maintenance windows', () => {
  it('records the incident but sends nothing while the window is active; ended early, the notices go out in order', async () => {
    const window = await addMaintenanceWindow(db, { until: new Date(Date.now() + 60_000), reason: 'database upgrade' }, testActor);
    const broken = await createPairs(c, 2, 1);
    const { opened } = await evaluate(db);
    expect(opened).toHaveLength(1);
    expect(opened[0]!.muted).toBe(true);
    const id = opened[0]!.id;
    expect(await timelineOf(c, id)).toEqual(['OPENED', 'MUTED']);
    const muted = (await getIncident(db, id))!.events.find((e) => e.kind === 'MUTED')!;
    expect(muted).toMatchObject({ actor: testActor.label, detail: { windowId: window.id, reason: 'database upgrade' } });
    expect((await listIncidents(db)).items[0]!.muted).toBe(true);

    await setLicenseLevel(c, broken, 1);
    expect((await evaluate(db)).resolved).toHaveLength(1);
    await rounds();
    expect(http.requests).toHaveLength(0);
    expect(await pendingDeliveries(db)).toBe(2);

    await endMaintenanceWindow(db, window.id, testActor);
    expect(await codeOf(endMaintenanceWindow(db, window.id, testActor))).toBe('CONFLICT');
    await deliverAll(db, opts);
    expect(states()).toEqual(['open', 'resolved']);
    expect(await timelineOf(c, id)).toEqual(['OPENED', 'MUTED', 'RESOLVED', 'MUTED', 'NOTIFIED', 'NOTIFIED']);
    expect((await listIncidents(db)).items[0]!.muted).toBe(false);
  });

  it('sends what it held back once the window runs out by itself', async () => {
    const until = new Date(Date.now() + 1_500);
    await addMaintenanceWindow(db, { until, reason: 'short window' }, testActor);
    const broken = await createPairs(c, 2, 1);
    await evaluate(db);
    await setLicenseLevel(c, broken, 1);
    await evaluate(db);
    // Both wait for the window's end (however long the steps above took).
    const held = await c.query<{ not_before: Date }>(`SELECT not_before FROM deliveries ORDER BY id`);
    expect(held.rows.map((r) => r.not_before)).toEqual([until, until]);
    await deliverAll(db, opts, () => http.requests.length >= 2);
    expect(states()).toEqual(['open', 'resolved']);
    const { rows } = await c.query<{ ok: boolean }>(`SELECT min(delivered_at) >= $1::timestamptz AS ok FROM deliveries`, [until]);
    expect(rows[0]!.ok).toBe(true);
  });

  it('mutes only the conditions it names', async () => {
    await addMaintenanceWindow(
      db,
      { until: new Date(Date.now() + 60_000), conditions: ['SYNC_JOB_FAILED'], reason: 'job migration' },
      testActor,
    );
    await createPairs(c, 2, 1);
    await c.query(
      `INSERT INTO sync_jobs (status, trigger, actor, started_at, finished_at, heartbeat_at, duration_ms)
       VALUES ('FAILED', 'SCHEDULED', 'scheduler', now() - interval '1 minute', now(), now(), 60000)`,
    );
    const { opened } = await evaluate(db);
    expect(Object.fromEntries(opened.map((i) => [i.condition, i.muted]))).toEqual({
      CONSISTENCY_BELOW_TARGET: false,
      SYNC_JOB_FAILED: true,
    });
    await deliverAll(db, opts, () => http.requests.length >= 1);
    await rounds();
    expect(received().map((r) => r.incident.id)).toEqual([opened.find((i) => i.condition === 'CONSISTENCY_BELOW_TARGET')!.id]);
  });

  it('refuses a window that ends in the past, beyond 30 days or without a reason, saving nothing', async () => {
    for (const input of [
      { until: new Date(Date.now() - 1_000), reason: 'late' },
      { until: new Date(Date.now() + 31 * 86_400_000), reason: 'too long' },
      { until: 'not a date', reason: 'bad date' },
      { until: new Date(Date.now() + 60_000), reason: '   ' },
    ]) {
      expect(await codeOf(addMaintenanceWindow(db, input, testActor))).toBe('VALIDATION');
    }
    expect(await countOf(c, `SELECT 1 FROM maintenance_windows`)).toBe(0);
  });

  it('queues no reminders while a window holds the incident back (they would all arrive at once when it ends)', async () => {
    const window = await addMaintenanceWindow(db, { until: new Date(Date.now() + 60_000), reason: 'long upgrade' }, testActor);
    await createPairs(c, 2, 1);
    await evaluate(db, { remindMs: 20 });
    let reminded = 0;
    for (let i = 0; i < 3; i++) {
      await sleep(30);
      reminded += (await evaluate(db, { remindMs: 20 })).reminded;
    }
    await endMaintenanceWindow(db, window.id, testActor);
    await deliverAll(db, opts);
    // Expected: the open notice once the window ends, not the open notice and a burst of reminders.
    expect({ reminded, states: states() }).toEqual({ reminded: 0, states: ['open'] });
  });
});

describe('what a window holds back', () => {
  it('holds back the open notices a channel added during the window is given', async () => {
    const window = await addMaintenanceWindow(db, { until: new Date(Date.now() + 60_000), reason: 'new receiver' }, testActor);
    await createPairs(c, 2, 1);
    const { opened } = await evaluate(db);
    await addChannel(db, { kind: 'WEBHOOK', name: 'late', target: `${http.origin}/late` }, testActor, {
      allowPrivateNetwork: true,
      appUrl: 'https://syncwatch.test',
    });
    await rounds();
    // Expected: the window holds these back too; they go when it ends.
    expect(http.requests.map((r) => r.path)).toEqual([]);
    await endMaintenanceWindow(db, window.id, testActor);
    await deliverAll(db, opts);
    expect(http.requests.map((r) => r.path).sort()).toEqual(['/hook', '/late']);
    expect(JSON.parse(http.at('/late')[0]!.body)).toMatchObject({ state: 'open', incident: { id: opened[0]!.id } });
  });

  it('ending one of two overlapping windows does not release what the other still holds back', async () => {
    await addMaintenanceWindow(db, { until: new Date(Date.now() + 60_000), reason: 'short one' }, testActor);
    const long = await addMaintenanceWindow(db, { until: new Date(Date.now() + 120_000), reason: 'long one' }, testActor);
    await createPairs(c, 2, 1);
    await evaluate(db);
    await endMaintenanceWindow(db, long.id, testActor);
    await rounds();
    // Expected: the short window is still active and mutes every condition: nothing goes yet.
    expect(http.requests).toHaveLength(0);
  });

  it('retention keeps a resolved incident whose notices are still to be sent', async () => {
    await addMaintenanceWindow(db, { until: new Date(Date.now() + 29 * 86_400_000), reason: 'a month of migration' }, testActor);
    const broken = await createPairs(c, 2, 1);
    await evaluate(db);
    await setLicenseLevel(c, broken, 1);
    const { resolved } = await evaluate(db);
    // Resolved two days ago (RETENTION_DAYS may be 1), its notices still held back by the window.
    await c.query(`UPDATE incidents SET opened_at = now() - interval '3 days', resolved_at = now() - interval '2 days'`);
    await pruneAlerts(db, new Date(Date.now() - 86_400_000));
    expect(await countOf(c, `SELECT 1 FROM incidents WHERE id = $1`, [resolved[0]!.id])).toBe(1);
    expect(await pendingDeliveries(db)).toBe(2);
  });
});

describe('a receiver that is down', () => {
  it('gets everything once it is back, open before resolved', async () => {
    http.failAlways(503);
    const broken = await createPairs(c, 2, 1);
    await evaluate(db);
    await rounds(3);
    await setLicenseLevel(c, broken, 1);
    await evaluate(db);
    await eventually('a few failed attempts', async () => {
      await runDeliveries(db, opts);
      return http.requests.length >= 4;
    });
    // Only the open notice is tried while it is not through.
    expect(new Set(states())).toEqual(new Set(['open']));

    http.failAlways(null);
    const failedAttempts = http.requests.length;
    await deliverAll(db, opts);
    expect(states().slice(failedAttempts)).toEqual(['open', 'resolved']);
    const { rows } = await c.query(`SELECT event::text, attempts FROM deliveries ORDER BY id`);
    expect(rows).toEqual([
      { event: 'OPEN', attempts: failedAttempts + 1 },
      { event: 'RESOLVED', attempts: 1 },
    ]);
  });
});

describe('reminders and acknowledgement', () => {
  it('reminds once per interval until acknowledged; acknowledging a resolved or acknowledged incident is a conflict', async () => {
    const broken = await createPairs(c, 2, 1);
    // remindMs per evaluation: a long one where none is due yet, a short one once it is.
    const { opened } = await evaluate(db, { remindMs: 60_000 });
    const id = opened[0]!.id;
    expect((await evaluate(db, { remindMs: 60_000 })).reminded).toBe(0);
    await deliverAll(db, opts);
    await sleep(30);
    expect((await evaluate(db, { remindMs: 20 })).reminded).toBe(1);
    expect((await evaluate(db, { remindMs: 60_000 })).reminded).toBe(0);
    await deliverAll(db, opts);
    expect(states()).toEqual(['open', 'reminder']);
    expect(received()[1]!.incident.id).toBe(id);

    const ack = await acknowledgeIncident(db, id, testActor, 'looking into the legacy importer');
    expect(ack).toMatchObject({ id, acknowledgedBy: testActor.label, ackNote: 'looking into the legacy importer' });
    expect(await codeOf(acknowledgeIncident(db, id, testActor, 'again'))).toBe('CONFLICT');
    await sleep(30);
    expect((await evaluate(db, { remindMs: 20 })).reminded).toBe(0);
    await deliverAll(db, opts);
    expect(states()).toEqual(['open', 'reminder']);

    // Acknowledged still gets its recovery notice.
    await setLicenseLevel(c, broken, 1);
    await evaluate(db, { remindMs: 20 });
    await deliverAll(db, opts);
    expect(states()).toEqual(['open', 'reminder', 'resolved']);
    expect(await codeOf(acknowledgeIncident(db, id, testActor, 'too late'))).toBe('CONFLICT');
    expect(await timelineOf(c, id)).toEqual(['OPENED', 'NOTIFIED', 'REMINDED', 'NOTIFIED', 'ACKNOWLEDGED', 'RESOLVED', 'NOTIFIED']);
    const ackEvent = (await getIncident(db, id))!.events.find((e) => e.kind === 'ACKNOWLEDGED')!;
    expect(ackEvent).toMatchObject({ actor: testActor.label, detail: { note: 'looking into the legacy importer' } });
    expect(await countOf(c, `SELECT 1 FROM audit_events WHERE action = 'INCIDENT_ACKNOWLEDGED'`)).toBe(1);
  });

  it('refuses to acknowledge without a note, or an incident that does not exist', async () => {
    await createPairs(c, 2, 1);
    const { opened } = await evaluate(db);
    expect(await codeOf(acknowledgeIncident(db, opened[0]!.id, testActor, ''))).toBe('VALIDATION');
    expect(await codeOf(acknowledgeIncident(db, 999_999, testActor, 'note'))).toBe('NOT_FOUND');
    expect(await codeOf(acknowledgeIncident(db, -1, testActor, 'note'))).toBe('VALIDATION');
    expect((await getIncident(db, opened[0]!.id))!.acknowledgedAt).toBeNull();
  });

  it('counts the next reminder from the evaluation time it was given', async () => {
    await createPairs(c, 2, 1);
    await evaluate(db, { remindMs: 60_000 });
    const later = new Date(Date.now() + 120_000);
    expect((await evaluate(db, { remindMs: 60_000, now: later })).reminded).toBe(1);
    // Expected: the reminder was "sent" at `later`; the next is due a minute after it, not now.
    expect((await evaluate(db, { remindMs: 60_000, now: later })).reminded).toBe(0);
  });
});
