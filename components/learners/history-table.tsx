import { AuditAction } from '@/components/audit/audit-action';
import { AuditValue } from '@/components/audit/audit-value';
import { DataTable } from '@/components/ui/data-table';
import { LocalTime } from '@/components/ui/local-time';
import { Pagination } from '@/components/ui/pagination';
import { readPage } from '@/lib/data/paging';
import { getDb } from '@/lib/db/server';
import { listLearnerHistory } from '@/lib/sync';
import { PairEffectText, PairEventValue, WriterConnection } from './pair-change';

export const HISTORY_PAGE_SIZE = 25;

/** `/learners/[id]` at a page of its history (`?hpage=`, omitted when 1). */
export function historyHref(userId: number, page: number): string {
  return page > 1 ? `/learners/${userId}?hpage=${page}` : `/learners/${userId}`;
}

/**
 * Everything that touched a learner, newest first: audit events, the sync-job items that wrote
 * none of their own, and the pair events of foreign writes and of desyncs caused (the writer, the
 * side written, what it did to the pair's verdict). Before and after read as pair levels where
 * they are pair snapshots, and as the rows written for a pair event.
 */
export async function HistoryTable({ userId, requestedPage }: { userId: number; requestedPage: number }) {
  const result = await readPage(requestedPage, HISTORY_PAGE_SIZE, (offset) =>
    listLearnerHistory(getDb(), userId, { offset, limit: HISTORY_PAGE_SIZE }),
  );

  return (
    <>
      <DataTable
        label="History"
        columns={[
          { label: 'When' },
          { label: 'Who' },
          { label: 'Source' },
          { label: 'What' },
          { label: 'Specialization' },
          { label: 'Before → after' },
          { label: 'Reason' },
        ]}
        empty="Nothing has touched this learner yet."
        rows={result.items.map((e) => (
          <tr key={e.id} data-action={e.action} data-origin={e.origin}>
            <td>
              <LocalTime iso={e.at.toISOString()} />
            </td>
            <td>
              {e.actor}
              {e.change && e.origin === 'SQL' ? <WriterConnection change={e.change} /> : null}
            </td>
            <td>{e.origin}</td>
            <td>
              <AuditAction action={e.action} syncJobId={e.syncJobId} />
              {e.change ? (
                <>
                  {' '}
                  <PairEffectText change={e.change} />
                </>
              ) : null}
            </td>
            <td>{e.specializationId ?? <span className="muted">—</span>}</td>
            <td>
              {e.change ? (
                <>
                  <PairEventValue value={e.before} /> → <PairEventValue value={e.after} />
                </>
              ) : (
                <>
                  <AuditValue value={e.before} /> → <AuditValue value={e.after} />
                </>
              )}
            </td>
            <td className="reason">{e.reason ?? <span className="muted">—</span>}</td>
          </tr>
        ))}
      />
      <Pagination of={result} noun={['entry', 'entries']} hrefFor={(page) => historyHref(userId, page)} />
    </>
  );
}
