import { CONDITION_LABELS, type IncidentCondition, type NotificationEvent } from '../vocabulary';

/**
 * What a notification says, built once when it is queued (so every channel and every retry sends
 * the same facts) and rendered per channel kind when it is sent: the generic webhook's JSON
 * document, Slack's `text` and `blocks`, an email's subject, text and HTML.
 */

export type NoticeState = 'open' | 'resolved' | 'reminder' | 'test';

export const STATE_OF: Record<NotificationEvent, NoticeState> = { OPEN: 'open', RESOLVED: 'resolved', REMINDER: 'reminder', TEST: 'test' };

/** The stored payload (deliveries.payload); the webhook body adds the delivery id. */
export interface Notice {
  state: NoticeState;
  incident: {
    id: number;
    condition: IncidentCondition;
    label: string;
    subject: string;
    openedAt: string;
    resolvedAt: string | null;
    summary: string;
    figures: Record<string, unknown>;
    url: string;
  } | null;
  /** For a test: the channel's name. */
  channel?: string;
  queuedAt: string;
}

export function incidentNotice(
  state: Exclude<NoticeState, 'test'>,
  i: { id: number; condition: IncidentCondition; subject: string; openedAt: Date; resolvedAt: Date | null },
  summary: string,
  figures: Record<string, unknown>,
  appUrl: string,
): Notice {
  return {
    state,
    incident: {
      id: i.id,
      condition: i.condition,
      label: CONDITION_LABELS[i.condition],
      subject: i.subject,
      openedAt: i.openedAt.toISOString(),
      resolvedAt: i.resolvedAt?.toISOString() ?? null,
      summary,
      figures,
      url: `${appUrl.replace(/\/+$/, '')}/incidents/${i.id}`,
    },
    queuedAt: new Date().toISOString(),
  };
}

export function testNotice(channel: string): Notice {
  return { state: 'test', incident: null, channel, queuedAt: new Date().toISOString() };
}

const HEADINGS: Record<NoticeState, string> = {
  open: 'Incident opened',
  resolved: 'Incident resolved',
  reminder: 'Still open (reminder)',
  test: 'Test notification',
};

/** One line: "[SyncWatch] Incident opened: Consistency below target (#12)". */
export function titleOf(n: Notice): string {
  if (!n.incident) return `[SyncWatch] ${HEADINGS.test} for channel "${n.channel}"`;
  const about = n.incident.subject ? `${n.incident.label}: ${n.incident.subject}` : n.incident.label;
  return `[SyncWatch] ${HEADINGS[n.state]}: ${about} (#${n.incident.id})`;
}

function lines(n: Notice): string[] {
  if (!n.incident) return ['This is a test from SyncWatch: the channel works.'];
  const i = n.incident;
  return [
    i.summary,
    `Opened ${i.openedAt}${i.resolvedAt ? `, resolved ${i.resolvedAt}` : ''}.`,
    ...Object.entries(i.figures).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`),
    i.url,
  ];
}

/** The generic webhook's body, exactly the bytes that are signed. */
export function webhookBody(n: Notice, deliveryId: string): string {
  return JSON.stringify({ delivery: deliveryId, ...n });
}

/** A Slack-compatible incoming webhook's body: `text` for notifications, `blocks` for the message. */
export function slackBody(n: Notice): string {
  const [summary = '', ...rest] = lines(n);
  const link = n.incident ? ` <${n.incident.url}|Open incident #${n.incident.id}>` : '';
  return JSON.stringify({
    // Slack reads <...> in `text` as mentions and links: a writer's name must not ping anyone.
    text: escapeSlack(`${titleOf(n)}: ${summary}`),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: titleOf(n).slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: `${escapeSlack(summary)}${link}` } },
      ...(rest.length > 1 ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: escapeSlack(rest.slice(0, -1).join('\n')) }] }] : []),
    ],
  });
}

const escapeSlack = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeHtml = (s: string) => escapeSlack(s).replace(/"/g, '&quot;');

export function emailOf(n: Notice): { subject: string; text: string; html: string } {
  const body = lines(n);
  const url = n.incident?.url;
  const html = [
    `<h2>${escapeHtml(titleOf(n))}</h2>`,
    ...body.filter((l) => l !== url).map((l) => `<p>${escapeHtml(l)}</p>`),
    url ? `<p><a href="${escapeHtml(url)}">Open the incident in SyncWatch</a></p>` : '',
  ].join('\n');
  return { subject: titleOf(n), text: body.join('\n'), html };
}
