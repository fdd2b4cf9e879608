import type { Locator, Page } from '@playwright/test';
import type { ConsoleGuard } from './console-guard';

/**
 * The pages' live updates (components/live): one EventSource('/api/events') per tab, "Live"
 * while it is up and "Polling every N s" while it is down. Tests of polling force the stream
 * down; tests of the stream watch what the tab's EventSource receives.
 */

/** "Live", "Polling every N s" or "Auto-refresh off" (components/live/live-indicator.tsx). */
export function liveIndicator(page: Page): Locator {
  return page.getByRole('main').getByTestId('live-indicator');
}

export const POLLING = /^Polling every \d+ s$/;

/**
 * Polling mode: every request of the event stream (the EventSource and the page's probe before
 * it reopens one) fails, as when a proxy drops it; the failures' console messages are allowed.
 * Call before `goto`.
 */
export async function forcePolling(page: Page, consoleGuard: ConsoleGuard) {
  consoleGuard.allow(/\/api\/events/);
  await page.route('**/api/events', (route) => route.abort());
}

/** What a tab's EventSources received: each event's name and the browser's time of it. */
export interface StreamLog {
  opened: number;
  events: { type: string; at: number; data: string }[];
  /** readyState of the newest EventSource (0 connecting, 1 open, 2 closed), -1 before one exists. */
  readyState: number;
}

/**
 * Records, from the page's first script on, every EventSource the page opens and the events of
 * the stream's vocabulary (lib/events/topics.ts) they receive. Call before `goto`.
 */
export async function recordEventStream(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { __e2eStream?: { opened: number; events: StreamLog['events']; last: EventSource | null } };
    if (w.__e2eStream) return;
    const log = { opened: 0, events: [] as StreamLog['events'], last: null as EventSource | null };
    w.__e2eStream = log;
    const Native = window.EventSource;
    class Recorded extends Native {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        log.opened++;
        log.last = this;
        for (const type of ['ready', 'invalidate', 'status', 'bye']) {
          this.addEventListener(type, (e) => log.events.push({ type, at: Date.now(), data: String((e as MessageEvent).data) }));
        }
      }
    }
    window.EventSource = Recorded;
  });
}

export async function streamLog(page: Page): Promise<StreamLog> {
  return page.evaluate(() => {
    const log = (window as unknown as { __e2eStream?: { opened: number; events: StreamLog['events']; last: EventSource | null } })
      .__e2eStream;
    if (!log) throw new Error('recordEventStream(page) was not called before the page loaded');
    return { opened: log.opened, events: [...log.events], readyState: log.last ? log.last.readyState : -1 };
  });
}
