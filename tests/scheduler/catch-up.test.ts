import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db/prisma';
import type { Scheduler } from '../../lib/scheduler/scheduler';
import type { SchedulerConfig } from '../../lib/scheduler/schedules';
import { rawClient } from '../support/db';
import { independentScheduler, testConfig } from './support';

/**
 * Downtime: an occurrence missed because every instance was down runs once when one comes back
 * within SCHEDULE_CATCH_UP_GRACE_MINUTES (30 here), never once per missed occurrence.
 */

let c: pg.Client;
const clients: Db[] = [];

function instance(id: string, config: SchedulerConfig = testConfig()): Scheduler {
  const { scheduler, db } = independentScheduler({ config, schedules: ['SYNC'], instanceId: id });
  clients.push(db);
  return scheduler;
}

beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await Promise.all(clients.map((d) => d.$disconnect()));
  await c.end();
});
beforeEach(async () => {
  await c.query(`TRUNCATE schedule_runs, current_desyncs, sync_job_items, sync_jobs, audit_events`);
});

async function runs() {
  const { rows } = await c.query<{ occurrence_at: Date; instance_id: string }>(
    `SELECT occurrence_at, instance_id FROM schedule_runs WHERE schedule = 'SYNC' ORDER BY occurrence_at`,
  );
  return rows.map((r) => `${r.occurrence_at.toISOString()} ${r.instance_id}`);
}
const jobCount = async () => (await c.query(`SELECT count(*)::int AS n FROM sync_jobs`)).rows[0].n as number;
const t = (iso: string) => new Date(iso);

describe('catch-up after downtime (grace 30 min, sync every 6 h)', () => {
  it('runs a missed occurrence once when an instance returns within the grace', async () => {
    const first = instance('back-at-0610');
    const [run] = await first.tick(t('2030-06-01T06:10:00Z'));
    expect(run).toMatchObject({ occurrenceAt: t('2030-06-01T06:00:00Z'), status: 'SUCCEEDED' });
    // Later ticks of this and of another instance find it claimed.
    expect(await first.tick(t('2030-06-01T06:20:00Z'))).toEqual([]);
    expect(await instance('back-at-0625').tick(t('2030-06-01T06:25:00Z'))).toEqual([]);
    expect(await runs()).toEqual(['2030-06-01T06:00:00.000Z back-at-0610']);
    expect(await jobCount()).toBe(1);
  });

  it('runs once, not once per missed occurrence, after a long outage', async () => {
    // Down from 05:00 to 18:20: 06:00, 12:00 and 18:00 were missed.
    const s = instance('after-outage');
    const out = await s.tick(t('2030-06-02T18:20:00Z'));
    expect(out.map((o) => o.occurrenceAt)).toEqual([t('2030-06-02T18:00:00Z')]);
    for (const m of [21, 25, 29]) expect(await s.tick(t(`2030-06-02T18:${m}:00Z`))).toEqual([]);
    expect(await runs()).toEqual(['2030-06-02T18:00:00.000Z after-outage']);
    expect(await jobCount()).toBe(1);
  });

  it('skips an occurrence missed by more than the grace and runs the next one on time', async () => {
    const s = instance('too-late');
    expect(s.dueOccurrence('SYNC', t('2030-06-03T06:30:00Z'))).toEqual(t('2030-06-03T06:00:00Z'));
    expect(s.dueOccurrence('SYNC', t('2030-06-03T06:30:00.001Z'))).toBeNull();
    expect(await s.tick(t('2030-06-03T06:31:00Z'))).toEqual([]);
    const [next] = await s.tick(t('2030-06-03T12:00:00.020Z'));
    expect(next).toMatchObject({ occurrenceAt: t('2030-06-03T12:00:00Z') });
    expect(await runs()).toEqual(['2030-06-03T12:00:00.000Z too-late']);
  });

  it('with the grace at 0 still claims an occurrence up to one minute late (timer slack)', async () => {
    const s = instance('no-grace', testConfig({ catchUpGraceMs: 0 }));
    expect(s.dueOccurrence('SYNC', t('2030-06-04T06:01:00Z'))).toEqual(t('2030-06-04T06:00:00Z'));
    expect(s.dueOccurrence('SYNC', t('2030-06-04T06:01:00.001Z'))).toBeNull();
  });
});

describe('exactly on an occurrence', () => {
  it('claims the occurrence at its own millisecond', async () => {
    const s = instance('punctual');
    expect(s.dueOccurrence('SYNC', t('2030-06-05T12:00:00.000Z'))).toEqual(t('2030-06-05T12:00:00Z'));
    // One millisecond before it, the latest occurrence is 06:00, six hours old: nothing is due.
    expect(s.dueOccurrence('SYNC', t('2030-06-05T11:59:59.999Z'))).toBeNull();
  });
});

describe('a fresh install', () => {
  it('does not catch up occurrences from before the first scheduler start', async () => {
    await c.query(`DELETE FROM scheduler_state`);
    await c.query(`INSERT INTO scheduler_state (id, first_started_at) VALUES (1, '2030-06-06T06:10:00Z')`);
    // An inert cron for the real timers start() adds; the test drives tick() itself.
    const s = instance(
      'fresh',
      testConfig({ crons: { HEALTH_CHECK: '* * * * *', SYNC: '0 */6 * * *', RETENTION: '17 * * * *', AUDIT: '0 0 1 1 *' } }),
    );
    await s.start();
    try {
      // 06:00 is within the grace at 06:15, but it came before the first start at 06:10.
      expect(s.dueOccurrence('SYNC', t('2030-06-06T06:15:00Z'))).toBeNull();
      expect(await s.tick(t('2030-06-06T06:15:00Z'))).toEqual([]);
      expect(s.dueOccurrence('SYNC', t('2030-06-06T12:05:00Z'))).toEqual(t('2030-06-06T12:00:00Z'));
    } finally {
      await s.stop();
    }
    // start() kept the recorded first start.
    const { rows } = await c.query(`SELECT first_started_at FROM scheduler_state`);
    expect(rows).toEqual([{ first_started_at: t('2030-06-06T06:10:00Z') }]);
  });
});
