import { z } from 'zod';
import type { Db } from '../db/prisma';
import type { Incident } from '../generated/prisma/client';
import { parseInput } from '../sync/validation';
import {
  INCIDENT_CONDITIONS,
  type ChannelKind,
  type IncidentCondition,
  type IncidentEventKind,
  type NotificationEvent,
} from '../vocabulary';

/** Reads of incidents for the pages, the CLI and the dashboard. */

export type IncidentState = 'OPEN' | 'RESOLVED';

export interface IncidentSummary {
  id: number;
  condition: IncidentCondition;
  subject: string;
  state: IncidentState;
  openedAt: Date;
  resolvedAt: Date | null;
  /** Until now while open. */
  durationMs: number;
  /** What opened it, in a sentence. */
  summary: string;
  openedFigures: Record<string, unknown>;
  resolvedFigures: Record<string, unknown> | null;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  ackNote: string | null;
  /** Its notifications wait for the end of a maintenance window. */
  muted: boolean;
}

export interface IncidentEventRow {
  id: string;
  at: Date;
  kind: IncidentEventKind;
  actor: string | null;
  detail: Record<string, unknown> | null;
}

export interface DeliveryRow {
  id: string;
  channel: string;
  channelKind: ChannelKind;
  event: NotificationEvent;
  attempts: number;
  createdAt: Date;
  notBefore: Date;
  deliveredAt: Date | null;
  failedAt: Date | null;
  lastStatus: string | null;
  lastError: string | null;
}

export interface IncidentDetail extends IncidentSummary {
  events: IncidentEventRow[];
  deliveries: DeliveryRow[];
}

type Figures = Record<string, unknown> & { summary?: string };

export function toSummary(i: Incident, muted: boolean): IncidentSummary {
  const opened = (i.openedFigures ?? {}) as Figures;
  const { summary = '', ...openedFigures } = opened;
  const resolved = i.resolvedFigures as Figures | null;
  return {
    id: i.id,
    condition: i.condition,
    subject: i.subject,
    state: i.resolvedAt ? 'RESOLVED' : 'OPEN',
    openedAt: i.openedAt,
    resolvedAt: i.resolvedAt,
    durationMs: Math.max(0, (i.resolvedAt ?? new Date()).getTime() - i.openedAt.getTime()),
    summary,
    openedFigures,
    resolvedFigures: resolved,
    acknowledgedAt: i.acknowledgedAt,
    acknowledgedBy: i.acknowledgedBy,
    ackNote: i.ackNote,
    muted,
  };
}

const listSchema = z.strictObject({
  state: z.enum(['OPEN', 'RESOLVED']).optional(),
  condition: z.enum(INCIDENT_CONDITIONS).optional(),
  offset: z.number().int().min(0).max(1_000_000_000).optional(),
  limit: z.number().int().min(1).max(500).optional(),
});

/** Which of these incidents have notifications waiting for a maintenance window (not yet sent, not before later). */
async function mutedIds(db: Db, ids: number[]): Promise<Set<number>> {
  if (!ids.length) return new Set();
  const rows = await db.$queryRaw<{ id: number }[]>`
    SELECT DISTINCT d.incident_id AS id FROM deliveries d
    WHERE d.incident_id = ANY(${ids}::int[]) AND d.delivered_at IS NULL AND d.failed_at IS NULL AND d.attempts = 0
      AND d.not_before > now()`;
  return new Set(rows.map((r) => r.id));
}

export async function listIncidents(
  db: Db,
  opts: { state?: IncidentState; condition?: IncidentCondition; offset?: number; limit?: number } = {},
) {
  const v = parseInput(listSchema, opts);
  const where = {
    ...(v.state === 'OPEN' ? { resolvedAt: null } : v.state === 'RESOLVED' ? { resolvedAt: { not: null } } : {}),
    ...(v.condition ? { condition: v.condition } : {}),
  };
  const [rows, total] = await Promise.all([
    db.incident.findMany({ where, orderBy: [{ openedAt: 'desc' }, { id: 'desc' }], skip: v.offset ?? 0, take: v.limit ?? 50 }),
    db.incident.count({ where }),
  ]);
  const muted = await mutedIds(
    db,
    rows.map((r) => r.id),
  );
  return { items: rows.map((r) => toSummary(r, muted.has(r.id))), total };
}

export async function listOpenIncidents(db: Db): Promise<IncidentSummary[]> {
  return (await listIncidents(db, { state: 'OPEN', limit: 100 })).items;
}

export async function getIncident(db: Db, id: number): Promise<IncidentDetail | null> {
  if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) return null;
  const row = await db.incident.findUnique({
    where: { id },
    include: {
      events: { orderBy: [{ at: 'asc' }, { id: 'asc' }], take: 1000 },
      deliveries: { orderBy: { id: 'asc' }, take: 1000, include: { channel: { select: { name: true, kind: true } } } },
    },
  });
  if (!row) return null;
  const muted = await mutedIds(db, [row.id]);
  return {
    ...toSummary(row, muted.has(row.id)),
    events: row.events.map((e) => ({
      id: e.id.toString(),
      at: e.at,
      kind: e.kind,
      actor: e.actor,
      detail: e.detail as Record<string, unknown> | null,
    })),
    deliveries: row.deliveries.map((d) => toDeliveryRow(d, d.channel)),
  };
}

export function toDeliveryRow(
  d: {
    id: bigint;
    event: NotificationEvent;
    attempts: number;
    createdAt: Date;
    notBefore: Date;
    deliveredAt: Date | null;
    failedAt: Date | null;
    lastStatus: string | null;
    lastError: string | null;
  },
  channel: { name: string; kind: ChannelKind },
): DeliveryRow {
  return {
    id: d.id.toString(),
    channel: channel.name,
    channelKind: channel.kind,
    event: d.event,
    attempts: d.attempts,
    createdAt: d.createdAt,
    notBefore: d.notBefore,
    deliveredAt: d.deliveredAt,
    failedAt: d.failedAt,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
  };
}
