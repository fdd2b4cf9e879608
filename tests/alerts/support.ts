import type pg from 'pg';
import type { Db } from '../../lib/db/prisma';
import {
  evaluateIncidents,
  pendingDeliveries,
  runDeliveries,
  type AlertConfig,
  type DeliveryOptions,
  type EvaluationOptions,
} from '../../lib/alerts';
import { createPair } from '../support/factories';

/**
 * What the alerts' tests share: the engine's options as a deployment would set them (short
 * backoffs, private network allowed for the local receivers), a reset between tests, pairs
 * written atomically (so creating them causes no desync of its own) and broken or repaired with
 * raw SQL, and polling with a deadline instead of fixed sleeps.
 */

export const APP_URL = 'https://syncwatch.test/';

export const schedules: AlertConfig['schedules'] = {
  crons: { HEALTH_CHECK: '* * * * *', SYNC: '0 */6 * * *', RETENTION: '17 * * * *', AUDIT: '0 0 1 1 *' },
  timezone: 'UTC',
  syncOverdueGraceMs: 60 * 60_000,
};

export function evaluationOptions(overrides: Partial<Omit<EvaluationOptions, 'config'>> & { config?: Partial<AlertConfig> } = {}) {
  const { config, ...rest } = overrides;
  return {
    config: { targetPercent: 99.9, writerBurstCount: 0, writerBurstMinutes: 10, schedules, ...config },
    appUrl: APP_URL,
    remindMs: 3_600_000,
    ...rest,
  } satisfies EvaluationOptions;
}

export const evaluate = (db: Db, overrides: Parameters<typeof evaluationOptions>[0] = {}) =>
  evaluateIncidents(db, evaluationOptions(overrides));

export function deliveryOptions(smtpUrl: string | undefined, overrides: Partial<DeliveryOptions> = {}): DeliveryOptions {
  return {
    retryMs: 60_000,
    allowPrivateNetwork: true,
    smtpUrl,
    smtpFrom: 'SyncWatch <alerts@syncwatch.test>',
    baseBackoffMs: 20,
    maxBackoffMs: 100,
    leaseMs: 30_000,
    timeoutMs: 5_000,
    ...overrides,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000, everyMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for: ${what}`);
    await sleep(everyMs);
  }
}

/** Runs delivery rounds until nothing is pending (or `until` holds), within `timeoutMs`. */
export async function deliverAll(db: Db, opts: DeliveryOptions, until?: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  await eventually(
    'the outbox to drain',
    async () => {
      await runDeliveries(db, opts);
      return until ? until() : (await pendingDeliveries(db)) === 0;
    },
    timeoutMs,
    10,
  );
}

/** Empties what the alerts read and write; the pairs go by DELETE so the live counters follow. */
export async function resetAlerts(c: pg.Client) {
  await c.query('BEGIN');
  await c.query('DELETE FROM user_licenses');
  await c.query('DELETE FROM specialization_progress');
  await c.query('COMMIT');
  await c.query(
    `TRUNCATE incidents, incident_events, deliveries, notification_channels, maintenance_windows,
              sync_job_items, sync_jobs, scheduler_state, pair_events`,
  );
  await c.query('DELETE FROM health_checks');
}

/** `consistent` consistent pairs and `broken` LEVEL_MISMATCH ones, in one transaction; returns the broken learners. */
export async function createPairs(c: pg.Client, consistent: number, broken = 0): Promise<number[]> {
  await c.query('BEGIN');
  for (let i = 0; i < consistent; i++) await createPair(c, { progressLevel: 1 });
  const ids: number[] = [];
  for (let i = 0; i < broken; i++) ids.push((await createPair(c, { progressLevel: 1, licenseLevel: 2 })).userId);
  await c.query('COMMIT');
  return ids;
}

/** Puts these learners' licenses at `level` (2 breaks a level-1 pair, 1 repairs it). */
export async function setLicenseLevel(c: pg.Client, userIds: number[], level: number) {
  await c.query(`UPDATE user_licenses SET current_level = $2 WHERE user_id = ANY($1::int[])`, [userIds, level]);
}

/** The timeline's kinds, in order. */
export async function timelineOf(c: pg.Client, incidentId: number): Promise<string[]> {
  const { rows } = await c.query<{ kind: string }>(`SELECT kind::text FROM incident_events WHERE incident_id = $1 ORDER BY at, id`, [
    incidentId,
  ]);
  return rows.map((r) => r.kind);
}

export async function countOf(c: pg.Client, sql: string, params: unknown[] = []): Promise<number> {
  return (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) x`, params)).rows[0]!.n;
}
