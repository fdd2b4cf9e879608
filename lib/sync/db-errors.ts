/**
 * What PostgreSQL said, dug out of the wrappers Prisma and its pg adapter put around it, and
 * the bounded retry of what PostgreSQL asks to be retried (deadlock, serialization failure).
 */

export interface PgErrorInfo {
  /** SQLSTATE, e.g. 23505, 40P01, or a SyncWatch code such as SW409. */
  code?: string;
  constraint?: string;
  message?: string;
  /** Prisma's own code, e.g. P2034 (write conflict or deadlock in an interactive transaction). */
  prismaCode?: string;
}

export function pgError(err: unknown): PgErrorInfo {
  const e = err as {
    code?: unknown;
    constraint?: string;
    message?: string;
    meta?: { driverAdapterError?: { cause?: { originalCode?: string; originalMessage?: string; constraint?: { index?: string } } } };
    cause?: { originalCode?: string; originalMessage?: string; constraint?: { index?: string } };
  };
  const cause = e?.meta?.driverAdapterError?.cause ?? e?.cause;
  const prismaCode = typeof e?.code === 'string' && /^P\d{4}$/.test(e.code) ? e.code : undefined;
  const rawCode = typeof e?.code === 'string' && !prismaCode ? e.code : undefined;
  return {
    code: cause?.originalCode ?? rawCode,
    constraint: cause?.constraint?.index ?? e?.constraint,
    message: cause?.originalMessage ?? e?.message,
    prismaCode,
  };
}

const RETRYABLE = new Set(['40001', '40P01']);
/**
 * A pair's row inserted by a writer that bypassed the pair lock (raw SQL) between our look and our
 * insert: the whole transaction rolled back, and the retry finds the row.
 */
const PAIR_KEYS = new Set(['specialization_progress_pkey', 'user_licenses_pkey']);

/**
 * Interactive transactions wait at most this long for a connection and for their row locks:
 * hot pairs under many concurrent writers queue behind each other for seconds, which Prisma's
 * 5 s default would turn into errors.
 */
export const TX_OPTIONS = { maxWait: 30_000, timeout: 60_000 } as const;

/**
 * Deadlocks and serialization failures (PostgreSQL asks for a retry), and a Prisma transaction
 * that expired or could not start in time (P2028): each rolled back entirely, so retrying is safe.
 */
export function isRetryable(err: unknown): boolean {
  const info = pgError(err);
  if (info.code === '23505' && PAIR_KEYS.has(info.constraint ?? '')) return true;
  return (info.code !== undefined && RETRYABLE.has(info.code)) || info.prismaCode === 'P2034' || info.prismaCode === 'P2028';
}

/** Runs `fn`, retrying deadlocks and serialization failures up to `attempts` times with jitter. */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 8): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isRetryable(err)) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * 2 ** Math.min(i, 6)));
    }
  }
}

/** The connection under a statement was lost (terminated, reset, closed). */
export function isConnectionLoss(err: unknown): boolean {
  const { code, message } = pgError(err);
  return (
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === '08006' ||
    code === '08003' ||
    /terminat|connection closed|closed the connection|ECONNRESET|ECONNREFUSED|Connection terminated/i.test(message ?? '')
  );
}
