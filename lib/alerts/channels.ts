import { z } from 'zod';
import type { Db, DbTx } from '../db/prisma';
import { env } from '../env';
import type { Prisma } from '../generated/prisma/client';
import { writeAuditEvent } from '../sync/audit';
import { pgError } from '../sync/db-errors';
import { SyncError } from '../sync/errors';
import type { Actor } from '../sync/types';
import { parseInput } from '../sync/validation';
import { CHANNEL_KINDS, type ChannelKind, type IncidentCondition } from '../vocabulary';
import { toDeliveryRow, type DeliveryRow } from './incident-reads';
import { activeWindowFor, conditionsSchema } from './maintenance';
import { checkWebhookUrl, maskUrl, MAX_URL_LENGTH } from './network';
import { incidentNotice, testNotice } from './payloads';
import { appUrlOf } from './service';

/**
 * Notification channels: a generic webhook (signed with its secret), a Slack-compatible incoming
 * webhook, or an email address. A channel's URL and secret are stored as given and never shown
 * again: pages, the CLI and logs see the URL's origin only, and whether a secret is set.
 */

/** A channel's name: what add, remove and test accept. */
export const channelNameSchema = z
  .string({ error: 'must be text' })
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .regex(/^[\p{L}\p{N} ._-]+$/u, 'may hold letters, digits, spaces, dots, dashes and underscores only');

export const addChannelSchema = z
  .strictObject({
    kind: z.enum(CHANNEL_KINDS, { error: `must be one of ${CHANNEL_KINDS.join(', ')}` }),
    name: channelNameSchema,
    target: z
      .string({ error: 'must be text' })
      .trim()
      .min(1, 'must not be empty')
      .max(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`),
    secret: z
      .string({ error: 'must be text' })
      .min(16, 'must be at least 16 characters')
      .max(256, 'must be at most 256 characters')
      .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
      .nullish(),
    conditions: conditionsSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.kind === 'EMAIL' && !z.email().safeParse(c.target).success) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: 'must be an email address' });
    }
    if (c.secret && c.kind !== 'WEBHOOK') ctx.addIssue({ code: 'custom', path: ['secret'], message: 'only a webhook has a secret' });
  });

export interface ChannelView {
  id: number;
  kind: ChannelKind;
  name: string;
  /** The URL's origin only (paths and queries often hold tokens), or the email address. */
  target: string;
  hasSecret: boolean;
  /** Empty: every condition. */
  conditions: IncidentCondition[];
  createdAt: Date;
  createdBy: string;
  /** The latest attempted delivery: sent (ok), given up, or still being retried (pending). */
  lastDelivery: { at: Date; ok: boolean; pending: boolean; status: string | null; attempts: number; error: string | null } | null;
}

export interface ChannelOptions {
  allowPrivateNetwork: boolean;
  /** Links in the notices of the incidents already open (default APP_URL). */
  appUrl?: string;
}

/** A new channel is told of the incidents already open that it subscribes to, as if they had just opened. */
async function queueOpenIncidents(tx: DbTx, c: { id: number; conditions: IncidentCondition[] }, appUrl: string) {
  const open = await tx.incident.findMany({
    where: { resolvedAt: null, ...(c.conditions.length ? { condition: { in: c.conditions } } : {}) },
    orderBy: { id: 'asc' },
  });
  if (!open.length) return;
  const data = [];
  for (const i of open) {
    const { summary = '', ...figures } = i.openedFigures as Record<string, unknown> & { summary?: string };
    const notice = incidentNotice('open', i, String(summary), figures, appUrl);
    // As any notice of a muted incident, it waits for the window's end.
    const window = await activeWindowFor(tx, i.condition);
    data.push({
      channelId: c.id,
      incidentId: i.id,
      event: 'OPEN' as const,
      payload: notice as unknown as Prisma.InputJsonValue,
      notBefore: window?.endsAt ?? new Date(),
    });
  }
  await tx.delivery.createMany({ data });
}

export async function addChannel(
  db: Db,
  input: { kind: ChannelKind; name: string; target: string; secret?: string | null; conditions?: IncidentCondition[] },
  actor: Actor,
  opts: ChannelOptions = { allowPrivateNetwork: env().ALERTS_ALLOW_PRIVATE_NETWORK },
): Promise<ChannelView> {
  const v = parseInput(addChannelSchema, input);
  if (v.kind !== 'EMAIL') await checkWebhookUrl(v.target, opts.allowPrivateNetwork);
  try {
    const c = await db.$transaction(async (tx) => {
      const created = await tx.notificationChannel.create({
        data: {
          kind: v.kind,
          name: v.name,
          target: v.target,
          secret: v.secret ?? null,
          conditions: [...new Set(v.conditions ?? [])],
          createdBy: actor.label.slice(0, 320),
        },
      });
      const after = { channel: created.name, kind: created.kind, target: display(created), conditions: created.conditions };
      await writeAuditEvent(tx, { actor, action: 'CHANNEL_ADDED', after });
      await queueOpenIncidents(tx, created, opts.appUrl ?? appUrlOf(env()));
      return created;
    });
    return toView(c, null);
  } catch (err) {
    if (pgError(err).code === '23505') throw new SyncError('CONFLICT', `A channel named "${v.name}" exists already.`);
    throw err;
  }
}

const display = (c: { kind: ChannelKind; target: string }) => (c.kind === 'EMAIL' ? c.target : maskUrl(c.target));

function toView(
  c: {
    id: number;
    kind: ChannelKind;
    name: string;
    target: string;
    secret: string | null;
    conditions: IncidentCondition[];
    createdAt: Date;
    createdBy: string;
  },
  last: ChannelView['lastDelivery'],
): ChannelView {
  return {
    id: c.id,
    kind: c.kind,
    name: c.name,
    target: display(c),
    hasSecret: !!c.secret,
    conditions: c.conditions,
    createdAt: c.createdAt,
    createdBy: c.createdBy,
    lastDelivery: last,
  };
}

export async function listChannels(db: Db): Promise<ChannelView[]> {
  const channels = await db.notificationChannel.findMany({ orderBy: { name: 'asc' } });
  if (!channels.length) return [];
  // Each channel's latest attempted delivery (sent, given up, or being retried), one index probe per channel.
  const last = await db.$queryRaw<
    { channel_id: number; at: Date; ok: boolean; pending: boolean; status: string | null; attempts: number; error: string | null }[]
  >`
    SELECT c.id AS channel_id, d.at, d.ok, d.pending, d.status, d.attempts, d.error FROM notification_channels c
    CROSS JOIN LATERAL (
      SELECT coalesce(x.delivered_at, x.failed_at, x.first_attempt_at) AS at, x.delivered_at IS NOT NULL AS ok,
             x.delivered_at IS NULL AND x.failed_at IS NULL AS pending, x.last_status AS status, x.attempts, x.last_error AS error
      FROM deliveries x WHERE x.channel_id = c.id AND x.attempts > 0
      ORDER BY coalesce(x.delivered_at, x.failed_at, x.first_attempt_at) DESC, x.id DESC LIMIT 1) d`;
  const byChannel = new Map(
    last.map((l) => [l.channel_id, { at: l.at, ok: l.ok, pending: l.pending, status: l.status, attempts: l.attempts, error: l.error }]),
  );
  return channels.map((c) => toView(c, byChannel.get(c.id) ?? null));
}

async function channelNamed(db: Db, name: string) {
  const n = parseInput(channelNameSchema, name);
  const c = await db.notificationChannel.findUnique({ where: { name: n } });
  if (!c) throw new SyncError('NOT_FOUND', `There is no channel named "${n}".`);
  return c;
}

export async function removeChannel(db: Db, name: string, actor: Actor): Promise<void> {
  const c = await channelNamed(db, name);
  await db.$transaction(async (tx) => {
    await tx.notificationChannel.delete({ where: { id: c.id } });
    await writeAuditEvent(tx, { actor, action: 'CHANNEL_REMOVED', before: { channel: c.name, kind: c.kind, target: display(c) } });
  });
}

/** "Send test": queues a TEST delivery for the channel; the delivery worker sends it like any other. */
export async function sendTestNotification(db: Db, name: string, actor: Actor): Promise<{ deliveryId: string }> {
  const c = await channelNamed(db, name);
  return db.$transaction(async (tx) => {
    const d = await tx.delivery.create({
      data: { channelId: c.id, event: 'TEST', payload: testNotice(c.name) as unknown as Prisma.InputJsonValue },
    });
    await writeAuditEvent(tx, { actor, action: 'CHANNEL_TESTED', after: { channel: c.name, delivery: d.id.toString() } });
    return { deliveryId: d.id.toString() };
  });
}

export async function getDelivery(db: Db, id: string): Promise<DeliveryRow | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const d = await db.delivery.findUnique({ where: { id: BigInt(id) }, include: { channel: { select: { name: true, kind: true } } } });
  return d ? toDeliveryRow(d, d.channel) : null;
}
