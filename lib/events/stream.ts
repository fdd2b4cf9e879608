import type { EventHub } from './event-hub';
import { STREAM_EVENTS, type EventTopic } from './topics';

/**
 * GET /api/events as a Server-Sent Events response over the process's event hub:
 *
 *     retry: 3000
 *     event: ready        data: {"live":true}
 *     event: invalidate   data: {"topics":["desyncs","checks"]}   (one per coalesced event)
 *     event: status       data: {"live":false}                    (the LISTEN connection is down / back)
 *     : ping                                                      (a comment every 15 s)
 *     event: bye          data: {}                                (no longer allowed: the stream ends)
 *
 * `stillAllowed` is asked every `reauthMs`: false ends the stream with `bye`; a throw (the role
 * could not be read: the database is down) keeps it and asks again next time. The stream ends
 * when the client goes (the request's signal, or the body is cancelled), when the hub closes
 * (process shutdown), or when the client reads so slowly that events pile up.
 */

export interface EventStreamTiming {
  reauthMs: number;
  pingMs: number;
  /** The reconnect delay the browser is told to use. */
  retryMs: number;
  /** How long the first event waits for the hub's first connection attempt to end. */
  settleMs: number;
}

export const DEFAULT_STREAM_TIMING: EventStreamTiming = { reauthMs: 5_000, pingMs: 15_000, retryMs: 3_000, settleMs: 2_000 };

export interface EventStreamOptions extends Partial<EventStreamTiming> {
  signal: AbortSignal;
  hub: EventHub;
  stillAllowed: () => Promise<boolean>;
}

/** Chunks waiting for a client that does not read; past this the stream is ended. */
const MAX_QUEUED_CHUNKS = 100;

export const EVENT_STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  // no-transform: a compressing proxy, or the server's own compression, must not buffer the stream.
  'Cache-Control': 'no-store, no-transform',
  'X-Accel-Buffering': 'no',
} as const;

export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function eventStreamResponse(options: EventStreamOptions): Response {
  const { signal, hub, stillAllowed } = options;
  const timing = { ...DEFAULT_STREAM_TIMING, ...definedOnly(options) };
  const encoder = new TextEncoder();
  let finish = () => {};

  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      let closed = false;
      let ready = false;
      let checking = false;
      const early: EventTopic[][] = [];
      const timers: ReturnType<typeof setInterval>[] = [];
      let unsubscribe = () => {};

      const close = () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        for (const t of timers) clearInterval(t);
        signal.removeEventListener('abort', close);
        try {
          controller.close();
        } catch {
          // Already cancelled by the client.
        }
      };
      finish = close;

      const send = (text: string) => {
        if (closed) return;
        if ((controller.desiredSize ?? 0) < -MAX_QUEUED_CHUNKS) return close();
        controller.enqueue(encoder.encode(text));
      };

      if (signal.aborted) return close();
      signal.addEventListener('abort', close, { once: true });
      send(`retry: ${timing.retryMs}\n\n`);

      unsubscribe = hub.subscribe({
        onEvent: ({ topics }) => (ready ? send(sseFrame(STREAM_EVENTS.invalidate, { topics })) : early.push(topics)),
        // Before `ready` there is nothing to correct: ready itself says whether the hub is live.
        onStatus: (live) => ready && send(sseFrame(STREAM_EVENTS.status, { live })),
        onClose: close,
      });
      const live = await hub.settled(timing.settleMs);
      if (closed) return;
      ready = true;
      send(sseFrame(STREAM_EVENTS.ready, { live: hub.live && live }));
      for (const topics of early) send(sseFrame(STREAM_EVENTS.invalidate, { topics }));

      timers.push(setInterval(() => send(': ping\n\n'), timing.pingMs));
      timers.push(
        setInterval(() => {
          if (checking || closed) return;
          checking = true;
          stillAllowed()
            .then(
              (allowed) => {
                if (allowed) return;
                send(sseFrame(STREAM_EVENTS.bye, {}));
                close();
              },
              () => {
                // The role could not be read now; the next period asks again.
              },
            )
            .finally(() => {
              checking = false;
            });
        }, timing.reauthMs),
      );
    },
    cancel() {
      finish();
    },
  });

  return new Response(body, { status: 200, headers: EVENT_STREAM_HEADERS });
}

function definedOnly(options: Partial<EventStreamTiming>): Partial<EventStreamTiming> {
  const out: Partial<EventStreamTiming> = {};
  for (const key of ['reauthMs', 'pingMs', 'retryMs', 'settleMs'] as const) {
    if (options[key] !== undefined) out[key] = options[key];
  }
  return out;
}
