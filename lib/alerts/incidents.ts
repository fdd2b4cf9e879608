import { z } from 'zod';
import type { Db, DbTx } from '../db/prisma';
import type { Prisma } from '../generated/prisma/client';
import { type Incident } from '../generated/prisma/client';
import { writeAuditEvent } from '../sync/audit';
import { LOCKS } from '../sync/locks';
import { SyncError } from '../sync/errors';
import type { Actor } from '../sync/types';
import { jobIdSchema, parseInput, reasonSchema } from '../sync/validation';
import { CONDITION_LABELS, type IncidentCondition, type NotificationEvent } from '../vocabulary';
import { readConditions, type AlertConfig, type ConditionState } from './conditions';
import { activeWindowFor, type ActiveWindow } from './maintenance';
import { incidentNotice } from './payloads';
import { toSummary, type IncidentSummary } from './incident-reads';

/**
 * Incidents: one per condition (and subject) while it holds. `evaluateIncidents` compares the
 * conditions now with the open incidents and, in ONE transaction per change, opens or resolves
 * the incident, writes its timeline event and queues its notifications in the outbox (the
 * `deliveries` table), so a change is never recorded without its notifications, nor the reverse.
 * Evaluations are serialised across instances by a transaction-level advisory lock, and the
 * partial unique index incidents_one_open holds even without it.
 */

export interface EvaluationOptions {
  config: AlertConfig;
  /** Links in notifications point here (APP_URL). */
  appUrl: string;
  /** Reminders while open and unacknowledged, this long after the last notice. */
  remindMs: number;
  now?: Date;
}

export interface Evaluation {
  opened: IncidentSummary[];
  resolved: IncidentSummary[];
  reminded: number;
}

const keyOf = (c: { condition: IncidentCondition; subject: string }) => `${c.condition}\u0000${c.subject}`;

export async function evaluateIncidents(db: Db, opts: EvaluationOptions): Promise<Evaluation> {
  const now = opts.now ?? new Date();
  return db.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCKS.INCIDENTS}::bigint)`;
      // Read after the lock: an evaluation that waited for another acts on the state of its turn.
      const states = await readConditions(tx, opts.config, now);
      const open = await tx.incident.findMany({ where: { resolvedAt: null } });
      const openByKey = new Map(open.map((i) => [keyOf(i), i]));
      const holding = new Map(states.filter((s) => s.holds).map((s) => [keyOf(s), s]));
      const result: Evaluation = { opened: [], resolved: [], reminded: 0 };
      for (const [key, state] of holding) {
        if (!openByKey.has(key)) result.opened.push(await openIncident(tx, state, opts.appUrl, now));
      }
      for (const [key, incident] of openByKey) {
        const state = states.find((s) => keyOf(s) === key);
        if (holding.has(key)) continue;
        result.resolved.push(await resolveIncident(tx, incident, state, opts.appUrl, now));
      }
      for (const incident of open) {
        const due = !incident.acknowledgedAt && now.getTime() - incident.lastNoticeAt.getTime() >= opts.remindMs;
        // A muted incident is not reminded of: its notices wait for the window's end, one of each.
        if (due && holding.has(keyOf(incident)) && !(await activeWindowFor(tx, incident.condition))) {
          await remind(tx, incident, holding.get(keyOf(incident))!, opts.appUrl, now);
          result.reminded++;
        }
      }
      return result;
    },
    { timeout: 30_000, maxWait: 30_000 },
  );
}

async function openIncident(tx: DbTx, s: ConditionState, appUrl: string, now: Date): Promise<IncidentSummary> {
  const incident = await tx.incident.create({
    data: {
      condition: s.condition,
      subject: s.subject,
      openedAt: now,
      lastNoticeAt: now,
      openedFigures: { summary: s.summary, ...s.figures } as Prisma.InputJsonValue,
    },
  });
  await event(tx, incident.id, 'OPENED', null, { summary: s.summary, figures: s.figures });
  const window = await queue(tx, incident, 'OPEN', s.summary, s.figures, appUrl);
  return toSummary(incident, window !== null);
}

async function resolveIncident(
  tx: DbTx,
  incident: Incident,
  s: ConditionState | undefined,
  appUrl: string,
  now: Date,
): Promise<IncidentSummary> {
  // A writer's burst that ended is absent from the conditions: say so in words.
  const summary = s?.summary ?? `${CONDITION_LABELS[incident.condition]} by ${incident.subject || 'its subject'} is over.`;
  const figures = s?.figures ?? {};
  const resolved = await tx.incident.update({
    where: { id: incident.id },
    data: {
      resolvedAt: new Date(Math.max(now.getTime(), incident.openedAt.getTime())),
      resolvedFigures: { summary, ...figures } as Prisma.InputJsonValue,
    },
  });
  await event(tx, incident.id, 'RESOLVED', null, { summary, figures });
  const window = await queue(tx, resolved, 'RESOLVED', summary, figures, appUrl);
  return toSummary(resolved, window !== null);
}

async function remind(tx: DbTx, incident: Incident, s: ConditionState, appUrl: string, now: Date) {
  await tx.incident.update({ where: { id: incident.id }, data: { lastNoticeAt: now } });
  await event(tx, incident.id, 'REMINDED', null, { summary: s.summary, figures: s.figures });
  await queue(tx, incident, 'REMINDER', s.summary, s.figures, appUrl);
}

async function event(tx: DbTx, incidentId: number, kind: Prisma.IncidentEventCreateInput['kind'], actor: string | null, detail: object) {
  await tx.incidentEvent.create({ data: { incidentId, kind, actor, detail: detail as Prisma.InputJsonValue } });
}

/**
 * Queues the notice for every channel subscribed to the condition. Inside a maintenance window
 * that mutes it, the rows wait until the window ends (and the timeline says so). Returns that window.
 */
async function queue(
  tx: DbTx,
  incident: Incident,
  kind: Exclude<NotificationEvent, 'TEST'>,
  summary: string,
  figures: Record<string, unknown>,
  appUrl: string,
): Promise<ActiveWindow | null> {
  const channels = await tx.notificationChannel.findMany({
    where: { OR: [{ conditions: { isEmpty: true } }, { conditions: { has: incident.condition } }] },
    select: { id: true, name: true },
  });
  const window = await activeWindowFor(tx, incident.condition);
  const state = kind === 'OPEN' ? 'open' : kind === 'RESOLVED' ? 'resolved' : 'reminder';
  const payload = incidentNotice(state, incident, summary, figures, appUrl) as unknown as Prisma.InputJsonValue;
  if (channels.length) {
    await tx.delivery.createMany({
      data: channels.map((c) => ({
        channelId: c.id,
        incidentId: incident.id,
        event: kind,
        payload,
        notBefore: window?.endsAt ?? new Date(),
      })),
    });
  }
  if (window) {
    await event(tx, incident.id, 'MUTED', window.createdBy, {
      windowId: window.id,
      until: window.endsAt.toISOString(),
      reason: window.reason,
    });
  }
  return window;
}

export const acknowledgeSchema = z.strictObject({
  id: jobIdSchema,
  note: reasonSchema.refine((n) => !!n, 'is required: say what is being done about it').transform((n) => n!),
});

/** "Acknowledge" (ADMIN): stops the reminders; the note and who go on the timeline and in the audit log. */
export async function acknowledgeIncident(db: Db, id: number, actor: Actor, note: string): Promise<IncidentSummary> {
  const v = parseInput(acknowledgeSchema, { id, note });
  return db.$transaction(
    async (tx) => {
      const n = await tx.incident.updateMany({
        where: { id: v.id, resolvedAt: null, acknowledgedAt: null },
        data: { acknowledgedAt: new Date(), acknowledgedBy: actor.label, ackNote: v.note },
      });
      const incident = await tx.incident.findUnique({ where: { id: v.id } });
      if (!incident) throw new SyncError('NOT_FOUND', `There is no incident #${v.id}.`);
      if (n.count === 0) {
        const why = incident.resolvedAt ? 'is resolved' : `was already acknowledged by ${incident.acknowledgedBy}`;
        throw new SyncError('CONFLICT', `Incident #${v.id} ${why}.`);
      }
      await event(tx, incident.id, 'ACKNOWLEDGED', actor.label, { note: v.note });
      await writeAuditEvent(tx, { actor, action: 'INCIDENT_ACKNOWLEDGED', reason: v.note, after: { incident: incident.id } });
      return toSummary(incident, false);
    },
    { timeout: 15_000, maxWait: 15_000 },
  );
}
