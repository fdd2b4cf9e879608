import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db/prisma';
import type { Scheduler } from '../../lib/scheduler/scheduler';
import type { SchedulerConfig } from '../../lib/scheduler/schedules';
import { rawClient } from '../support/db';
import { independentScheduler, testConfig } from './support';

/**
 * Retention must never delete the claim of an occurrence that can still be claimed: the claim is
 * what makes an occurrence run once, so pruning it inside the catch-up grace lets an instance
 * that comes back (or one that never tried) claim and run the occurrence a second time.
 * lib/env.ts refuses such a configuration at start; here the scheduler is given one directly.
 */

let c: pg.Client;
const clients: Db[] = [];

function instance(id: string, config: SchedulerConfig, schedules: Parameters<typeof independentScheduler>[0]['schedules']): Scheduler {
  const s = independentScheduler({ config, schedules, instanceId: id });
  clients.push(s.db);
  return s.scheduler;
}

beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await Promise.all(clients.map((d) => d.$disconnect()));
  await c.end();
});

const t = (iso: string) => new Date(iso);

describe('retention inside the catch-up grace', () => {
  it('keeps the claim of an occurrence that is still claimable, so it does not run twice', async () => {
    // Grace 30 min; retention 10 minutes (a configuration the environment would refuse).
    const config = testConfig({ catchUpGraceMs: 30 * 60_000, retentionDays: 10 / 1440 });
    const first = instance('first', config, ['SYNC', 'RETENTION']);

    const [sync] = await first.tick(t('2030-08-01T06:05:00Z'));
    expect(sync).toMatchObject({ schedule: 'SYNC', occurrenceAt: t('2030-08-01T06:00:00Z'), status: 'SUCCEEDED' });

    // Retention at 06:17 prunes history older than 06:07:30, which includes the 06:00 occurrence.
    const retention = await first.tick(t('2030-08-01T06:17:30Z'));
    expect(retention).toMatchObject([{ schedule: 'RETENTION', status: 'SUCCEEDED' }]);

    // An instance that comes back at 06:20 is still inside the grace of the 06:00 occurrence.
    const late = instance('late', config, ['SYNC']);
    expect(late.dueOccurrence('SYNC', t('2030-08-01T06:20:00Z'))).toEqual(t('2030-08-01T06:00:00Z'));
    expect(await late.tick(t('2030-08-01T06:20:00Z'))).toEqual([]);

    const { rows } = await c.query(`SELECT instance_id, status FROM schedule_runs WHERE schedule = 'SYNC' ORDER BY id`);
    expect(rows).toEqual([{ instance_id: 'first', status: 'SUCCEEDED' }]);
    expect((await c.query(`SELECT count(*)::int AS n FROM sync_jobs`)).rows[0].n).toBe(1);
  });

  it('still prunes claims once they are older than both the retention and the claim window', async () => {
    await c.query(`TRUNCATE schedule_runs`);
    await c.query(
      `INSERT INTO schedule_runs (schedule, occurrence_at, instance_id, status, finished_at)
       VALUES ('SYNC', '2030-08-02T00:00:00Z', 'old', 'SUCCEEDED', '2030-08-02T00:00:01Z'),
              ('SYNC', '2030-08-02T06:00:00Z', 'recent', 'SUCCEEDED', '2030-08-02T06:00:01Z')`,
    );
    const janitor = instance('janitor', testConfig({ catchUpGraceMs: 30 * 60_000, retentionDays: 10 / 1440 }), ['RETENTION']);
    const [run] = await janitor.tick(t('2030-08-02T06:17:30Z'));
    expect(run!.detail).toMatch(/, 1 schedule run\(s\) older than/);
    const { rows } = await c.query(`SELECT instance_id FROM schedule_runs WHERE schedule = 'SYNC' ORDER BY id`);
    expect(rows).toEqual([{ instance_id: 'recent' }]);
  });
});
