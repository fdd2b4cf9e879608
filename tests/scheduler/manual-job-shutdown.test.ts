import type * as NextAuth from 'next-auth';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { db, rawClient } from '../support/db';
import { createPairsInBulk, slowLicenseUpdates } from '../support/factories';
import type * as Shutdown from '@/lib/shutdown';

/**
 * A sync job started from the UI ("Confirm sync", startSyncJobAction) runs in the background of
 * the server process and takes the process-wide shutdown signal (lib/shutdown.ts): when the
 * server is told to stop, the job stops between batches, ends FAILED with the reason and frees
 * the slot. The process signal itself is stood in for by a controller the test aborts (a real
 * SIGTERM is sent to the CLI in tests/cli/shutdown.test.ts); the action, the session check and
 * the engine are the real ones.
 */
const process_ = vi.hoisted(() => ({ shutdown: new AbortController() }));
vi.mock('@/lib/shutdown', async (importOriginal) => ({
  ...(await importOriginal<typeof Shutdown>()),
  shutdownSignal: () => process_.shutdown.signal,
}));
const session = vi.hoisted(() => ({ current: null as null | { user: { id: string; email: string; role: string } } }));
vi.mock('next-auth', async (importOriginal) => ({
  ...(await importOriginal<typeof NextAuth>()),
  getServerSession: async () => session.current,
}));
vi.mock('next/cache', () => ({ revalidatePath: () => {} }));
vi.mock('next/headers', () => ({ headers: async () => new Headers(), cookies: async () => ({ get: () => undefined, getAll: () => [] }) }));

const { startSyncJobAction } = await import('@/lib/actions/start-sync-job');

let c: pg.Client;
let undoSlow: (() => Promise<void>) | undefined;
beforeAll(async () => {
  c = await rawClient();
  const admin = await db.user.create({
    data: { email: 'admin@shutdown.test', name: 'Admin', role: 'ADMIN', passwordHash: 'unused' },
    select: { id: true, email: true },
  });
  session.current = { user: { id: String(admin.id), email: admin.email, role: 'ADMIN' } };
});
afterAll(async () => {
  await undoSlow?.();
  await c.end();
});

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000, state?: () => Promise<string>) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${state ? `: ${await state()}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a sync job started from the UI when the server shuts down', () => {
  it('stops between batches, ends FAILED with the reason, and frees the slot', async () => {
    await createPairsInBulk(c, 1500, { progressLevel: 3, licenseLevel: 1 });
    undoSlow = await slowLicenseUpdates(c, 1.5);

    const result = await startSyncJobAction({ reason: 'started from the dashboard' });
    expect(result).toMatchObject({ ok: true, job: { status: 'RUNNING' } });
    const { rows } = await c.query<{ id: number }>(`SELECT id FROM sync_jobs WHERE status = 'RUNNING'`);
    const id = rows[0]!.id;

    await waitFor('the first batch to be running', async () => {
      const { rows } = await c.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'`);
      return rows.length > 0;
    });
    process_.shutdown.abort('the process received SIGTERM');

    const state = async () =>
      JSON.stringify([
        (await c.query(`SELECT status, done, synced, failed, error FROM sync_jobs WHERE id = $1`, [id])).rows,
        (await c.query(`SELECT error FROM sync_job_items LIMIT 2`)).rows,
        (
          await c.query(
            `SELECT wait_event, left(query, 80) AS q FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'`,
          )
        ).rows,
      ]);
    await waitFor(
      'the job to finish',
      async () => {
        const { rows } = await c.query(`SELECT 1 FROM sync_jobs WHERE id = $1 AND status <> 'RUNNING'`, [id]);
        return rows.length > 0;
      },
      30_000,
      state,
    );
    const {
      rows: [job],
    } = await c.query(`SELECT status, error, done FROM sync_jobs WHERE id = $1`, [id]);
    expect(job.status).toBe('FAILED');
    expect(job.error).toMatch(/cancelled \(the process received SIGTERM\)/);
    expect(job.done).toBe(1000);
    expect((await c.query(`SELECT count(*)::int AS n FROM sync_jobs WHERE status = 'RUNNING'`)).rows[0].n).toBe(0);
  });
});
