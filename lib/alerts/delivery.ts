import type { Db } from '../db/prisma';
import { Prisma } from '../generated/prisma/client';
import { log } from '../log';
import type { ChannelKind, NotificationEvent } from '../vocabulary';
import type { Notice } from './payloads';
import { send, type SendResult, type TransportOptions } from './transports';

const deliveryLog = log.child({ component: 'alerts' });

/**
 * The delivery worker: claims due rows of the outbox with FOR UPDATE SKIP LOCKED and a lease, so
 * that with several instances each notification is sent by one of them; sends it; records the
 * outcome. Per channel and incident only the oldest undelivered row may be claimed, so a receiver
 * that was down gets everything, in order, once it is back. A failure is retried with exponential
 * backoff and full jitter until ALERT_RETRY_MINUTES after the first attempt, then marked failed
 * (the channel shows it). A worker that dies mid-send loses only its lease: the row is claimed
 * again, so a notification is sent at least once and receivers dedupe on X-SyncWatch-Delivery.
 */

export interface DeliveryOptions extends TransportOptions {
  /** How long retries go on after the first attempt. */
  retryMs: number;
  /** The first retry's delay; each next doubles, up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** A claim's lease: past it, another worker may take the row. */
  leaseMs?: number;
  /** At most this many rows per round. */
  limit?: number;
}

interface Claimed {
  id: bigint;
  channel_id: number;
  incident_id: number | null;
  event: NotificationEvent;
  payload: Notice;
  attempts: number;
  first_attempt_at: Date;
  kind: ChannelKind;
  name: string;
  target: string;
  secret: string | null;
}

/** How long a "Send test" is retried. */
export const TEST_RETRY_MS = 20_000;

export function backoffMs(attempts: number, base: number, max: number, random = Math.random): number {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempts - 1));
  // Full jitter between half and all of the ceiling: retries of many rows spread out.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

async function claim(db: Db, limit: number, leaseMs: number): Promise<Claimed[]> {
  return db.$queryRaw<Claimed[]>`
    WITH due AS (
      SELECT d.id FROM deliveries d
      WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.not_before <= now()
        AND (d.claimed_until IS NULL OR d.claimed_until < now())
        AND NOT EXISTS (
          SELECT 1 FROM deliveries e
          WHERE e.channel_id = d.channel_id AND e.incident_id = d.incident_id AND e.id < d.id
            AND e.delivered_at IS NULL AND e.failed_at IS NULL)
      ORDER BY d.not_before, d.id
      LIMIT ${limit}
      FOR UPDATE OF d SKIP LOCKED),
    claimed AS (
      UPDATE deliveries d SET claimed_until = now() + make_interval(secs => ${leaseMs / 1000}::double precision),
             attempts = d.attempts + 1, first_attempt_at = coalesce(d.first_attempt_at, now())
      FROM due WHERE d.id = due.id
      RETURNING d.id, d.channel_id, d.incident_id, d.event, d.payload, d.attempts, d.first_attempt_at)
    SELECT claimed.*, c.kind, c.name, c.target, c.secret
    FROM claimed JOIN notification_channels c ON c.id = claimed.channel_id
    ORDER BY claimed.id`;
}

/**
 * Records a send's outcome, fenced on the claim (`attempts` as claimed): a worker whose lease ran
 * out while it sent, and whose row another worker claimed meanwhile, changes nothing.
 */
async function record(db: Db, row: Claimed, result: SendResult, opts: DeliveryOptions): Promise<'sent' | 'retried' | 'failed'> {
  const detail = JSON.stringify({ channel: row.name, kind: row.kind, event: row.event, attempts: row.attempts, status: result.status });
  const mine = Prisma.sql`id = ${row.id} AND attempts = ${row.attempts} AND delivered_at IS NULL AND failed_at IS NULL`;
  if (result.ok) {
    await db.$executeRaw`
      WITH u AS (
        UPDATE deliveries SET delivered_at = now(), claimed_until = NULL, last_status = ${result.status}, last_error = NULL
        WHERE ${mine} RETURNING incident_id)
      INSERT INTO incident_events (incident_id, kind, detail)
      SELECT incident_id, 'NOTIFIED', ${detail}::jsonb FROM u WHERE incident_id IS NOT NULL`;
    return 'sent';
  }
  // A test answers the person who pressed "Send test": retried for 20 s at most.
  const retryMs = row.event === 'TEST' ? Math.min(opts.retryMs, TEST_RETRY_MS) : opts.retryMs;
  if (Date.now() - row.first_attempt_at.getTime() >= retryMs) {
    await db.$executeRaw`
      WITH u AS (
        UPDATE deliveries SET failed_at = now(), claimed_until = NULL, last_status = ${result.status}, last_error = ${result.error}
        WHERE ${mine} RETURNING incident_id)
      INSERT INTO incident_events (incident_id, kind, detail)
      SELECT incident_id, 'DELIVERY_FAILED', ${detail}::jsonb || jsonb_build_object('error', ${result.error}::text) FROM u
      WHERE incident_id IS NOT NULL`;
    return 'failed';
  }
  const wait = backoffMs(row.attempts, opts.baseBackoffMs ?? 2_000, opts.maxBackoffMs ?? 300_000);
  await db.$executeRaw`
    UPDATE deliveries SET claimed_until = NULL, last_status = ${result.status}, last_error = ${result.error},
           not_before = now() + make_interval(secs => ${wait / 1000}::double precision)
    WHERE ${mine}`;
  return 'retried';
}

/** One round: claims what is due, sends each (in parallel per channel, in order within one), records. */
export async function runDeliveries(db: Db, opts: DeliveryOptions): Promise<{ sent: number; retried: number; failed: number }> {
  // A lease outlasts any send (each is bounded by its timeout), so no other worker takes a row mid-send.
  const leaseMs = Math.max(opts.leaseMs ?? 60_000, 3 * (opts.timeoutMs ?? 10_000));
  const rows = await claim(db, opts.limit ?? 20, leaseMs);
  const counts = { sent: 0, retried: 0, failed: 0 };
  await Promise.all(
    rows.map(async (row) => {
      const result = await send(
        { deliveryId: row.id.toString(), kind: row.kind, target: row.target, secret: row.secret, notice: row.payload },
        opts,
      );
      if (!result.ok) {
        deliveryLog.warn(
          { deliveryId: row.id.toString(), channel: row.name, status: result.status, error: result.error },
          'delivery failed',
        );
      }
      counts[await record(db, row, result, opts)]++;
    }),
  );
  return counts;
}

/** The number of deliveries still waiting (for tests and the CLI's wait). */
export async function pendingDeliveries(db: Db): Promise<number> {
  const [r] = await db.$queryRaw<{ n: number }[]>(
    Prisma.sql`SELECT count(*)::int AS n FROM deliveries WHERE delivered_at IS NULL AND failed_at IS NULL`,
  );
  return r?.n ?? 0;
}
