import { randomBytes } from 'node:crypto';
import type * as NextAuth from 'next-auth';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEventHub, type EventHub } from '../../lib/events/event-hub';
import { db, rawClient, testDatabaseUrl } from '../support/db';

/**
 * GET /api/events called directly with a Request against this file's real database, its
 * stream read as the browser would. Only next-auth's session lookup is replaced (there is no
 * Next.js request to read a cookie from); the role is still re-read from the database, at the
 * start and every re-authorization period.
 */

const session = vi.hoisted(() => ({ current: null as null | { user: { id: string; email: string } } }));
vi.mock('next-auth', async (importOriginal) => ({
  ...(await importOriginal<typeof NextAuth>()),
  getServerSession: async () => session.current,
}));

// The app's hub (lib/events/hub.ts) on this file's database, as db.ts does for the client.
const applicationName = `syncwatch-events-test-${randomBytes(4).toString('hex')}`;
const hub: EventHub = createEventHub({
  connectionString: testDatabaseUrl,
  applicationName,
  windowMs: 50,
  maxDelayMs: 200,
  backoff: { initialMs: 50, maxMs: 200 },
  logger: { info: () => {}, warn: () => {} },
});
(globalThis as unknown as { syncwatchEventHub?: EventHub }).syncwatchEventHub = hub;

const { GET } = await import('../../app/api/events/route');
const { eventsRoute } = await import('../../lib/events/route');

let c: pg.Client;
let viewer: { id: number; email: string };

beforeAll(async () => {
  c = await rawClient();
  const { rows } = await c.query<{ id: number; email: string }>(
    `INSERT INTO users (email, name, role, password_hash) VALUES ('viewer@events.test', 'V', 'VIEWER', 'x') RETURNING id, email`,
  );
  viewer = rows[0]!;
});
afterAll(async () => {
  await hub.close();
  await c.end();
});
beforeEach(async () => {
  session.current = null;
  await c.query(`UPDATE users SET role = 'VIEWER' WHERE id = $1`, [viewer.id]);
});

const signIn = () => (session.current = { user: { id: String(viewer.id), email: viewer.email } });

interface Frame {
  event?: string;
  data?: string;
  comment?: string;
  retry?: number;
}

/** Reads a Server-Sent Events body frame by frame. */
function sse(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let done = false;
  const frames: Frame[] = [];

  const parse = (block: string): Frame => {
    const frame: Frame = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) frame.comment = line.slice(1).trim();
      else if (line.startsWith('event: ')) frame.event = line.slice(7);
      else if (line.startsWith('data: ')) frame.data = line.slice(6);
      else if (line.startsWith('retry: ')) frame.retry = Number(line.slice(7));
    }
    return frame;
  };

  const pump = async () => {
    const { value, done: end } = await reader.read();
    if (end) {
      done = true;
      return;
    }
    buffer += decoder.decode(value, { stream: true });
    let at: number;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      frames.push(parse(buffer.slice(0, at)));
      buffer = buffer.slice(at + 2);
    }
  };

  return {
    frames,
    get done() {
      return done;
    },
    /** The next frame matching `match`, read from the stream within `timeoutMs`. */
    async next(match: (f: Frame) => boolean, timeoutMs = 5_000): Promise<Frame> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const i = frames.findIndex(match);
        if (i >= 0) return frames.splice(0, i + 1).at(-1)!;
        if (done) throw new Error(`the stream ended; frames left: ${JSON.stringify(frames)}`);
        const left = end - Date.now();
        if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; frames: ${JSON.stringify(frames)}`);
        await Promise.race([pump(), new Promise((r) => setTimeout(r, left))]);
      }
    },
    async untilDone(timeoutMs = 5_000) {
      const end = Date.now() + timeoutMs;
      while (!done) {
        if (Date.now() > end) throw new Error('the stream did not end');
        await Promise.race([pump(), new Promise((r) => setTimeout(r, end - Date.now()))]);
      }
    },
    cancel: () => reader.cancel(),
  };
}

const named = (event: string) => (f: Frame) => f.event === event;

function open(handler: (r: Request) => Promise<Response>) {
  const abort = new AbortController();
  return { abort, res: handler(new Request('http://localhost/api/events', { signal: abort.signal })) };
}

describe('GET /api/events', () => {
  it('refuses an anonymous request in the error shape, and audits it', async () => {
    const before = await db.auditEvent.count({ where: { action: 'ACCESS_DENIED' } });
    const res = await GET(new Request('http://localhost/api/events'));
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } });
    expect(await db.auditEvent.count({ where: { action: 'ACCESS_DENIED' } })).toBe(before + 1);
  });

  it('sends a VIEWER retry, ready, then an invalidate event for a NOTIFY, and unsubscribes on abort', async () => {
    signIn();
    const { abort, res: pending } = open(GET);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toMatch(/^no-store\b/);
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const stream = sse(res);

    expect(await stream.next((f) => f.retry !== undefined)).toEqual({ retry: 3000 });
    expect(await stream.next(named('ready'))).toEqual({ event: 'ready', data: '{"live":true}' });
    expect(hub.subscriberCount).toBe(1);

    await c.query(`SELECT pg_notify('syncwatch', 'desyncs')`);
    expect(await stream.next(named('invalidate'))).toEqual({ event: 'invalidate', data: '{"topics":["desyncs"]}' });

    abort.abort();
    await stream.untilDone();
    expect(hub.subscriberCount).toBe(0);
  });

  it('ends with bye within the re-authorization period once the user is demoted to STUDENT', async () => {
    signIn();
    const before = await db.auditEvent.count({ where: { action: 'ACCESS_DENIED' } });
    const stream = sse(await open(eventsRoute({ reauthMs: 200 })).res);
    await stream.next(named('ready'));
    // Still a VIEWER after several periods: the stream stays.
    await new Promise((r) => setTimeout(r, 500));
    expect(stream.frames.filter(named('bye'))).toEqual([]);

    await c.query(`UPDATE users SET role = 'STUDENT' WHERE id = $1`, [viewer.id]);
    const demotedAt = Date.now();
    expect(await stream.next(named('bye'), 2_000)).toEqual({ event: 'bye', data: '{}' });
    expect(Date.now() - demotedAt).toBeLessThan(200 + 500);
    await stream.untilDone();
    expect(hub.subscriberCount).toBe(0);
    expect(await db.auditEvent.count({ where: { action: 'ACCESS_DENIED' } })).toBe(before + 1);
  });

  it('ends with bye when the session is gone', async () => {
    signIn();
    const stream = sse(await open(eventsRoute({ reauthMs: 100 })).res);
    await stream.next(named('ready'));
    session.current = null;
    await stream.next(named('bye'), 2_000);
    await stream.untilDone();
  });

  it('pings, and says when live updates stop and resume, then invalidates every topic', async () => {
    signIn();
    const { abort, res } = open(eventsRoute({ pingMs: 100 }));
    const stream = sse(await res);
    await stream.next(named('ready'));
    expect(await stream.next((f) => f.comment === 'ping')).toEqual({ comment: 'ping' });

    await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [applicationName]);
    expect(await stream.next(named('status'))).toEqual({ event: 'status', data: '{"live":false}' });
    expect(await stream.next(named('status'))).toEqual({ event: 'status', data: '{"live":true}' });
    expect(await stream.next(named('invalidate'))).toEqual({
      event: 'invalidate',
      data: '{"topics":["desyncs","jobs","checks","incidents"]}',
    });
    abort.abort();
    await stream.untilDone();
  });

  it('ends every stream when the hub closes (process shutdown)', async () => {
    signIn();
    const other = createEventHub({ connectionString: testDatabaseUrl, logger: { info: () => {}, warn: () => {} } });
    const stream = sse(await open(eventsRoute({ hub: () => other })).res);
    await stream.next(named('ready'));
    await other.close();
    await stream.untilDone();
  });
});
