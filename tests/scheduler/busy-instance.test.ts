import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db/prisma';
import { renderMetrics } from '../../lib/monitoring/metrics';
import type { Scheduler } from '../../lib/scheduler/scheduler';
import type { TaskResult } from '../../lib/scheduler/tasks';
import { db, rawClient } from '../support/db';
import { independentScheduler, plus, sleep, testConfig } from './support';

/**
 * An occurrence that comes while this instance still runs the previous one of the same schedule
 * is not queued, and not dropped silently either: it is claimed and recorded SKIPPED with the
 * reason, so the history and the metrics show it. The claim still decides: exactly one row per
 * occurrence, however many instances are busy. A free instance gets the first chance at it.
 */

const EVERY_SECOND = '* * * * * *';
const base = new Date('2030-09-01T00:00:00.000Z');
const config = testConfig({ crons: { HEALTH_CHECK: '* * * * *', SYNC: EVERY_SECOND, RETENTION: '17 * * * *', AUDIT: '0 0 1 1 *' } });

let c: pg.Client;
const clients: Db[] = [];

/** A SYNC task that runs until the test releases it. */
function gate() {
  let release!: () => void;
  const opened = new Promise<void>((r) => (release = r));
  const task = async (): Promise<TaskResult> => {
    await opened;
    return { status: 'SUCCEEDED', detail: 'released' };
  };
  return { task, release };
}

function instance(id: string, task: () => Promise<TaskResult>): Scheduler {
  const s = independentScheduler({ config, schedules: ['SYNC'], instanceId: id, tasks: { SYNC: task } });
  clients.push(s.db);
  return s.scheduler;
}

async function rows() {
  const { rows } = await c.query<{ occurrence_at: Date; instance_id: string; status: string; detail: string | null }>(
    `SELECT occurrence_at, instance_id, status, detail FROM schedule_runs WHERE schedule = 'SYNC' ORDER BY occurrence_at`,
  );
  return rows;
}

async function waitForRunning(n: number) {
  for (let i = 0; i < 200; i++) {
    const { rows } = await c.query(`SELECT count(*)::int AS n FROM schedule_runs WHERE status = 'RUNNING'`);
    if (rows[0].n >= n) return;
    await sleep(25);
  }
  throw new Error(`Timed out waiting for ${n} RUNNING claim(s)`);
}

beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await Promise.all(clients.map((d) => d.$disconnect()));
  await c.end();
});
beforeEach(async () => {
  await c.query(`TRUNCATE schedule_runs`);
});

describe('an instance still running the previous occurrence', () => {
  it('records the next occurrence SKIPPED with the reason, once, and the metrics count it', async () => {
    const g = gate();
    const a = instance('busy-a', g.task);
    const first = a.tick(plus(base, 5));
    await waitForRunning(1);

    const second = await a.tick(plus(base, 1005));
    expect(second).toMatchObject([{ schedule: 'SYNC', occurrenceAt: plus(base, 1000), status: 'SKIPPED' }]);
    // Asked once: a later tick at the same occurrence does nothing.
    expect(await a.tick(plus(base, 1500))).toEqual([]);

    g.release();
    expect(await first).toMatchObject([{ occurrenceAt: base, status: 'SUCCEEDED' }]);

    const stored = await rows();
    expect(stored.map((r) => [r.occurrence_at, r.instance_id, r.status])).toEqual([
      [base, 'busy-a', 'SUCCEEDED'],
      [plus(base, 1000), 'busy-a', 'SKIPPED'],
    ]);
    expect(stored[1]!.detail).toBe(`The previous SYNC run (occurrence ${base.toISOString()}) was still running in this instance.`);
    expect(second[0]!.detail).toBe(stored[1]!.detail);

    const { body } = await renderMetrics(db);
    expect(body).toMatch(/^syncwatch_schedule_runs\{schedule="SYNC",status="SKIPPED"\} 1$/m);
  });

  it('is recorded once when two instances are both busy', async () => {
    const ga = gate();
    const gb = gate();
    const a = instance('both-a', ga.task);
    const b = instance('both-b', gb.task);
    const runA = a.tick(plus(base, 10_005));
    await waitForRunning(1);
    const runB = b.tick(plus(base, 11_005));
    await waitForRunning(2);

    // Both wake for 12 s, both busy: the claim decides which of them records it.
    const [ra, rb] = await Promise.all([a.tick(plus(base, 12_003)), b.tick(plus(base, 12_007))]);
    expect(ra.length + rb.length).toBe(1);
    expect([...ra, ...rb][0]).toMatchObject({ occurrenceAt: plus(base, 12_000), status: 'SKIPPED' });

    ga.release();
    gb.release();
    await Promise.all([runA, runB]);
    const stored = await rows();
    expect(stored.map((r) => [r.occurrence_at.getTime() - base.getTime(), r.status])).toEqual([
      [10_000, 'SUCCEEDED'],
      [11_000, 'SUCCEEDED'],
      [12_000, 'SKIPPED'],
    ]);
    expect(stored[2]!.detail).toMatch(/^The previous SYNC run \(occurrence \S+\) was still running in this instance\.$/);
  });

  it('leaves the occurrence to a free instance when there is one', async () => {
    const g = gate();
    const a = instance('slow-a', g.task);
    const b = instance('free-b', async () => ({ status: 'SUCCEEDED', detail: 'ran on b' }));
    const runA = a.tick(plus(base, 20_005));
    await waitForRunning(1);

    const [ra, rb] = await Promise.all([a.tick(plus(base, 21_003)), b.tick(plus(base, 21_009))]);
    expect(ra).toEqual([]);
    expect(rb).toMatchObject([{ occurrenceAt: plus(base, 21_000), status: 'SUCCEEDED' }]);

    g.release();
    await runA;
    expect((await rows()).map((r) => [r.instance_id, r.status])).toEqual([
      ['slow-a', 'SUCCEEDED'],
      ['free-b', 'SUCCEEDED'],
    ]);
  });
});
