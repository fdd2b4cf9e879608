import { MAX_DATE } from '@/lib/sync/search-filters';

/**
 * The pieces of query-string parsing that several list pages share (lib/data/query-params.ts):
 * text cleaning, the "Learner" search and date ranges. Like the rest, bad input is adjusted or
 * dropped with a readable notice, never an error.
 */

export type Param = string | string[] | undefined;

export const MAX_SEARCH_LENGTH = 100;

export function first(v: Param): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Control characters have no place in a search; dropping them keeps logs and SQL params clean. */
// eslint-disable-next-line no-control-regex
const stripControls = (raw: string) => raw.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();

export function cleanText(raw: string | undefined, notices: string[], label: string): string | undefined {
  if (raw === undefined) return undefined;
  let text = stripControls(raw);
  if (text.length > MAX_SEARCH_LENGTH) {
    text = text.slice(0, MAX_SEARCH_LENGTH);
    notices.push(`The ${label} was shortened to its first ${MAX_SEARCH_LENGTH} characters.`);
  }
  return text || undefined;
}

/** `?learner=`: an id (`42`, `#42`), or part of an email or name. */
export function parseLearnerParam(params: { learner?: Param }, notices: string[]): string | undefined {
  return cleanText(first(params.learner), notices, 'learner search');
}

/** A range of whole days, `?from=` and `?to=` as YYYY-MM-DD, both included, read in UTC. */
export interface DayRange {
  from?: string;
  to?: string;
}

const DAY_MS = 86_400_000;

/** A real calendar day, YYYY-MM-DD, in the years 1900-9999; undefined otherwise. */
export function parseDay(raw: string | undefined): string | undefined {
  const v = raw?.trim();
  if (!v || !/^\d{4}-\d{2}-\d{2}$/.test(v) || v < '1900') return undefined;
  const d = new Date(`${v}T00:00:00Z`);
  // Date accepts 2026-02-30 as March 2nd: the day must survive the round trip.
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v ? v : undefined;
}

export function parseDayRange(params: { from?: Param; to?: Param }, notices: string[]): DayRange {
  const read = (raw: string | undefined, label: string) => {
    const day = parseDay(raw);
    if (raw?.trim() && !day)
      notices.push(`“${label}” (${stripControls(raw).slice(0, 40)}) is not a date (YYYY-MM-DD, 1900-9999) and was ignored.`);
    return day;
  };
  let from = read(first(params.from), 'From');
  let to = read(first(params.to), 'To');
  if (from && to && from > to) {
    [from, to] = [to, from];
    notices.push(`“From” was after “To”; the dates were swapped: ${from} to ${to}.`);
  }
  return { from, to };
}

/** The instants a day range covers: from the first day's 00:00 UTC up to (not including) the day after the last. */
export function dayRangeBounds(r: DayRange): { from?: Date; before?: Date } {
  return {
    from: r.from ? new Date(`${r.from}T00:00:00Z`) : undefined,
    before: r.to ? new Date(Math.min(Date.parse(`${r.to}T00:00:00Z`) + DAY_MS, MAX_DATE.getTime())) : undefined,
  };
}

/** `?a=1&b=2` from the set values, in order; '' when none is set. */
export function queryString(entries: [string, string | undefined][]): string {
  const p = new URLSearchParams();
  for (const [k, v] of entries) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}
