import Link from 'next/link';
import type { PageOf } from '@/lib/data/paging';
import { formatInt } from '@/lib/format';

/** "Previous" / "Next" links for a server-paginated list; a boundary link is shown disabled. */
export function Pagination({
  of: { page, pageCount, total },
  noun: [one, many],
  hrefFor,
}: {
  of: Pick<PageOf<unknown>, 'page' | 'pageCount' | 'total'>;
  /** What the list holds, singular and plural: ['job', 'jobs']. */
  noun: [string, string];
  hrefFor: (page: number) => string;
}) {
  const noun = total === 1 ? one : many;
  return (
    <nav className="pagination" aria-label="Pagination">
      {page > 1 ? (
        <Link href={hrefFor(page - 1)} rel="prev" className="button subtle">
          Previous
        </Link>
      ) : (
        <a role="link" aria-disabled="true" className="button subtle disabled">
          Previous
        </a>
      )}
      <p className="pagination-status">
        Page <span className="num">{formatInt(page)}</span> of <span className="num">{formatInt(pageCount)}</span> ·{' '}
        <span className="num">{formatInt(total)}</span> {noun}
      </p>
      {page < pageCount ? (
        <Link href={hrefFor(page + 1)} rel="next" className="button subtle">
          Next
        </Link>
      ) : (
        <a role="link" aria-disabled="true" className="button subtle disabled">
          Next
        </a>
      )}
    </nav>
  );
}
