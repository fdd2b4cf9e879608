import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db/prisma';
import type { Scheduler } from '../../lib/scheduler/scheduler';
import { rawClient, testDatabaseUrl } from '../support/db';
import { countDesyncsIndependently, createPair } from '../support/factories';
import { independentScheduler, sleep, testConfig } from './support';

/**
 * A scheduler instance dies in the middle of a scheduled sync: its process is SIGKILLed and its
 * connections are terminated with pg_terminate_backend. Another instance notices the missing
 * heartbeat, marks the job and the claim ABANDONED (freeing the single running slot), and the
 * next scheduled run repairs whatever was left.
 */

const PAIRS = 30;
const APP_NAME = 'doomed-instance';
const root = path.resolve(import.meta.dirname, '../..');
// The tsx loader in this very process (not the tsx CLI, which would run the script in a grandchild
// that SIGKILL would not reach).
const tsxLoader = createRequire(import.meta.url).resolve('tsx');

let c: pg.Client;
let survivor: { scheduler: Scheduler; db: Db };

beforeAll(async () => {
  c = await rawClient();
  survivor = independentScheduler({
    config: testConfig({ heartbeatTimeoutMs: 1500 }),
    schedules: ['SYNC'],
    instanceId: 'survivor',
  });
});
afterAll(async () => {
  await c.query(`DROP TRIGGER IF EXISTS slow_license ON user_licenses`);
  await survivor.db.$disconnect();
  await c.end();
});

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('a scheduler process killed mid-sync', () => {
  it('is marked ABANDONED by another instance and the next run repairs what was left', async () => {
    const pairs = [];
    for (let i = 0; i < PAIRS; i++) pairs.push(await createPair(c, { progressLevel: 3, licenseLevel: 1 }));
    // Slow the repair down so the job is certainly mid-run when the process dies.
    await c.query(`CREATE OR REPLACE FUNCTION slow_license() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(0.05); RETURN NEW; END $$`);
    await c.query(`CREATE TRIGGER slow_license BEFORE UPDATE ON user_licenses FOR EACH ROW EXECUTE FUNCTION slow_license()`);

    const url = new URL(testDatabaseUrl);
    url.searchParams.set('application_name', APP_NAME);
    const instanceArgs = ['--import', tsxLoader, 'tests/scheduler/fixtures/scheduler-instance.ts', '2030-07-01T06:00:05Z'];
    const child = spawn(process.execPath, instanceArgs, {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url.toString(), INSTANCE_ID: 'doomed', HEARTBEAT_TIMEOUT_MS: '1500' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let childOutput = '';
    child.stdout.on('data', (d) => (childOutput += d));
    child.stderr.on('data', (d) => (childOutput += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

    // Mid-run: the job is RUNNING and one of the child's connections sits in the slow trigger.
    await waitFor(`the child's job to be repairing (output: ${childOutput})`, async () => {
      const { rows } = await c.query(
        `SELECT 1 FROM pg_stat_activity a, sync_jobs j
         WHERE a.application_name = $1 AND a.wait_event = 'PgSleep' AND j.status = 'RUNNING'`,
        [APP_NAME],
      );
      return rows.length > 0;
    });
    child.kill('SIGKILL');
    expect(await exited).toBeNull();
    await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [APP_NAME]);
    await c.query(`DROP TRIGGER slow_license ON user_licenses`);

    // Nobody has noticed yet: the job still holds the slot and the claim is still RUNNING.
    const {
      rows: [job],
    } = await c.query(`SELECT id, status FROM sync_jobs`);
    expect(job).toMatchObject({ status: 'RUNNING' });
    const {
      rows: [claim],
    } = await c.query(`SELECT status, instance_id FROM schedule_runs WHERE schedule = 'SYNC'`);
    expect(claim).toMatchObject({ status: 'RUNNING', instance_id: 'doomed' });

    // Each pair is either repaired or untouched, never anything in between.
    const { rows: levels } = await c.query<{ ll: number }>(
      `SELECT l.current_level AS ll FROM user_licenses l WHERE l.user_id = ANY($1::int[])`,
      [pairs.map((p) => p.userId)],
    );
    expect(levels).toHaveLength(PAIRS);
    expect(levels.every((l) => l.ll === 1 || l.ll === 3)).toBe(true);
    const left = levels.filter((l) => l.ll === 1).length;
    expect(left).toBeGreaterThan(0);

    // Once the heartbeat is older than the timeout, the survivor's sweep notices.
    await waitFor('the sweep to abandon the job', async () => (await survivor.scheduler.sweep()).jobs > 0, 20_000);
    const {
      rows: [abandoned],
    } = await c.query(`SELECT status, error, finished_at FROM sync_jobs WHERE id = $1`, [job.id]);
    expect(abandoned.status).toBe('ABANDONED');
    expect(abandoned.error).toMatch(/heartbeat/i);
    expect(abandoned.finished_at).not.toBeNull();
    const {
      rows: [abandonedClaim],
    } = await c.query(`SELECT status, detail FROM schedule_runs WHERE instance_id = 'doomed'`);
    expect(abandonedClaim.status).toBe('ABANDONED');
    expect(abandonedClaim.detail).toContain('doomed');

    // The next occurrence runs on the survivor and repairs everything that was left.
    const [next] = await survivor.scheduler.tick(new Date('2030-07-01T12:00:03Z'));
    expect(next).toMatchObject({ status: 'SUCCEEDED', occurrenceAt: new Date('2030-07-01T12:00:00Z') });
    const {
      rows: [repair],
    } = await c.query(`SELECT status, synced, failed FROM sync_jobs WHERE id = $1`, [next!.syncJobId]);
    expect(repair).toEqual({ status: 'SUCCEEDED', synced: left, failed: 0 });
    expect(await countDesyncsIndependently(c)).toEqual({ level_mismatch: 0, missing_license: 0, missing_progress: 0 });
  });
});
