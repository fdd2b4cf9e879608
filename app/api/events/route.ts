import { eventsRoute } from '@/lib/events/route';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/**
 * Server-Sent Events for every open page (VIEWER+): `invalidate` with the topics that changed
 * (desyncs, jobs, checks), `status` when live updates stop or resume, `bye` when access ends.
 * lib/events/stream.ts describes the stream.
 */
export const GET = eventsRoute();
