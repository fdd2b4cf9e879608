import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Db, DbTx } from '../db/prisma';
import { isRetryable, pgError, TX_OPTIONS } from '../sync/db-errors';
import { problemResponse } from './problem';

/**
 * Idempotency-Key for every POST and PUT of /api/v1 (docs/decisions/013-write-api-and-idempotency.md).
 *
 * Each write runs in ONE transaction that (1) claims (api key, Idempotency-Key) by inserting its
 * row, (2) runs the handler, whose engine calls join this transaction, and (3) stores the answer
 * in the row. A crash anywhere before the commit rolls back all three, so the retry finds no row
 * and applies the write once; after the commit, it finds the stored answer and replays it.
 * No row is ever visible half done, so there is nothing to expire.
 *
 * A second request with the same key while the first is in flight waits on the row PostgreSQL
 * is inserting (up to IN_FLIGHT_WAIT), then replays the stored answer; past that wait it gets
 * 409. An error answer (4xx) rolls everything back, the claim included: only successes are
 * stored, and a retry after an error runs again.
 */

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
export const REPLAYED_HEADER = 'Idempotent-Replayed';
/** How long a duplicate waits for the request that holds its key (PostgreSQL's lock_timeout). */
export const IN_FLIGHT_WAIT = '5s';
/** Keys are kept at least this long (pruned by the hourly retention task). */
export const IDEMPOTENCY_RETENTION_MS = 24 * 3_600_000;

export const idempotencyKeySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII characters');

const MAX_DEPTH = 32;

export class NestingTooDeepError extends Error {
  override name = 'NestingTooDeepError';
}

/** JSON with object keys sorted at every level: equal bodies give equal text whatever their key order. */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) throw new NestingTooDeepError(`JSON nested deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const entries = Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k], depth + 1)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHash(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method.toUpperCase()}\n${path}\n${canonicalJson(body)}`, 'utf8')
    .digest('hex');
}

/**
 * A transaction client that the engine can be handed as its `db`: the engine's own
 * `db.$transaction(fn)` runs `fn` inside this transaction instead of opening another, so the
 * engine's write and the stored answer commit, or roll back, together. A retryable error inside
 * (deadlock) aborts the whole transaction; `runWrite` then retries it from the start.
 */
export function transactionAsDb(tx: DbTx): Db {
  const nested = async (arg: unknown) => {
    if (typeof arg === 'function') return (arg as (t: Db) => Promise<unknown>)(asDb);
    if (Array.isArray(arg)) {
      const out: unknown[] = [];
      for (const p of arg) out.push(await p);
      return out;
    }
    throw new TypeError('$transaction takes a function or an array of queries');
  };
  const asDb = new Proxy(tx, {
    get(target, prop) {
      if (prop === '$transaction') return nested;
      const value: unknown = Reflect.get(target, prop);
      return typeof prop === 'string' && prop.startsWith('$') && typeof value === 'function' ? value.bind(target) : value;
    },
  }) as unknown as Db;
  return asDb;
}

export interface WriteRequest {
  apiKeyId: number;
  /** The Idempotency-Key header, validated; undefined when the request sent none. */
  key: string | undefined;
  method: string;
  /** Path and query string. */
  path: string;
  body: unknown;
}

class Rollback extends Error {
  constructor(readonly response: Response) {
    super('rolled back: the handler answered an error');
  }
}

const jsonAnswer = (status: number, text: string, replayed: boolean) =>
  new Response(text, {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...(replayed ? { [REPLAYED_HEADER]: 'true' } : {}) },
  });

const inProgress = () =>
  problemResponse('in-progress', 'A request with this Idempotency-Key is still in progress. Retry it in a moment.', {
    headers: { 'Retry-After': '1' },
  });

interface StoredRow {
  request_hash: string;
  response_status: number | null;
  body: string | null;
}

/** Claims the key; null when claimed, else the answer for the request that holds it. */
async function claim(tx: DbTx, req: WriteRequest & { key: string }, hash: string): Promise<Response | null> {
  await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = '${IN_FLIGHT_WAIT}'`);
  const claimed = await tx.$executeRaw`
    INSERT INTO idempotency_keys (api_key_id, key, method, path, request_hash)
    VALUES (${req.apiKeyId}, ${req.key}, ${req.method}, ${req.path}, ${hash})
    ON CONFLICT (api_key_id, key) DO NOTHING`;
  await tx.$executeRawUnsafe(`SET LOCAL lock_timeout TO DEFAULT`);
  if (claimed === 1) return null;
  const rows = await tx.$queryRaw<StoredRow[]>`
    SELECT request_hash, response_status, response_body::text AS body FROM idempotency_keys
    WHERE api_key_id = ${req.apiKeyId} AND key = ${req.key}`;
  const row = rows[0];
  if (!row) return inProgress(); // pruned in between: the retry claims it afresh
  if (row.request_hash !== hash) {
    return problemResponse(
      'idempotency-mismatch',
      'This Idempotency-Key was already used for a different request (method, path or body). Use a new key for a new request.',
    );
  }
  if (row.response_status === null || row.body === null) return inProgress();
  return jsonAnswer(row.response_status, row.body, true);
}

async function store(tx: DbTx, req: WriteRequest & { key: string }, res: Response): Promise<Response> {
  const text = (await res.text()) || 'null';
  const rows = await tx.$queryRaw<{ body: string }[]>`
    UPDATE idempotency_keys SET response_status = ${res.status}, response_body = ${text}::jsonb, completed_at = now()
    WHERE api_key_id = ${req.apiKeyId} AND key = ${req.key}
    RETURNING response_body::text AS body`;
  // The first answer is the stored text too, so that it and every replay are byte for byte equal.
  return jsonAnswer(res.status, rows[0]!.body, false);
}

/**
 * The transaction may be aborted by a retryable error the engine met inside it (its own retry
 * then sees 25P02, "current transaction is aborted"): everything rolled back, so it is redone.
 */
async function retryWhole<T>(fn: () => Promise<T>, attempts = 6): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !(isRetryable(err) || pgError(err).code === '25P02')) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * 2 ** i));
    }
  }
}

/**
 * Runs one write of the API: in one transaction with its Idempotency-Key claim and its stored
 * answer, or, without a key, in one transaction all the same (so a handler's read-then-write is
 * atomic). `run` gets the transaction as its `db`; an answer that is not 2xx rolls it back.
 */
export async function runWrite(db: Db, req: WriteRequest, run: (db: Db) => Promise<Response>): Promise<Response> {
  const keyed = req.key === undefined ? null : { ...req, key: req.key };
  const hash = keyed ? requestHash(req.method, req.path, req.body) : '';
  try {
    return await retryWhole(() =>
      db.$transaction(async (tx) => {
        if (keyed) {
          const earlier = await claim(tx, keyed, hash);
          if (earlier) return earlier;
        }
        const res = await run(transactionAsDb(tx));
        if (!res.ok) throw new Rollback(res);
        return keyed ? store(tx, keyed, res) : res;
      }, TX_OPTIONS),
    );
  } catch (err) {
    if (err instanceof Rollback) return err.response;
    // lock_not_available: the request holding this key did not finish within IN_FLIGHT_WAIT.
    if (pgError(err).code === '55P03') return inProgress();
    throw err;
  }
}

/** Deletes idempotency keys older than `olderThan` (at least IDEMPOTENCY_RETENTION_MS old). */
export async function pruneIdempotencyKeys(db: Db, olderThan: Date): Promise<number> {
  return db.$executeRaw`DELETE FROM idempotency_keys WHERE created_at < ${olderThan}`;
}
