'use client';

import { useEffect, useState, useSyncExternalStore } from 'react';
import { formatRelative } from '@/lib/format';

const noopSubscribe = () => () => {};

/** False during the server render and hydration, true afterwards (no hydration mismatch). */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    noopSubscribe,
    () => true,
    () => false,
  );
}

/**
 * The current time, re-read on each render and at least every `everyMs` (null until hydrated,
 * so the server render and hydration agree).
 */
export function useNow(everyMs = 30_000): Date | null {
  const hydrated = useHydrated();
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!hydrated) return;
    const t = setInterval(() => setTick((n) => n + 1), everyMs);
    return () => clearInterval(t);
  }, [hydrated, everyMs]);
  return hydrated ? new Date() : null;
}

const short = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'long' });

function utcText(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * A point in time in the viewer's time zone, with the absolute time (and ISO form) on hover.
 * The server render shows UTC; the browser switches to local time right after hydration.
 */
export function LocalTime({
  iso,
  relative = false,
  className,
}: {
  iso: string | null | undefined;
  relative?: boolean;
  className?: string;
}) {
  const hydrated = useHydrated();
  const now = useNow(relative ? 15_000 : 3_600_000);
  if (!iso) return <span className={className}>—</span>;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return <span className={className}>—</span>;
  const text = hydrated ? short.format(d) : utcText(d);
  const title = hydrated ? `${full.format(d)} (${d.toISOString()})` : d.toISOString();
  return (
    <time dateTime={d.toISOString()} title={title} className={className}>
      {text}
      {relative && now ? <span className="relative"> ({formatRelative(d, now)})</span> : null}
    </time>
  );
}
