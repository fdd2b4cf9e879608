import { z } from 'zod';
import type { Db, DbTx } from '../db/prisma';
import { Prisma } from '../generated/prisma/client';
import type { AuditAction } from '../vocabulary';
import { dateBoundSchema, learnerSearchSchema, offsetSchema, resolveLearnerSearch } from './search-filters';
import type { Actor, AuditSource } from './types';
import { parseInput } from './validation';
import { distinctValues } from './distinct-values';

export interface AuditEventInput {
  actor: Actor;
  action: AuditAction;
  userId?: number | null;
  specializationId?: string | null;
  before?: unknown;
  after?: unknown;
  reason?: string | null;
  syncJobId?: number | null;
}

export interface AuditEventRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  source: AuditSource;
  userId: number | null;
  email: string | null;
  specializationId: string | null;
  before: unknown;
  after: unknown;
  reason: string | null;
  syncJobId: number | null;
}

const json = (v: unknown) => (v === undefined || v === null ? undefined : (JSON.parse(JSON.stringify(v)) as Prisma.InputJsonValue));

export async function writeAuditEvent(tx: DbTx, e: AuditEventInput): Promise<void> {
  await tx.auditEvent.create({
    data: {
      actor: e.actor.label.slice(0, 320),
      actorUserId: e.actor.userId ?? null,
      source: e.actor.source,
      action: e.action,
      userId: e.userId ?? null,
      specializationId: e.specializationId ?? null,
      before: json(e.before),
      after: json(e.after),
      reason: e.reason ?? null,
      syncJobId: e.syncJobId ?? null,
    },
  });
}

export interface AuditEventFilters {
  /** Exactly this actor. */
  actor?: string;
  /** Exactly this action. */
  action?: string;
  /** The events about a learner: an id (`42`, `#42`), or part of an email or name. */
  learner?: string;
  /** At or after this instant. */
  from?: Date;
  /** Before this instant (exclusive: a day range's end is the next day's start). */
  before?: Date;
}

const exactText = (max: number) =>
  z
    .string({ error: 'must be text' })
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

const listAuditSchema = z.strictObject({
  actor: exactText(320).optional(),
  action: exactText(200).optional(),
  learner: learnerSearchSchema.optional(),
  from: dateBoundSchema.optional(),
  before: dateBoundSchema.optional(),
  offset: offsetSchema.optional(),
  limit: z.number().int().min(1).max(500).optional(),
  /** Keyset paging (the export): the events after this one in the list's order; no count is made. */
  after: z
    .strictObject({
      at: dateBoundSchema,
      id: z
        .string()
        .regex(/^[1-9]\d{0,17}$/, 'must be an event id')
        .transform(BigInt),
    })
    .optional(),
});

type AuditListInput = z.output<typeof listAuditSchema>;
type AuditRecord = Awaited<ReturnType<Db['auditEvent']['findMany']>>[number];

/** Without a learner: the (at, id), (actor, at) or (action, at) index, as Prisma plans it. */
async function plainPage(db: Db, v: AuditListInput): Promise<{ rows: AuditRecord[]; total: number }> {
  const at = { ...(v.from ? { gte: v.from } : {}), ...(v.before ? { lt: v.before } : {}) };
  const where: Prisma.AuditEventWhereInput = {
    ...(v.actor ? { actor: v.actor } : {}),
    ...(v.action ? { action: v.action } : {}),
    ...(v.from || v.before ? { at } : {}),
  };
  const after = v.after;
  const [rows, total] = await Promise.all([
    db.auditEvent.findMany({
      where: after ? { AND: [where, { OR: [{ at: { lt: after.at } }, { at: after.at, id: { lt: after.id } }] }] } : where,
      orderBy: [{ at: 'desc' }, { id: 'desc' }],
      skip: after ? 0 : (v.offset ?? 0),
      take: v.limit ?? 50,
    }),
    after ? -1 : db.auditEvent.count({ where }),
  ]);
  return { rows, total };
}

/**
 * For learners: per learner, its newest events from (user_id, at), merged. The planner is not
 * left to guess how many events a thousand learners have (a wrong guess walks the whole log
 * backwards by time); each learner costs one index probe, however large the log.
 */
async function learnerPage(db: Db, v: AuditListInput, ids: number[]): Promise<{ rows: AuditRecord[]; total: number }> {
  const parts: Prisma.Sql[] = [Prisma.sql`a.user_id = u.id`];
  if (v.actor) parts.push(Prisma.sql`a.actor = ${v.actor}`);
  if (v.action) parts.push(Prisma.sql`a.action = ${v.action}`);
  if (v.from) parts.push(Prisma.sql`a.at >= ${v.from}::timestamptz`);
  if (v.before) parts.push(Prisma.sql`a.at < ${v.before}::timestamptz`);
  const filters = Prisma.join(parts, ' AND ');
  const after = v.after ? Prisma.sql`AND (a.at, a.id) < (${v.after.at}::timestamptz, ${v.after.id}::bigint)` : Prisma.empty;
  const limit = v.limit ?? 50;
  const offset = v.after ? 0 : (v.offset ?? 0);
  // user_id leads the inner ORDER BY (it is fixed per learner) so that only (user_id, at) serves
  // it; "ORDER BY at" alone would tempt the planner to walk (at, id) through the whole log.
  const [page, count] = await Promise.all([
    db.$queryRaw<{ id: bigint }[]>`
      SELECT m.id FROM unnest(${ids}::int[]) AS u(id)
      CROSS JOIN LATERAL (
        SELECT a.id, a.at FROM audit_events a WHERE ${filters} ${after}
        ORDER BY a.user_id DESC, a.at DESC, a.id DESC LIMIT ${offset + limit}
      ) m
      ORDER BY m.at DESC, m.id DESC LIMIT ${limit} OFFSET ${offset}`,
    v.after
      ? Promise.resolve([{ n: -1 }])
      : db.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM unnest(${ids}::int[]) AS u(id)
          CROSS JOIN LATERAL (SELECT 1 FROM audit_events a WHERE ${filters}) m`,
  ]);
  const found = page.length ? await db.auditEvent.findMany({ where: { id: { in: page.map((r) => r.id) } } }) : [];
  const byId = new Map(found.map((r) => [r.id, r]));
  return { rows: page.flatMap((r) => byId.get(r.id) ?? []), total: count[0]?.n ?? 0 };
}

/**
 * One page of the audit log, newest first, filtered. The learner filter reads (user_id, at) per
 * learner; the date range reads (at, id). Bad input is a SyncError VALIDATION; a learner search
 * that names no learner is an empty page. `learnersCapped` as for listSyncJobs. With `after`,
 * the page continues from that event and `total` is not counted (-1).
 */
export async function listAuditEvents(
  db: Db,
  opts: AuditEventFilters & { offset?: number; limit?: number; after?: { at: Date; id: string } } = {},
): Promise<{ items: AuditEventRow[]; total: number; learnersCapped: boolean }> {
  const v = parseInput(listAuditSchema, opts);
  const match = await resolveLearnerSearch(db, v.learner);
  if (match && !match.ids.length) return { items: [], total: 0, learnersCapped: false };
  const { rows, total } = match ? await learnerPage(db, v, match.ids) : await plainPage(db, v);
  const userIds = [...new Set(rows.map((r) => r.userId).filter((u): u is number => u !== null))];
  const users = userIds.length ? await db.user.findMany({ where: { id: { in: userIds } }, select: { id: true, email: true } }) : [];
  const emails = new Map(users.map((u) => [u.id, u.email]));
  const items: AuditEventRow[] = rows.map((r) => ({
    id: r.id.toString(),
    at: r.at,
    actor: r.actor,
    action: r.action,
    source: r.source,
    userId: r.userId,
    email: r.userId !== null ? (emails.get(r.userId) ?? null) : null,
    specializationId: r.specializationId,
    before: r.before,
    after: r.after,
    reason: r.reason,
    syncJobId: r.syncJobId,
  }));
  return { items, total, learnersCapped: match?.capped ?? false };
}

/** At most this many actors and actions are offered as filters. */
const MAX_FACETS = 200;

/**
 * Distinct actors and actions, for the audit log's filters: a loose index scan of (actor, at) and
 * of (action, at), one index probe per distinct value, however long the log (a plain DISTINCT
 * reads every event).
 */
export async function listAuditFacets(db: Db): Promise<{ actors: string[]; actions: string[] }> {
  const [actors, actions] = await Promise.all([
    distinctValues(db, 'audit_events', 'actor', MAX_FACETS),
    distinctValues(db, 'audit_events', 'action', MAX_FACETS),
  ]);
  return { actors, actions };
}
