'use client';

import { usePathname, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useId, useState } from 'react';
import { DEFAULT_TREND_RANGE, parseTrendRange, TREND_RANGE_LABELS, TREND_RANGES, type TrendRange } from '@/lib/sync/trend';

const storageKey = (pathname: string) => `syncwatch.range:${pathname}`;

function rememberRange(pathname: string, range: TrendRange) {
  try {
    window.sessionStorage.setItem(storageKey(pathname), range);
  } catch {
    // Storage may be unavailable (private mode): the URL still carries the choice.
  }
}

function readRememberedRange(pathname: string): string | null {
  try {
    return window.sessionStorage.getItem(storageKey(pathname));
  } catch {
    return null;
  }
}

/**
 * The chart range in the URL (`?range=7d`), so it survives a reload and can be linked; the
 * default (24 h) leaves the query without it, and anything unknown reads as the default. A
 * choice replaces the URL in place (the browser's history API, which the App Router follows):
 * the page is not fetched again, only the chart's own query.
 */
export function useRangeParam(): [TrendRange, (range: TrendRange) => void] {
  const params = useSearchParams();
  const pathname = usePathname();
  const inUrl = parseTrendRange(params.get('range')) ?? DEFAULT_TREND_RANGE;
  // The choice shows at once (the URL follows a moment later); a URL changed otherwise (back,
  // forward, a link) wins.
  const [range, setLocal] = useState(inUrl);
  const [seen, setSeen] = useState(inUrl);
  if (inUrl !== seen) {
    setSeen(inUrl);
    setLocal(inUrl);
  }
  const setRange = useCallback(
    (next: TrendRange) => {
      setLocal(next);
      rememberRange(pathname, next);
      const query = new URLSearchParams(window.location.search);
      if (next === DEFAULT_TREND_RANGE) query.delete('range');
      else query.set('range', next);
      const qs = query.toString();
      window.history.replaceState(null, '', `${pathname}${qs ? `?${qs}` : ''}${window.location.hash}`);
    },
    [pathname],
  );
  // A link without the range (a filter, a page of the list) keeps this tab's last choice.
  const hasParam = params.has('range');
  useEffect(() => {
    const remembered = hasParam ? null : parseTrendRange(readRememberedRange(pathname));
    if (!remembered || remembered === DEFAULT_TREND_RANGE) return;
    // Into the URL only: the search params follow, and the render above takes the range from them.
    const query = new URLSearchParams(window.location.search);
    query.set('range', remembered);
    window.history.replaceState(null, '', `${pathname}?${query.toString()}${window.location.hash}`);
  }, [hasParam, pathname]);
  return [range, setRange];
}

/** "Range": 24 h, 7 d, 30 d, 90 d, as a labelled group of radio buttons drawn as segmented buttons. */
export function RangePicker({ value, onChange }: { value: TrendRange; onChange: (range: TrendRange) => void }) {
  const name = useId();
  return (
    <fieldset className="range-picker">
      <legend>Range</legend>
      {TREND_RANGES.map((r) => (
        <label key={r}>
          <input type="radio" name={name} value={r} checked={value === r} onChange={() => onChange(r)} />
          <span>{TREND_RANGE_LABELS[r]}</span>
        </label>
      ))}
    </fieldset>
  );
}
