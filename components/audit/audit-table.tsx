import { AuditAction } from '@/components/audit/audit-action';
import Link from 'next/link';
import { LocalTime } from '@/components/ui/local-time';
import { InvalidFilterNotice, LearnersCappedNotice } from '@/components/ui/notices';
import { DataTable } from '@/components/ui/data-table';
import { Pagination } from '@/components/ui/pagination';
import { emptyPage, readPage } from '@/lib/data/paging';
import { auditFilters, auditQueryString, PAGE_SIZE, type AuditQuery } from '@/lib/data/query-params';
import { getDb } from '@/lib/db/server';
import { listAuditEvents, type AuditEventRow } from '@/lib/sync';
import { AuditValue } from './audit-value';

/** The audit log, newest first, one page of the events that match the filters. */
export async function AuditTable({ q }: { q: AuditQuery }) {
  const filters = auditFilters(q);
  const result = q.invalid
    ? { ...emptyPage<AuditEventRow>(), learnersCapped: false }
    : await readPage(q.page, PAGE_SIZE, (offset) => listAuditEvents(getDb(), { ...filters, offset, limit: PAGE_SIZE }));

  return (
    <>
      <InvalidFilterNotice message={q.invalid} />
      <LearnersCappedNotice capped={result.learnersCapped} />
      <DataTable
        label="Audit log"
        columns={[
          { label: 'When' },
          { label: 'Who' },
          { label: 'What' },
          { label: 'Which pair' },
          { label: 'Before' },
          { label: 'After' },
          { label: 'Reason' },
          { label: 'Source' },
        ]}
        empty={q.invalid ? 'No results.' : 'No audit events match these filters.'}
        rows={result.items.map((e) => (
          <tr key={e.id} data-action={e.action}>
            <td>
              <LocalTime iso={e.at.toISOString()} />
            </td>
            <td>{e.actor}</td>
            <td>
              <AuditAction action={e.action} syncJobId={e.syncJobId} />
            </td>
            <td>
              {e.userId !== null ? (
                <>
                  {e.email !== null ? (
                    <Link href={`/learners/${e.userId}`} className="learner-name">
                      {e.email}
                    </Link>
                  ) : (
                    <span className="learner-name">Learner #{e.userId}</span>
                  )}
                  {e.specializationId ? <span className="learner-email muted">{e.specializationId}</span> : null}
                </>
              ) : (
                <span className="muted">—</span>
              )}
            </td>
            <td>
              <AuditValue value={e.before} />
            </td>
            <td>
              <AuditValue value={e.after} />
            </td>
            <td className="reason">{e.reason ?? <span className="muted">—</span>}</td>
            <td>{e.source}</td>
          </tr>
        ))}
      />
      {!q.invalid ? (
        <Pagination of={result} noun={['event', 'events']} hrefFor={(page) => `/audit${auditQueryString({ ...q, page })}`} />
      ) : null}
    </>
  );
}
