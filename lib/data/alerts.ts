import type { ChannelView, DeliveryRow, IncidentSummary, WindowView } from '@/lib/alerts';
import { CONDITION_LABELS, type ChannelKind, type IncidentCondition, type NotificationEvent } from '@/lib/vocabulary';

/**
 * JSON-shaped views of the alert engine's results for the browser (dates as ISO strings), and
 * the words the pages, the dashboard and the CLI use for them.
 */

/** An incident's condition in words, with its subject (the writer of a burst) when it has one. */
export function incidentLabel(i: { condition: IncidentCondition; subject: string }): string {
  return i.subject ? `${CONDITION_LABELS[i.condition]}: ${i.subject}` : CONDITION_LABELS[i.condition];
}

export const CHANNEL_KIND_LABELS: Record<ChannelKind, string> = { WEBHOOK: 'Webhook', SLACK: 'Slack', EMAIL: 'Email' };

/** What a notification was, in words. */
export const NOTIFICATION_EVENT_LABELS: Record<NotificationEvent, string> = {
  OPEN: 'open notice',
  RESOLVED: 'recovery notice',
  REMINDER: 'reminder',
  TEST: 'test',
};

/** What the State column shows: resolved, else acknowledged, else open. Muted is shown beside it. */
export type IncidentBadge = 'Open' | 'Acknowledged' | 'Resolved';

export function incidentBadge(i: Pick<IncidentSummary, 'state' | 'acknowledgedAt'>): IncidentBadge {
  if (i.state === 'RESOLVED') return 'Resolved';
  return i.acknowledgedAt ? 'Acknowledged' : 'Open';
}

/** A channel's or a window's conditions in words: "All" when it names none. */
export function conditionsText(conditions: readonly IncidentCondition[]): string {
  return conditions.length ? conditions.map((c) => CONDITION_LABELS[c]).join(', ') : 'All';
}

export interface OpenIncidentDto {
  id: number;
  condition: IncidentCondition;
  label: string;
  summary: string;
  openedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  muted: boolean;
}

export function toOpenIncidentDto(i: IncidentSummary): OpenIncidentDto {
  return {
    id: i.id,
    condition: i.condition,
    label: incidentLabel(i),
    summary: i.summary,
    openedAt: i.openedAt.toISOString(),
    acknowledgedAt: i.acknowledgedAt?.toISOString() ?? null,
    acknowledgedBy: i.acknowledgedBy,
    muted: i.muted,
  };
}

export type LastDeliveryDto = { at: string; ok: boolean; status: string | null; attempts: number; error: string | null };

export type ChannelDto = Omit<ChannelView, 'createdAt' | 'lastDelivery'> & { createdAt: string; lastDelivery: LastDeliveryDto | null };

export function toChannelDto({ createdAt, lastDelivery, ...rest }: ChannelView): ChannelDto {
  return {
    ...rest,
    createdAt: createdAt.toISOString(),
    lastDelivery: lastDelivery ? { ...lastDelivery, at: lastDelivery.at.toISOString() } : null,
  };
}

export type WindowDto = Omit<WindowView, 'startsAt' | 'endsAt' | 'endedAt'> & { startsAt: string; endsAt: string; endedAt: string | null };

export function toWindowDto({ startsAt, endsAt, endedAt, ...rest }: WindowView): WindowDto {
  return { ...rest, startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), endedAt: endedAt?.toISOString() ?? null };
}

/** A delivery's outcome, as GET /api/notifications/deliveries/:id answers (a test's "Send test" polls it). */
export interface DeliveryDto {
  id: string;
  channel: string;
  event: DeliveryRow['event'];
  attempts: number;
  state: 'pending' | 'delivered' | 'failed';
  lastStatus: string | null;
  lastError: string | null;
  deliveredAt: string | null;
  failedAt: string | null;
}

export function toDeliveryDto(d: DeliveryRow): DeliveryDto {
  return {
    id: d.id,
    channel: d.channel,
    event: d.event,
    attempts: d.attempts,
    state: d.deliveredAt ? 'delivered' : d.failedAt ? 'failed' : 'pending',
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    failedAt: d.failedAt?.toISOString() ?? null,
  };
}

/** "last delivery failed: 503, 3 attempts" / "delivered": the words of a delivery's outcome (without the time). */
export function deliveryOutcomeText(d: {
  ok: boolean;
  pending?: boolean;
  status: string | null;
  attempts: number;
  error: string | null;
}): string {
  if (d.ok) return 'delivered';
  const attempts = `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`;
  if (d.pending) return `retrying: ${d.status ?? d.error ?? 'no answer'}, ${attempts} so far`;
  return `last delivery failed: ${d.status ?? d.error ?? 'no answer'}, ${attempts}`;
}
