import type { Db } from '../db/prisma';

/**
 * The write API's rate limit: requests per API key in a fixed window of one minute (aligned on
 * the database clock's minutes), counted in api_rate_windows so that every instance shares the
 * count. One UPSERT per request: a window that has ended starts over at 1, otherwise the count
 * grows, and concurrent requests on several instances all count.
 */

export type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

export async function consumeRateLimit(db: Db, apiKeyId: number, limitPerMinute: number): Promise<RateDecision> {
  const rows = await db.$queryRaw<{ requests: number; retry_after: number }[]>`
    INSERT INTO api_rate_windows AS w (api_key_id, window_start, requests)
    VALUES (${apiKeyId}, date_trunc('minute', now()), 1)
    ON CONFLICT (api_key_id) DO UPDATE SET
      requests = CASE WHEN w.window_start < date_trunc('minute', now()) THEN 1 ELSE w.requests + 1 END,
      window_start = greatest(w.window_start, date_trunc('minute', now()))
    RETURNING requests, ceil(extract(epoch FROM window_start + interval '1 minute' - now()))::int AS retry_after`;
  const row = rows[0]!;
  if (row.requests <= limitPerMinute) return { allowed: true, remaining: limitPerMinute - row.requests };
  return { allowed: false, retryAfterSeconds: Math.max(1, row.retry_after) };
}
