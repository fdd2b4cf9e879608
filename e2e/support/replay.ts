import { expect, type Page } from '@playwright/test';
import type { Sql } from './sql';

/**
 * Direct POSTs of server actions, as an attacker would send them: capture the request a page's
 * click makes (without delivering it), then replay it with another client's cookies (or none).
 */

export interface CapturedAction {
  url: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

/** Lets the admin page do everything but send the next server action, which is recorded instead. */
export async function captureNextAction(page: Page, act: () => Promise<void>): Promise<CapturedAction> {
  let captured: CapturedAction | undefined;
  await page.route('**/*', async (route) => {
    const req = route.request();
    if (!captured && req.method() === 'POST' && req.headers()['next-action']) {
      captured = { url: req.url(), headers: await req.allHeaders(), body: req.postDataBuffer() };
      await route.abort('aborted');
    } else {
      await route.continue();
    }
  });
  await act();
  await expect.poll(() => captured !== undefined, { message: 'the click posts a server action' }).toBe(true);
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  return captured!;
}

/** The captured request as another client would send it: same action, same body, its own cookies. */
export function replayHeaders(headers: Record<string, string>): Record<string, string> {
  const drop = new Set(['cookie', 'content-length', 'host', 'connection', 'accept-encoding']);
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !drop.has(k.toLowerCase()) && !k.startsWith(':')));
}

/** ACCESS_DENIED audit events so far (by `actor`, when given). */
export async function accessDenied(sql: Sql, actor?: string): Promise<number> {
  const [row] = await sql<{ n: string }>(
    `SELECT count(*) AS n FROM audit_events WHERE action = 'ACCESS_DENIED' AND ($1::text IS NULL OR actor = $1)`,
    [actor ?? null],
  );
  return Number(row!.n);
}
