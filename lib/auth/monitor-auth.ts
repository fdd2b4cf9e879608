import 'server-only';
import { createHash, timingSafeEqual } from 'node:crypto';
import { env } from '@/lib/env';
import { log } from '@/lib/log';
import { getCurrentStaff } from './session';

/**
 * Who may read /api/health/integrity and /api/metrics: a monitoring system holding
 * MONITOR_TOKEN (`Authorization: Bearer <token>`), or a signed-in VIEWER or ADMIN.
 *
 * A request that sends a bearer token is judged by the token alone (a wrong token is refused
 * even if a session cookie rides along), so a misconfigured scraper fails loudly instead of
 * working only from a signed-in browser. The token is compared in constant time: both sides are
 * hashed to 32 bytes first, so neither the content nor the length leaks through timing.
 */

const authLog = log.child({ component: 'monitor-auth' });

export type MonitorAccess = { ok: true; via: 'token' } | { ok: true; via: 'session'; staffId: number } | { ok: false };

function bearerToken(request: Request): string | null {
  const header = request.headers.get('authorization');
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : '';
}

export function tokenMatches(presented: string, expected: string | undefined): boolean {
  if (!expected) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export async function authorizeMonitor(request: Request): Promise<MonitorAccess> {
  const token = bearerToken(request);
  if (token !== null) return tokenMatches(token, env().MONITOR_TOKEN) ? { ok: true, via: 'token' } : { ok: false };
  let staff;
  try {
    staff = await getCurrentStaff();
  } catch (err) {
    // No session context or an unreadable cookie: not signed in.
    authLog.error({ err }, 'session lookup failed');
    return { ok: false };
  }
  if (staff && (staff.role === 'VIEWER' || staff.role === 'ADMIN')) return { ok: true, via: 'session', staffId: staff.id };
  return { ok: false };
}
