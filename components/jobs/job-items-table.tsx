import Link from 'next/link';
import { DataTable } from '@/components/ui/data-table';
import { InvalidFilterNotice, LearnersCappedNotice } from '@/components/ui/notices';
import { Pagination } from '@/components/ui/pagination';
import { PairLevels } from '@/components/ui/pair-levels';
import { emptyPage, readPage } from '@/lib/data/paging';
import { jobItemsQueryString, type JobItemsQuery } from '@/lib/data/query-params';
import { getDb } from '@/lib/db/server';
import { listSyncJobItems, type SyncJobItemRow } from '@/lib/sync';
import type { PairSnapshot } from '@/lib/sync/types';
import { ItemOutcome } from './job-status';

// Large pages: a job over the demo data fits on one page; big jobs still paginate.
const ITEMS_PER_PAGE = 500;

/** A pair's levels before or after the job; an orphan the job left alone has no "after". */
function Snapshot({ s }: { s: PairSnapshot | null }) {
  return s ? <PairLevels levels={s} /> : <span className="muted">unchanged</span>;
}

/** The pairs one sync job touched, with their levels before and after and the outcome; one page of those matching the filters. */
export async function JobItemsTable({ jobId, q }: { jobId: number; q: JobItemsQuery }) {
  const filters = { outcome: q.outcome, kind: q.kind, learner: q.learner };
  const result = q.invalid
    ? { ...emptyPage<SyncJobItemRow>(), learnersCapped: false }
    : await readPage(q.page, ITEMS_PER_PAGE, (offset) => listSyncJobItems(getDb(), jobId, { ...filters, offset, limit: ITEMS_PER_PAGE }));
  const filtered = Object.values(filters).some((v) => v !== undefined);

  return (
    <>
      <InvalidFilterNotice message={q.invalid} />
      <LearnersCappedNotice capped={result.learnersCapped} />
      <DataTable
        label="Job items"
        columns={[{ label: 'Pair' }, { label: 'Kind' }, { label: 'Before' }, { label: 'After' }, { label: 'Outcome' }, { label: 'Error' }]}
        empty={q.invalid ? 'No results.' : filtered ? 'No items match these filters.' : 'This job touched no pairs.'}
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
      {!q.invalid ? (
        <Pagination of={result} noun={['item', 'items']} hrefFor={(page) => `/jobs/${jobId}${jobItemsQueryString({ ...q, page })}`} />
      ) : null}
    </>
  );
}
