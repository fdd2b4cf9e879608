import 'server-only';
import { requireRole } from '@/lib/auth/session';
import { withStaff } from '@/lib/http/route';
import { isSyncError } from '@/lib/sync/errors';
import type { AttemptedAction } from '@/lib/vocabulary';
import type { EventHub } from './event-hub';
import { getEventHub } from './hub';
import { eventStreamResponse, type EventStreamTiming } from './stream';

// The stream serves the dashboard's figures and lists (VIEWER+); a refusal is audited under this.
const ATTEMPTED: AttemptedAction = 'VIEW_EVENTS';

/**
 * The handler of GET /api/events (app/api/events/route.ts): a VIEWER+ event stream that
 * re-authorizes every `reauthMs` through the same helper as withStaff, re-reading the role from
 * the database, and ends with `bye` once the member is demoted, deleted or signed out. Tests
 * build it with short timings, or another hub.
 */
export function eventsRoute(options: Partial<EventStreamTiming> & { hub?: () => EventHub } = {}) {
  const { hub = getEventHub, ...timing } = options;
  return withStaff('VIEWER', ATTEMPTED, async ({ request }) =>
    eventStreamResponse({
      ...timing,
      signal: request.signal,
      hub: hub(),
      stillAllowed: () =>
        requireRole('VIEWER', { action: ATTEMPTED, fresh: true }).then(
          () => true,
          (err: unknown) => {
            if (isSyncError(err, 'FORBIDDEN')) return false;
            throw err;
          },
        ),
    }),
  );
}
