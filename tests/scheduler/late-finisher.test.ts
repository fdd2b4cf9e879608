import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { abandonStaleClaims, claimOccurrence, finishClaim, heartbeatClaim } from '../../lib/scheduler/claims';
import type { TaskResult } from '../../lib/scheduler/tasks';
import { db, rawClient } from '../support/db';
import { independentScheduler, testConfig } from './support';

/**
 * A claim the sweep marked ABANDONED (its instance's heartbeat stalled) stays ABANDONED: the
 * instance that finishes late neither rewrites its outcome nor revives it with a heartbeat.
 */

let c: pg.Client;

beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await c.end();
});
beforeEach(async () => {
  await c.query(`TRUNCATE schedule_runs`);
});

const stall = (id: number) => c.query(`UPDATE schedule_runs SET heartbeat_at = now() - interval '10 minutes' WHERE id = $1`, [id]);
const row = async (id: number) =>
  (await c.query(`SELECT status, detail, heartbeat_at FROM schedule_runs WHERE id = $1`, [id])).rows[0] as {
    status: string;
    detail: string | null;
    heartbeat_at: Date;
  };

describe('a claim abandoned by the sweep', () => {
  it('is not rewritten by finishClaim nor revived by heartbeatClaim', async () => {
    const claim = await claimOccurrence(db, 'SYNC', new Date('2030-10-01T06:00:00Z'), 'stalled');
    expect(claim).not.toBeNull();
    expect(await heartbeatClaim(db, claim!.id)).toBe(true);
    await stall(claim!.id);
    expect(await abandonStaleClaims(db, 60_000)).toHaveLength(1);
    const abandoned = await row(claim!.id);
    expect(abandoned.status).toBe('ABANDONED');

    expect(await heartbeatClaim(db, claim!.id)).toBe(false);
    expect(await finishClaim(db, claim!.id, { status: 'SUCCEEDED', detail: 'finished late' })).toBe(false);
    expect(await row(claim!.id)).toEqual(abandoned);
  });

  it('stays ABANDONED when the scheduler finishes the run afterwards, and the scheduler says so', async () => {
    let release!: () => void;
    const opened = new Promise<void>((r) => (release = r));
    const errors: string[] = [];
    const { scheduler, db: own } = independentScheduler({
      config: testConfig(),
      schedules: ['HEALTH_CHECK'],
      instanceId: 'late-finisher',
      log: { info: () => {}, error: (m) => errors.push(m) },
      tasks: {
        HEALTH_CHECK: async (): Promise<TaskResult> => {
          await opened;
          return { status: 'SUCCEEDED', detail: 'finished late' };
        },
      },
    });
    try {
      const run = scheduler.tick(new Date('2030-10-01T06:00:05Z'));
      let id: number | undefined;
      for (let i = 0; i < 200 && id === undefined; i++) {
        id = (await c.query(`SELECT id FROM schedule_runs WHERE status = 'RUNNING'`)).rows[0]?.id;
        if (id === undefined) await new Promise((r) => setTimeout(r, 25));
      }
      await stall(id!);
      expect((await abandonStaleClaims(db, 60_000)).map((r) => r.instanceId)).toEqual(['late-finisher']);
      release();
      await run;
      const after = await row(id!);
      expect(after.status).toBe('ABANDONED');
      expect(after.detail).toMatch(/^No heartbeat from late-finisher since /);
      expect(errors.join('\n')).toMatch(/no longer RUNNING/);
    } finally {
      await own.$disconnect();
    }
  });
});
