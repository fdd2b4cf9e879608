import { AuditAction } from '@/components/audit/audit-action';
import { AuditValue } from '@/components/audit/audit-value';
import { DataTable } from '@/components/ui/data-table';
import { LocalTime } from '@/components/ui/local-time';
import { Pagination } from '@/components/ui/pagination';
import { readPage } from '@/lib/data/paging';
import { getDb } from '@/lib/db/server';
import { listLearnerHistory } from '@/lib/sync';

export const HISTORY_PAGE_SIZE = 25;

/** `/learners/[id]` at a page of its history (`?hpage=`, omitted when 1). */
export function historyHref(userId: number, page: number): string {
  return page > 1 ? `/learners/${userId}?hpage=${page}` : `/learners/${userId}`;
}

/**
 * Everything that touched a learner, newest first: audit events and the sync-job items that wrote
 * none of their own. Before and after read as pair levels where they are pair snapshots.
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
          <tr key={e.id} data-action={e.action}>
            <td>
              <LocalTime iso={e.at.toISOString()} />
            </td>
            <td>{e.actor}</td>
            <td>{e.source}</td>
            <td>
              <AuditAction action={e.action} syncJobId={e.syncJobId} />
            </td>
            <td>{e.specializationId ?? <span className="muted">—</span>}</td>
            <td>
              <AuditValue value={e.before} /> → <AuditValue value={e.after} />
            </td>
            <td className="reason">{e.reason ?? <span className="muted">—</span>}</td>
          </tr>
        ))}
      />
      <Pagination of={result} noun={['entry', 'entries']} hrefFor={(page) => historyHref(userId, page)} />
    </>
  );
}
