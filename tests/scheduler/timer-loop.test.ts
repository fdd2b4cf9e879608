import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db/prisma';
import { rawClient } from '../support/db';
import { independentScheduler, sleep, testConfig } from './support';

/**
 * The production path: start() runs real timers. An every-second health-check schedule, two
 * instances, a few real seconds. Counts are bounded, not exact, because the window is wall-clock
 * (and no speed is asserted: a busy machine may run fewer);
 * what must hold exactly is one claim per occurrence and nothing after stop().
 */

let c: pg.Client;
const clients: Db[] = [];

beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await Promise.all(clients.map((d) => d.$disconnect()));
  await c.end();
});
beforeEach(async () => {
  await c.query(`TRUNCATE schedule_runs, scheduler_state, current_desyncs, health_checks`);
});

const config = testConfig({ crons: { HEALTH_CHECK: '* * * * * *', SYNC: '0 0 1 1 *', RETENTION: '0 0 1 1 *', AUDIT: '0 0 1 1 *' } });

function instance(id: string, tasks?: Parameters<typeof independentScheduler>[0]['tasks']) {
  const s = independentScheduler({ config, schedules: ['HEALTH_CHECK'], instanceId: id, tasks });
  clients.push(s.db);
  return s.scheduler;
}

describe('start() and stop()', () => {
  it('two instances with timers claim each occurrence once, and stop claiming after stop()', async () => {
    const a = instance('timer-a');
    const b = instance('timer-b');
    await Promise.all([a.start(), b.start()]);
    await sleep(3200);
    await Promise.all([a.stop(), b.stop()]);
    await sleep(300); // let a run that was already claimed finish recording

    const { rows } = await c.query<{ occurrence_at: Date; status: string; health_check_id: number | null }>(
      `SELECT occurrence_at, status, health_check_id FROM schedule_runs ORDER BY occurrence_at`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows.length).toBeLessThanOrEqual(5);
    const seconds = rows.map((r) => r.occurrence_at.getTime() / 1000);
    // Whole seconds, each once (consecutive unless both instances were busy for a whole second).
    expect(seconds.every((s, i) => Number.isInteger(s) && (i === 0 || s > seconds[i - 1]!))).toBe(true);
    expect(rows.every((r) => r.status === 'SUCCEEDED' && r.health_check_id !== null)).toBe(true);
    const checks = (await c.query(`SELECT count(*)::int AS n FROM health_checks`)).rows[0].n;
    expect(checks).toBe(rows.length);
    expect((await c.query(`SELECT count(*)::int AS n FROM scheduler_state`)).rows[0].n).toBe(1);

    await sleep(1500);
    expect((await c.query(`SELECT count(*)::int AS n FROM schedule_runs`)).rows[0].n).toBe(rows.length);
  });

  it('stop() releases a claim whose run cannot finish in this process', async () => {
    let release!: () => void;
    const hung = new Promise<void>((r) => (release = r));
    const s = instance('shutting-down', {
      HEALTH_CHECK: async () => {
        await hung;
        return { status: 'SUCCEEDED' };
      },
    });
    await s.start();
    for (let i = 0; i < 60; i++) {
      if ((await c.query(`SELECT 1 FROM schedule_runs WHERE status = 'RUNNING'`)).rowCount) break;
      await sleep(50);
    }
    await s.stop();
    const { rows } = await c.query(`SELECT status, detail FROM schedule_runs`);
    expect(rows).toEqual([{ status: 'ABANDONED', detail: 'The instance shut down while running it.' }]);
    release();
  });
});
