import { z } from 'zod';

/**
 * The contract between the database and every open page: PostgreSQL sends
 * `pg_notify('syncwatch', <topic>)` at commit, the app's one LISTEN connection per process
 * (lib/events/hub.ts) coalesces them, and GET /api/events passes them on as Server-Sent Events.
 * Only the channel name and these topic strings are shared with the database.
 */

export const EVENTS_CHANNEL = 'syncwatch';

/**
 * - `desyncs`: the current-desync set changed;
 * - `jobs`: a sync_jobs row was inserted or updated (start, batch progress, heartbeat, finish);
 * - `checks`: a health snapshot or an audit row was stored;
 * - `incidents`: an incident opened, changed (acknowledged, notified, reminded) or resolved.
 */
export const EVENT_TOPICS = ['desyncs', 'jobs', 'checks', 'incidents'] as const;
export type EventTopic = (typeof EVENT_TOPICS)[number];

export const eventTopicSchema = z.enum(EVENT_TOPICS);

/** Topics in their canonical order, each once. */
export function sortTopics(topics: Iterable<EventTopic>): EventTopic[] {
  const set = new Set(topics);
  return EVENT_TOPICS.filter((t) => set.has(t));
}

/** A NOTIFY payload as a topic, or null for anything else (a topic this version does not know). */
export function parseTopic(payload: string | undefined): EventTopic | null {
  const parsed = eventTopicSchema.safeParse(payload?.trim());
  return parsed.success ? parsed.data : null;
}

/** The names of the events GET /api/events sends. */
export const STREAM_EVENTS = {
  /** First event of every stream; data `{ live }`: whether the LISTEN connection is up. */
  ready: 'ready',
  /** Something changed; data `{ topics }`. */
  invalidate: 'invalidate',
  /** The LISTEN connection went down or came back; data `{ live }`. */
  status: 'status',
  /** The stream ends for good (signed out, demoted, deleted): do not reconnect. */
  bye: 'bye',
} as const;

export const invalidateDataSchema = z.object({
  // Topics a newer server may add are dropped, not a reason to refuse the event.
  topics: z.array(z.string()).transform((ts) => sortTopics(ts.flatMap((t) => parseTopic(t) ?? []))),
});

export const liveDataSchema = z.object({ live: z.boolean() });

/** Server-Sent Event data as JSON validated by `schema`, or null when it is not. */
export function parseEventData<T>(schema: z.ZodType<T>, data: unknown): T | null {
  if (typeof data !== 'string') return null;
  try {
    const parsed = schema.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
