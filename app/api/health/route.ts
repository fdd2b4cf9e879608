import { getDb } from '@/lib/db/server';

/**
 * Liveness and readiness for load balancers and orchestrators: no authentication, no figures.
 * 200 when PostgreSQL answers within a few seconds, 503 otherwise.
 */

export const dynamic = 'force-dynamic';

const DATABASE_TIMEOUT_MS = 3000;

export async function GET(): Promise<Response> {
  const headers = { 'Cache-Control': 'no-store' };
  try {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('database timeout')), DATABASE_TIMEOUT_MS);
    });
    try {
      await Promise.race([getDb().$queryRaw`SELECT 1`, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return Response.json({ status: 'ok', database: 'up' }, { headers });
  } catch {
    return Response.json({ status: 'unavailable', database: 'down' }, { status: 503, headers });
  }
}
