'use client';

import { useQueryClient } from '@tanstack/react-query';
import { usePathname, useRouter } from 'next/navigation';
import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  EVENT_TOPICS,
  invalidateDataSchema,
  liveDataSchema,
  parseEventData,
  sortTopics,
  STREAM_EVENTS,
  type EventTopic,
} from '@/lib/events/topics';
import { pageRefreshesOn, queryKeysFor } from './live-topics';

/**
 * One EventSource('/api/events') per tab, for the signed-in pages (app/(dashboard)/layout.tsx).
 * An `invalidate` event invalidates the react-query keys of its topics and refreshes the
 * server-rendered page when it shows them (at most once a second); a hidden tab keeps the topics
 * and applies them when it is shown, so it fetches nothing meanwhile. The browser reconnects by
 * itself after a network error (`retry: 3000`), and after `bye` the stream stays closed. When
 * the server answered with an error instead (the database was down while authorizing), the
 * browser gives up; the stream is then reopened with a backoff, unless the server says the user
 * is signed out. useLiveStatus() says whether changes arrive live, so pages can poll otherwise.
 */

const LiveContext = createContext<{ live: boolean }>({ live: false });

/** `live`: the stream is open and its last word was that the database's notifications arrive. */
export function useLiveStatus(): { live: boolean } {
  return useContext(LiveContext);
}

const REFRESH_EVERY_MS = 1_000;
const REOPEN_FIRST_MS = 5_000;
const REOPEN_MAX_MS = 60_000;

export function LiveEvents({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const router = useRouter();
  const pathname = usePathname();
  const [open, setOpen] = useState(false);
  const [serverLive, setServerLive] = useState(false);

  const pathnameRef = useRef(pathname);
  useEffect(() => {
    pathnameRef.current = pathname;
  }, [pathname]);

  useEffect(() => {
    let source: EventSource | null = null;
    let stopped = false;
    let readies = 0;
    let failures = 0;
    let reopenTimer: ReturnType<typeof setTimeout> | undefined;
    let refreshTimer: ReturnType<typeof setTimeout> | undefined;
    let lastRefresh = 0;

    // Trailing and at most once a second: the last change of a burst is always shown.
    const refreshPage = () => {
      if (refreshTimer) return;
      refreshTimer = setTimeout(
        () => {
          refreshTimer = undefined;
          lastRefresh = Date.now();
          router.refresh();
        },
        Math.max(0, lastRefresh + REFRESH_EVERY_MS - Date.now()),
      );
    };

    const hiddenTopics = new Set<EventTopic>();
    const changed = (topics: readonly EventTopic[]) => {
      if (document.visibilityState === 'hidden') {
        for (const t of topics) hiddenTopics.add(t);
        return;
      }
      for (const queryKey of queryKeysFor(topics)) void queryClient.invalidateQueries({ queryKey });
      if (pageRefreshesOn(pathnameRef.current, topics)) refreshPage();
    };
    const onVisibility = () => {
      if (document.visibilityState === 'hidden' || hiddenTopics.size === 0) return;
      const topics = sortTopics(hiddenTopics);
      hiddenTopics.clear();
      changed(topics);
    };
    document.addEventListener('visibilitychange', onVisibility);

    const reopenLater = () => {
      const delay = Math.min(REOPEN_MAX_MS, REOPEN_FIRST_MS * 2 ** failures++);
      reopenTimer = setTimeout(async () => {
        try {
          // The browser does not say why it gave up: ask, and stay closed if signed out.
          const res = await fetch('/api/events', { cache: 'no-store', signal: AbortSignal.timeout(10_000) });
          void res.body?.cancel().catch(() => {});
          if (res.status === 401 || res.status === 403) return;
        } catch {
          if (!stopped) reopenLater();
          return;
        }
        if (!stopped) connect();
      }, delay);
    };

    const connect = () => {
      const s = new EventSource('/api/events');
      source = s;
      s.addEventListener(STREAM_EVENTS.ready, (e) => {
        failures = 0;
        readies++;
        setOpen(true);
        setServerLive(parseEventData(liveDataSchema, e.data)?.live ?? false);
        // A reconnect: anything may have changed while the stream was away.
        if (readies > 1) changed(EVENT_TOPICS);
      });
      s.addEventListener(STREAM_EVENTS.status, (e) => {
        const status = parseEventData(liveDataSchema, e.data);
        if (status) setServerLive(status.live);
      });
      s.addEventListener(STREAM_EVENTS.invalidate, (e) => {
        const data = parseEventData(invalidateDataSchema, e.data);
        if (data && data.topics.length) changed(data.topics);
      });
      s.addEventListener(STREAM_EVENTS.bye, () => {
        stopped = true;
        s.close();
        setOpen(false);
      });
      s.onerror = () => {
        setOpen(false);
        if (s.readyState === EventSource.CLOSED && !stopped) {
          s.close();
          reopenLater();
        }
      };
    };

    connect();
    return () => {
      stopped = true;
      document.removeEventListener('visibilitychange', onVisibility);
      clearTimeout(reopenTimer);
      clearTimeout(refreshTimer);
      source?.close();
    };
  }, [queryClient, router]);

  const value = useMemo(() => ({ live: open && serverLive }), [open, serverLive]);
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}
