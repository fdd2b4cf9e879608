import { LocalTime } from '@/components/ui/local-time';
import type { IncidentDetail, IncidentEventRow } from '@/lib/alerts';
import { NOTIFICATION_EVENT_LABELS } from '@/lib/data/alerts';
import type { NotificationEvent } from '@/lib/vocabulary';
import { FiguresList } from './figures-list';

const TITLES: Record<IncidentEventRow['kind'], string> = {
  OPENED: 'Opened',
  NOTIFIED: 'Notified',
  DELIVERY_FAILED: 'Delivery failed',
  REMINDED: 'Reminder',
  ACKNOWLEDGED: 'Acknowledged',
  MUTED: 'Muted',
  RESOLVED: 'Resolved',
};

/** The details the timeline words itself; whatever else an event carries is listed as figures. */
const WORDED = new Set([
  'summary',
  'channel',
  'kind',
  'event',
  'note',
  'reason',
  'status',
  'error',
  'attempts',
  'until',
  'windowId',
  'figures',
]);

const str = (v: unknown) => (typeof v === 'string' && v ? v : null);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Described {
  text: string;
  /** MUTED: when the window that holds the notifications ends (ISO). */
  until?: string | null;
  note: string | null;
  figures: Record<string, unknown> | null;
}

/** One timeline entry in words, from its kind and whatever its detail holds. */
export function describeEvent(
  e: IncidentEventRow,
  incident: Pick<IncidentDetail, 'summary' | 'openedFigures' | 'resolvedFigures' | 'ackNote'>,
): Described {
  const d = e.detail ?? {};
  const rest = Object.fromEntries(Object.entries(d).filter(([k]) => !WORDED.has(k)));
  const own = isRecord(d.figures) ? d.figures : Object.keys(rest).length ? rest : null;
  const channel = str(d.channel) ?? 'a channel';
  const event = str(d.event) as NotificationEvent | null;
  const what = event && event in NOTIFICATION_EVENT_LABELS ? ` (${NOTIFICATION_EVENT_LABELS[event]})` : '';
  const attempts = typeof d.attempts === 'number' ? `, ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}` : '';
  switch (e.kind) {
    case 'OPENED':
      return { text: str(d.summary) ?? incident.summary, note: null, figures: own ?? incident.openedFigures };
    case 'RESOLVED':
      return { text: str(d.summary) ?? 'The condition cleared.', note: null, figures: own ?? incident.resolvedFigures };
    case 'NOTIFIED':
      return { text: `Sent to ${channel}${what}${str(d.status) ? `: ${str(d.status)}` : ''}.`, note: null, figures: own };
    case 'DELIVERY_FAILED':
      return {
        text: `Could not deliver to ${channel}${what}: ${str(d.status) ?? str(d.error) ?? 'no answer'}${attempts}.`,
        note: null,
        figures: own,
      };
    case 'REMINDED':
      return { text: `Still open and not acknowledged: a reminder was queued. ${str(d.summary) ?? ''}`.trim(), note: null, figures: own };
    case 'MUTED':
      return { text: 'A maintenance window holds the notifications until', until: str(d.until), note: str(d.reason), figures: own };
    case 'ACKNOWLEDGED':
      return { text: `By ${e.actor ?? 'someone'}.`, note: str(d.note) ?? incident.ackNote, figures: own };
  }
}

/** An incident's timeline, oldest first: opened, each notification, failures, reminders, muted, acknowledged, resolved. */
export function IncidentTimeline({ incident }: { incident: IncidentDetail }) {
  // A stable sort: events of the same instant keep the engine's order.
  const events = [...incident.events].sort((a, b) => a.at.getTime() - b.at.getTime());
  return (
    <section className="card" aria-labelledby="incident-timeline-title">
      <h2 id="incident-timeline-title">Timeline</h2>
      {events.length === 0 ? (
        <p className="muted">Nothing recorded yet.</p>
      ) : (
        <ol className="timeline" aria-label="Timeline">
          {events.map((e) => {
            const { text, until, note, figures } = describeEvent(e, incident);
            return (
              <li key={e.id} data-kind={e.kind}>
                <LocalTime iso={e.at.toISOString()} className="timeline-time" /> <strong>{TITLES[e.kind]}</strong>{' '}
                <span>
                  {text}
                  {e.kind === 'MUTED' ? (
                    <>
                      {' '}
                      <LocalTime iso={until} />.
                    </>
                  ) : null}
                </span>
                {note ? <blockquote className="timeline-note reason">{note}</blockquote> : null}
                <FiguresList figures={figures} label={`${TITLES[e.kind]} details`} />
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
