import { z } from 'zod';
import type { Db, DbTx } from '../db/prisma';
import { parseInput } from './validation';

/**
 * Who causes desyncs: the judge at commit records every change of a pair's verdict in pair_events
 * with its writer (a staff email, "api:<key name>", "scheduler", "cli", "sql:<application>" for
 * any other writer, "audit" or "clock"). A desync is caused when a write BROKE a consistent pair
 * or CHANGED the kind of one already out of sync.
 */

export interface WriterCount {
  writer: string;
  /** pair_events with effect BROKE or CHANGED by this writer in the window. */
  count: number;
}

const byWriterSchema = z.strictObject({
  since: z.date().refine((d) => !Number.isNaN(d.getTime()), 'must be a valid date'),
  limit: z.number().int().min(1).max(1000).optional(),
});

/**
 * Desyncs caused per writer since `since`, most first (ties by writer), at most `limit` writers
 * (default 100). Reads the window from the index on pair_events (at).
 */
export async function desyncsByWriter(db: Db | DbTx, opts: { since: Date; limit?: number }): Promise<WriterCount[]> {
  const v = parseInput(byWriterSchema, opts);
  const rows = await db.$queryRaw<{ writer: string; n: number }[]>`
    SELECT e.writer, count(*)::int AS n
    FROM pair_events e
    WHERE e.at >= ${v.since}::timestamptz AND e.effect IN ('BROKE', 'CHANGED')
    GROUP BY e.writer
    ORDER BY n DESC, e.writer
    LIMIT ${v.limit ?? 100}`;
  return rows.map((r) => ({ writer: r.writer, count: r.n }));
}
