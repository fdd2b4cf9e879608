import { isSyncError } from '@/lib/sync/errors';
import { clampPage } from './query-params';

/**
 * Server-side paging shared by every list page: one page of a list, the requested page clamped
 * into the pages that exist. Callers hand in how to read the page at an offset; the total comes
 * back with each read.
 */

export interface PageOf<T> {
  items: T[];
  total: number;
  /** The page shown: the requested one, or the last one when the request is past the end. */
  page: number;
  pageCount: number;
  offset: number;
}

/**
 * Reads the requested page; when that lies past the end, reads the last page instead (the total
 * is only known after the first read). An offset the engine refuses as invalid (absurd page
 * numbers) is retried from the first page to learn the total. Whatever else the read returns
 * (e.g. `learnersCapped`) comes back with the page.
 */
export async function readPage<R extends { items: unknown[]; total: number }>(
  requestedPage: number,
  pageSize: number,
  fetch: (offset: number) => Promise<R>,
): Promise<PageOf<R['items'][number]> & Omit<R, 'items' | 'total'>> {
  const wanted = clampPage(requestedPage, Number.MAX_SAFE_INTEGER, pageSize);
  let used = wanted.offset;
  let result = await fetch(used).catch((err: unknown) => {
    if (used === 0 || !isSyncError(err, 'VALIDATION')) throw err;
    used = 0;
    return fetch(0);
  });
  const paging = clampPage(requestedPage, result.total, pageSize);
  if (paging.offset !== used) result = await fetch(paging.offset);
  return { ...result, ...paging };
}

/** What a list shows when its filters are invalid: nothing, on a single page. */
export function emptyPage<T>(): PageOf<T> {
  return { items: [], total: 0, ...clampPage(1, 0) };
}
