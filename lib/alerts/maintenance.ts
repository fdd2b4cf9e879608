import { z } from 'zod';
import type { Db, DbTx } from '../db/prisma';
import { writeAuditEvent } from '../sync/audit';
import { SyncError } from '../sync/errors';
import type { Actor } from '../sync/types';
import { jobIdSchema, parseInput, reasonSchema } from '../sync/validation';
import { INCIDENT_CONDITIONS, type IncidentCondition } from '../vocabulary';

/**
 * Maintenance windows: an ADMIN mutes all or some conditions until a time, with a reason.
 * Incidents still open and are recorded; their notifications wait in the outbox until the
 * window ends (deliveries.not_before), then go out in order. The trend chart marks the windows.
 */

export const MAX_WINDOW_DAYS = 30;

export const conditionsSchema = z.array(z.enum(INCIDENT_CONDITIONS, { error: `must be one of ${INCIDENT_CONDITIONS.join(', ')}` })).max(20);

export const maintenanceSchema = z.strictObject({
  until: z.coerce
    .date({ error: 'must be a date and time, e.g. 2026-12-01T18:00:00Z' })
    .refine((d) => !Number.isNaN(d.getTime()), 'must be a date and time, e.g. 2026-12-01T18:00:00Z')
    .refine((d) => d.getTime() > Date.now(), 'must be in the future')
    .refine((d) => d.getTime() <= Date.now() + MAX_WINDOW_DAYS * 86_400_000, `must be within ${MAX_WINDOW_DAYS} days`),
  conditions: conditionsSchema.optional(),
  reason: reasonSchema.refine((r) => !!r, 'is required: say why notifications are muted').transform((r) => r!),
});

export interface WindowView {
  id: number;
  startsAt: Date;
  endsAt: Date;
  conditions: IncidentCondition[];
  reason: string;
  createdBy: string;
  active: boolean;
  endedAt: Date | null;
}

export interface ActiveWindow {
  id: number;
  endsAt: Date;
  reason: string;
  createdBy: string;
}

type Row = Omit<WindowView, 'active'>;

const toView = (w: Row, now = new Date()): WindowView => ({
  ...w,
  active: !w.endedAt && w.startsAt <= now && w.endsAt > now,
});

/** The active window that mutes `condition` and ends last, if any. */
export async function activeWindowFor(tx: DbTx, condition: IncidentCondition): Promise<ActiveWindow | null> {
  const [w] = await tx.$queryRaw<ActiveWindow[]>`
    SELECT id, ends_at AS "endsAt", reason, created_by AS "createdBy" FROM maintenance_windows
    WHERE ended_at IS NULL AND starts_at <= now() AND ends_at > now()
      AND (cardinality(conditions) = 0 OR ${condition}::"IncidentCondition" = ANY(conditions))
    ORDER BY ends_at DESC LIMIT 1`;
  return w ?? null;
}

export async function addMaintenanceWindow(
  db: Db,
  input: { until: Date | string; conditions?: IncidentCondition[]; reason: string },
  actor: Actor,
): Promise<WindowView> {
  const v = parseInput(maintenanceSchema, input);
  return db.$transaction(async (tx) => {
    const w = await tx.maintenanceWindow.create({
      data: { endsAt: v.until, conditions: [...new Set(v.conditions ?? [])], reason: v.reason, createdBy: actor.label.slice(0, 320) },
    });
    await writeAuditEvent(tx, {
      actor,
      action: 'MAINTENANCE_STARTED',
      reason: v.reason,
      after: { window: w.id, until: w.endsAt, conditions: w.conditions },
    });
    return toView(w);
  });
}

/** Ends a window now: what it held back is released (its deliveries may go at once). */
export async function endMaintenanceWindow(db: Db, id: number, actor: Actor): Promise<WindowView> {
  const wid = parseInput(jobIdSchema, id);
  return db.$transaction(async (tx) => {
    const w = await tx.maintenanceWindow.findUnique({ where: { id: wid } });
    if (!w) throw new SyncError('NOT_FOUND', `There is no maintenance window #${wid}.`);
    if (!toView(w).active) throw new SyncError('CONFLICT', `Maintenance window #${wid} is not active.`);
    const ended = await tx.maintenanceWindow.update({ where: { id: wid }, data: { endedAt: new Date() } });
    // Release what waited for this window: at once, or at the end of another active window that
    // still mutes the incident's condition.
    await tx.$executeRaw`
      UPDATE deliveries d SET not_before = coalesce((
          SELECT max(m.ends_at) FROM maintenance_windows m
          WHERE m.id <> ${wid} AND m.ended_at IS NULL AND m.starts_at <= now() AND m.ends_at > now()
            AND (cardinality(m.conditions) = 0 OR i.condition = ANY(m.conditions))), now())
      FROM incidents i
      WHERE i.id = d.incident_id AND d.delivered_at IS NULL AND d.failed_at IS NULL AND d.attempts = 0
        AND d.not_before = ${w.endsAt}`;
    await writeAuditEvent(tx, { actor, action: 'MAINTENANCE_ENDED', after: { window: wid } });
    return toView(ended);
  });
}

export async function listMaintenanceWindows(db: Db, opts: { activeOnly?: boolean; limit?: number } = {}): Promise<WindowView[]> {
  const now = new Date();
  const rows = await db.maintenanceWindow.findMany({
    where: opts.activeOnly ? { endedAt: null, startsAt: { lte: now }, endsAt: { gt: now } } : {},
    orderBy: { id: 'desc' },
    take: Math.min(Math.max(opts.limit ?? 50, 1), 500),
  });
  return rows.map((w) => toView(w, now));
}

/** Windows overlapping [from, to], for the trend chart's markers. */
export async function windowsBetween(db: Db, from: Date, to: Date): Promise<WindowView[]> {
  const rows = await db.maintenanceWindow.findMany({
    where: { startsAt: { lte: to }, endsAt: { gte: from } },
    orderBy: { startsAt: 'asc' },
    take: 200,
  });
  return rows.map((w) => toView(w));
}

/**
 * Retention for the alerts: resolved incidents older than `olderThan` (their timeline and
 * deliveries go with them), finished test deliveries, and windows that ended. Open incidents and
 * anything still to send are kept, however old.
 */
export async function pruneAlerts(db: Db, olderThan: Date): Promise<{ incidents: number; deliveries: number; windows: number }> {
  const incidents = await db.$executeRaw`
    DELETE FROM incidents i WHERE i.resolved_at < ${olderThan}
      AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.incident_id = i.id AND d.delivered_at IS NULL AND d.failed_at IS NULL)`;
  const deliveries = await db.$executeRaw`
    DELETE FROM deliveries WHERE incident_id IS NULL AND created_at < ${olderThan}
      AND (delivered_at IS NOT NULL OR failed_at IS NOT NULL)`;
  const windows = await db.$executeRaw`DELETE FROM maintenance_windows WHERE least(ends_at, coalesce(ended_at, ends_at)) < ${olderThan}`;
  return { incidents, deliveries, windows };
}
