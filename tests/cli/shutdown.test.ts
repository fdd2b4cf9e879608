import { spawn } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rawClient, testDatabaseUrl } from '../support/db';
import { countDesyncsIndependently, createPairsInBulk, slowLicenseUpdates } from '../support/factories';

/**
 * `syncwatch sync` stopped with SIGTERM (a deploy, a container stop, Ctrl-C's sibling): the job
 * stops between batches, is recorded FAILED with the cancellation, and frees the single running
 * slot at once, instead of staying RUNNING until its heartbeat times out. The real CLI is spawned.
 */

const root = path.resolve(import.meta.dirname, '../..');
const APP_NAME = 'cli-being-stopped';
// Spawning compiles the CLI with tsx; on a busy two-core machine that takes a while.
vi.setConfig({ testTimeout: 180_000 });

let c: pg.Client;
let undoSlow: (() => Promise<void>) | undefined;
beforeAll(async () => {
  c = await rawClient();
});
afterAll(async () => {
  await undoSlow?.();
  await c.end();
});

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('syncwatch sync on SIGTERM', () => {
  it('stops between batches: the job ends FAILED with the reason and the slot is free', async () => {
    // 1500 pairs: two batches of the default size (1000), each slowed to about 2 s.
    await createPairsInBulk(c, 1500, { progressLevel: 3, licenseLevel: 1 });
    undoSlow = await slowLicenseUpdates(c, 2);

    const url = new URL(testDatabaseUrl);
    url.searchParams.set('application_name', APP_NAME);
    const child = spawn(process.execPath, [path.join(root, 'scripts/syncwatch.mjs'), 'sync', '--reason', 'stopped mid-run'], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url.toString() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.once('exit', (code, signal) => r({ code, signal })),
    );

    // In the first batch: the job is RUNNING and one of the CLI's connections sits in the trigger.
    await waitFor(`the first batch to be running (stdout: ${stdout}, stderr: ${stderr})`, async () => {
      const { rows } = await c.query(
        `SELECT 1 FROM pg_stat_activity a, sync_jobs j WHERE a.application_name = $1 AND a.wait_event = 'PgSleep' AND j.status = 'RUNNING'`,
        [APP_NAME],
      );
      return rows.length > 0;
    });
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const { code } = await exited;
    const stoppedInMs = Date.now() - signalledAt;

    const { rows: jobs } = await c.query(`SELECT status, error, done, synced, finished_at FROM sync_jobs`);
    expect(jobs, `stdout: ${stdout}\nstderr: ${stderr}`).toHaveLength(1);
    const [job] = jobs;
    expect(job.status).toBe('FAILED');
    expect(job.error).toMatch(/cancelled/);
    expect(job.error).toContain('SIGTERM');
    expect(job.finished_at).not.toBeNull();
    // The batch under way when the signal came was completed; the next one never started.
    expect({ done: job.done, synced: job.synced }).toEqual({ done: 1000, synced: 1000 });
    expect((await countDesyncsIndependently(c)).level_mismatch).toBe(500);
    // Within a few seconds (the rest of the batch under way), not the heartbeat timeout (120 s).
    expect(stoppedInMs).toBeLessThan(15_000);
    expect(code).toBe(1);
    expect(stderr).toContain('Stopping after the current batch (the process received SIGTERM).');
    expect(stdout).toMatch(/^Job #\d+ FAILED in .*: found 1,?500, synced 1,?000/);

    // The slot is free: another job can start at once.
    await undoSlow();
    undoSlow = undefined;
    await c.query(`INSERT INTO sync_jobs (trigger, actor) VALUES ('MANUAL', 'next@test.local')`);
    expect((await c.query(`SELECT count(*)::int AS n FROM sync_jobs WHERE status = 'RUNNING'`)).rows[0].n).toBe(1);
  });
});
