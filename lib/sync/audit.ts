import type { Db, DbTx } from '../db/prisma';
import type { Prisma } from '../generated/prisma/client';
import type { AuditAction } from '../vocabulary';
import type { Actor, AuditSource } from './types';

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

export async function listAuditEvents(db: Db, opts: { actor?: string; action?: string; offset?: number; limit?: number } = {}) {
  const where = {
    ...(opts.actor ? { actor: opts.actor } : {}),
    ...(opts.action ? { action: opts.action } : {}),
  };
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
  const offset = Math.max(opts.offset ?? 0, 0);
  const [rows, total] = await Promise.all([
    db.auditEvent.findMany({ where, orderBy: [{ at: 'desc' }, { id: 'desc' }], skip: offset, take: limit }),
    db.auditEvent.count({ where }),
  ]);
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
  return { items, total };
}

/** Distinct actors and actions, for the audit log's filters. */
export async function listAuditFacets(db: Db): Promise<{ actors: string[]; actions: string[] }> {
  const [actors, actions] = await Promise.all([
    db.auditEvent.findMany({ distinct: ['actor'], select: { actor: true }, orderBy: { actor: 'asc' }, take: 200 }),
    db.auditEvent.findMany({ distinct: ['action'], select: { action: true }, orderBy: { action: 'asc' }, take: 200 }),
  ]);
  return { actors: actors.map((a) => a.actor), actions: actions.map((a) => a.action) };
}
