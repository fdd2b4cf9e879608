import { z } from 'zod';
import type { Db } from '../db/prisma';
import { Prisma } from '../generated/prisma/client';
import { SyncError } from './errors';
import { likePattern } from './search-filters';
import type { DesyncKind, DesyncRow } from './types';
import { desyncKindSchema, MAX_SEARCH_LENGTH, parseInput, specializationSchema, writerSchema } from './validation';
import { distinctValues } from './distinct-values';

/**
 * Pages of the current desyncs, read from the set the database keeps at every commit (never a
 * scan of all pairs), each with the writer that caused it. Ordered by (since, user,
 * specialization, kind): longest out of sync first.
 */

export { MAX_SEARCH_LENGTH };

const listSchema = z.strictObject({
  kind: desyncKindSchema.optional(),
  specialization: specializationSchema.optional(),
  search: z.string().max(10_000).optional(),
  /** Exactly one writer (caused_by), e.g. "sql:legacy-x". */
  causedBy: writerSchema.optional(),
  cursor: z.string().max(500).nullish(),
  offset: z.number().int().min(0).max(1_000_000_000).optional(),
  limit: z.number().int().min(1).max(500).optional(),
});

type Cursor = [since: string, userId: number, spec: string, kind: DesyncKind];

function encodeCursor(r: DesyncRow): string {
  return Buffer.from(JSON.stringify([r.since.toISOString(), r.userId, r.specializationId, r.kind] satisfies Cursor)).toString('base64url');
}

function decodeCursor(cursor: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(c) &&
      c.length === 4 &&
      typeof c[0] === 'string' &&
      Number.isInteger(c[1]) &&
      typeof c[2] === 'string' &&
      typeof c[3] === 'string' &&
      !Number.isNaN(Date.parse(c[0]))
    ) {
      return c as Cursor;
    }
  } catch {
    // fall through
  }
  throw new SyncError('VALIDATION', 'The page cursor is not valid. Start from the first page.');
}

export interface DesyncFilters {
  kind?: DesyncKind;
  specialization?: string;
  search?: string;
  causedBy?: string;
  /** A scoped sync job's: one learner, or the pairs picked by checkbox. */
  learner?: number;
  pairs?: { userId: number; specializationId: string }[];
}

/**
 * The list's filters over `current_desyncs d LEFT JOIN users u`, shared by the list, its count and
 * a scoped sync job's plan (lib/sync/scope.ts), so a job repairs exactly what the list shows.
 */
export function desyncWhere(f: DesyncFilters): Prisma.Sql[] {
  const parts: Prisma.Sql[] = [];
  if (f.learner) parts.push(Prisma.sql`d.user_id = ${f.learner}`);
  if (f.pairs) {
    const users = f.pairs.map((p) => p.userId);
    const specs = f.pairs.map((p) => p.specializationId);
    parts.push(Prisma.sql`(d.user_id, d.specialization_id) IN (SELECT * FROM unnest(${users}::int[], ${specs}::text[]))`);
  }
  if (f.kind) parts.push(Prisma.sql`d.kind = ${f.kind}::"DesyncKind"`);
  if (f.specialization) parts.push(Prisma.sql`d.specialization_id = ${f.specialization}`);
  if (f.causedBy) parts.push(Prisma.sql`d.caused_by = ${f.causedBy}`);
  // NUL bytes cannot occur in stored text; a search containing one matches nothing.
  const search = f.search?.trim().slice(0, MAX_SEARCH_LENGTH);
  if (search?.includes('\u0000')) parts.push(Prisma.sql`false`);
  else if (search) {
    const p = likePattern(search);
    parts.push(Prisma.sql`(u.email ILIKE ${p} OR u.name ILIKE ${p})`);
  }
  return parts;
}

export async function listDesyncs(db: Db, opts: DesyncFilters & { cursor?: string | null; offset?: number; limit?: number } = {}) {
  const v = parseInput(listSchema, opts);
  const limit = v.limit ?? 50;
  const filters = desyncWhere(v);
  const page = [...filters];
  if (v.cursor) {
    const [since, userId, spec, kind] = decodeCursor(v.cursor);
    page.push(
      Prisma.sql`(d.since, d.user_id, d.specialization_id, d.kind::text)
                 > (${new Date(since)}::timestamptz, ${userId}::int, ${spec}::text, ${kind}::text)`,
    );
  }
  const where = (parts: Prisma.Sql[]) => (parts.length ? Prisma.sql`WHERE ${Prisma.join(parts, ' AND ')}` : Prisma.empty);
  const [rows, count] = await Promise.all([
    db.$queryRaw<
      {
        user_id: number;
        email: string | null;
        name: string | null;
        specialization_id: string;
        kind: DesyncKind;
        progress_level: number | null;
        license_level: number | null;
        since: Date;
        caused_by: string;
      }[]
    >`
      SELECT d.user_id, u.email, u.name, d.specialization_id, d.kind::text AS kind, d.progress_level, d.license_level, d.since,
             d.caused_by
      FROM current_desyncs d LEFT JOIN users u ON u.id = d.user_id
      ${where(page)}
      ORDER BY d.since, d.user_id, d.specialization_id, d.kind::text
      LIMIT ${limit} OFFSET ${v.cursor ? 0 : (v.offset ?? 0)}`,
    db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM current_desyncs d LEFT JOIN users u ON u.id = d.user_id ${where(filters)}`,
  ]);
  const items: DesyncRow[] = rows.map((r) => ({
    userId: r.user_id,
    email: r.email,
    name: r.name,
    specializationId: r.specialization_id,
    kind: r.kind,
    progressLevel: r.progress_level,
    licenseLevel: r.license_level,
    since: r.since,
    causedBy: r.caused_by,
  }));
  const last = items.at(-1);
  return { items, total: count[0]?.n ?? 0, nextCursor: items.length === limit && last ? encodeCursor(last) : null };
}

/** At most this many writers are offered as a filter (the set rarely has more than a handful). */
const MAX_WRITERS = 200;

/**
 * The writers that caused the current desyncs, for the "Caused by" filter: a loose index scan of
 * (caused_by, since), one index probe per distinct writer, however many desyncs each caused.
 */
export async function listDesyncWriters(db: Db): Promise<string[]> {
  return distinctValues(db, 'current_desyncs', 'caused_by', MAX_WRITERS);
}
