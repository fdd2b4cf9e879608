import Link from 'next/link';
import { formatInt } from '@/lib/format';

/** "Previous" / "Next" links for a server-paginated list; a boundary link is shown disabled. */
export function Pagination({
  page,
  pageCount,
  total,
  noun,
  hrefFor,
}: {
  page: number;
  pageCount: number;
  total: number;
  noun: string;
  hrefFor: (page: number) => string;
}) {
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
