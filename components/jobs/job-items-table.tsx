import Link from 'next/link';
import { DataTable } from '@/components/ui/data-table';
import { Pagination } from '@/components/ui/pagination';
import { PairLevels } from '@/components/ui/pair-levels';
import { readPage } from '@/lib/data/paging';
import { pageQueryString } from '@/lib/data/query-params';
import { getDb } from '@/lib/db/server';
import { listSyncJobItems } from '@/lib/sync';
import type { PairSnapshot } from '@/lib/sync/types';
import { ItemOutcome } from './job-status';

// Large pages: a job over the demo data fits on one page; big jobs still paginate.
const ITEMS_PER_PAGE = 500;

/** A pair's levels before or after the job; an orphan the job left alone has no "after". */
function Snapshot({ s }: { s: PairSnapshot | null }) {
  return s ? <PairLevels levels={s} /> : <span className="muted">unchanged</span>;
}

/** The pairs one sync job touched, with their levels before and after and the outcome. */
export async function JobItemsTable({ jobId, requestedPage }: { jobId: number; requestedPage: number }) {
  const result = await readPage(requestedPage, ITEMS_PER_PAGE, (offset) =>
    listSyncJobItems(getDb(), jobId, { offset, limit: ITEMS_PER_PAGE }),
  );

  return (
    <>
      <DataTable
        label="Job items"
        columns={[{ label: 'Pair' }, { label: 'Kind' }, { label: 'Before' }, { label: 'After' }, { label: 'Outcome' }, { label: 'Error' }]}
        empty="This job touched no pairs."
        rows={result.items.map((item) => (
          <tr key={item.id} data-user-id={item.userId} data-specialization={item.specializationId}>
            <td>
              {item.email !== null ? (
                <Link href={`/learners/${item.userId}`} className="learner-name">
                  {item.email}
                </Link>
              ) : (
                <span className="learner-name">Learner #{item.userId}</span>
              )}
              <span className="muted learner-email">
                {item.specializationId} · learner {item.userId}
              </span>
            </td>
            <td>{item.kind}</td>
            <td>
              <Snapshot s={item.before} />
            </td>
            <td>
              <Snapshot s={item.after} />
            </td>
            <td>
              <ItemOutcome outcome={item.outcome} />
            </td>
            <td className="reason">{item.error ?? <span className="muted">—</span>}</td>
          </tr>
        ))}
      />
      <Pagination of={result} noun={['item', 'items']} hrefFor={(p) => `/jobs/${jobId}${pageQueryString(p)}`} />
    </>
  );
}
