import type pg from 'pg';
import type { RunningServer } from '../next-server';
import { readDashboard, type DashboardBody } from './dashboard';
import { specOf } from './dataset';
import { sleep } from './stats';

/**
 * (5) Desync freshness: how long after a write breaks a pair the dashboard counts it, with the
 * default health schedule and with a 10 s one.
 */

/** Resolves when the dashboard shows a health check newer than `afterId`. */
async function waitForNewCheck(server: RunningServer, cookie: string, afterId: number, timeoutMs: number): Promise<DashboardBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await readDashboard(server, cookie).catch(() => null);
    if (d?.latest && d.latest.id > afterId) return d;
    if (Date.now() > deadline) throw new Error(`No new health check within ${timeoutMs / 1000} s.`);
    await sleep(200);
  }
}

/**
 * Right after a scheduled check completes (the worst moment, so the figure is close to the
 * worst case), breaks consistent pair `g` with raw SQL and polls the dashboard's data until a
 * newer check counts it; `during` runs meanwhile. Returns seconds from the write to the poll that
 * showed it (NaN when none did within `timeoutMs`).
 */
export async function breakAndWait(
  c: pg.Client,
  server: RunningServer,
  cookie: string,
  g: number,
  timeoutMs: number,
  during?: () => Promise<void>,
): Promise<number> {
  const now = await readDashboard(server, cookie);
  const fresh = await waitForNewCheck(server, cookie, now.latest?.id ?? 0, timeoutMs);
  const before = fresh.latest!.byKind.LEVEL_MISMATCH ?? 0;
  const spec = specOf(g);
  const t0 = Date.now();
  await c.query(
    `UPDATE user_licenses l SET current_level = CASE WHEN p.current_level = 1 THEN 2 ELSE 1 END
     FROM specialization_progress p
     WHERE p.user_id = l.user_id AND p.specialization_id = l.specialization_id AND l.user_id = $1 AND l.specialization_id = $2`,
    [g, spec],
  );
  const seen = (async () => {
    const deadline = t0 + timeoutMs;
    for (;;) {
      const d = await readDashboard(server, cookie).catch(() => null);
      const counted = d?.latest && d.latest.id > fresh.latest!.id && (d.latest.byKind.LEVEL_MISMATCH ?? 0) >= before + 1;
      if (counted) return (Date.now() - t0) / 1000;
      if (Date.now() > deadline) return Number.NaN;
      await sleep(250);
    }
  })();
  await during?.();
  return seen;
}

/**
 * Consistent pairs of the data set to break for the freshness samples (learners 2, 3, ...: not
 * 7 mod 100, 13/17 mod 1000), and their repair afterwards.
 */
export class BrokenPairs {
  readonly learners: number[] = [];

  next(): number {
    const g = 2 + this.learners.length;
    this.learners.push(g);
    return g;
  }

  async restore(c: pg.Client): Promise<void> {
    for (const g of this.learners) {
      await c.query(
        `UPDATE user_licenses l SET current_level = p.current_level FROM specialization_progress p
         WHERE p.user_id = l.user_id AND p.specialization_id = l.specialization_id AND l.user_id = $1 AND l.specialization_id = $2`,
        [g, specOf(g)],
      );
    }
  }
}
