import Link from 'next/link';
import { LocalTime } from '@/components/ui/local-time';
import { InvalidFilterNotice } from '@/components/ui/notices';
import { DataTable } from '@/components/ui/data-table';
import { Pagination } from '@/components/ui/pagination';
import { emptyPage, readPage } from '@/lib/data/paging';
import { desyncQueryString, PAGE_SIZE, type DesyncQuery } from '@/lib/data/query-params';
import { getDb } from '@/lib/db/server';
import { getLatestAudit, listDesyncs } from '@/lib/sync';
import type { DesyncRow } from '@/lib/sync/types';
import { REPAIRABLE_KINDS, Role, type StaffRole } from '@/lib/vocabulary';
import { DesyncBulkActions, SELECTION_FORM } from './desync-bulk-actions';
import { SyncRowButton } from './sync-row-button';

const repairable = new Set<string>(REPAIRABLE_KINDS);

type DesyncFilter = Pick<DesyncQuery, 'kind' | 'specialization' | 'search' | 'causedBy'>;

const hasFilter = (f: DesyncFilter) => !!(f.kind || f.specialization || f.search || f.causedBy);

function emptyText(filters: DesyncFilter, invalid: boolean): string {
  if (invalid) return 'No results.';
  if (hasFilter(filters)) return 'No desyncs match these filters.';
  return 'No desyncs: every pair is consistent.';
}

/**
 * The desyncs list: where it comes from, one row per desync with the writer that caused it and
 * its "Sync" button, and the pagination. It reads its own page, so the page's <Suspense> shows
 * the skeleton meanwhile.
 */
export async function DesyncTable({ q, role }: { q: DesyncQuery; role: StaffRole }) {
  const filters: DesyncFilter = { kind: q.kind, specialization: q.specialization, search: q.search, causedBy: q.causedBy };
  const readDesyncs = (offset: number) => listDesyncs(getDb(), { ...filters, offset, limit: PAGE_SIZE });
  const [audit, result] = await Promise.all([
    getLatestAudit(getDb()),
    q.invalid ? emptyPage<DesyncRow>() : readPage(q.page, PAGE_SIZE, readDesyncs),
  ]);
  const isAdmin = role === Role.ADMIN;

  return (
    <>
      <InvalidFilterNotice message={q.invalid} />
      <p className="muted">
        Kept at every commit by the database, whoever writes.{' '}
        {audit ? (
          <>
            Last full audit <LocalTime iso={audit.checkedAt.toISOString()} relative />,{' '}
            <span className={audit.drift ? 'text-bad' : undefined}>drift {audit.drift ?? 0}</span>.
          </>
        ) : (
          'No full audit has run yet.'
        )}
      </p>
      {!isAdmin ? (
        <p id="admin-only-note" className="muted note">
          Syncing a pair requires the ADMIN role
        </p>
      ) : null}
      <p id="orphan-note" className="sr-only">
        Orphans are reported, not repaired from this list.
      </p>
      {isAdmin && !q.invalid ? <DesyncBulkActions total={result.total} filters={hasFilter(filters) ? filters : null} /> : null}
      <DataTable
        label="Desyncs"
        columns={[
          ...(isAdmin ? [{ label: <span className="sr-only">Select</span> }] : []),
          { label: 'Learner' },
          { label: 'Specialization' },
          { label: 'Progress level', numeric: true },
          { label: 'License level', numeric: true },
          { label: 'Kind' },
          { label: 'Out of sync since' },
          { label: 'Caused by' },
          { label: <span className="sr-only">Actions</span> },
        ]}
        empty={emptyText(filters, !!q.invalid)}
        rows={result.items.map((row) => (
          <tr
            key={`${row.userId}:${row.specializationId}:${row.kind}`}
            data-user-id={row.userId}
            data-specialization={row.specializationId}
          >
            {isAdmin ? (
              <td className="select-cell">
                {repairable.has(row.kind) ? (
                  <input
                    type="checkbox"
                    form={SELECTION_FORM}
                    name="pair"
                    value={`${row.userId}:${row.specializationId}`}
                    aria-label={`Select ${row.email ?? `learner #${row.userId}`} ${row.specializationId}`}
                  />
                ) : null}
              </td>
            ) : null}
            <td>
              {row.email !== null ? (
                // The learner exists (an orphan's user does not): the name opens their page.
                <Link href={`/learners/${row.userId}`} className="learner-name">
                  {row.name ?? `Learner #${row.userId}`}
                </Link>
              ) : (
                <span className="learner-name">{row.name ?? `Learner #${row.userId}`}</span>
              )}
              <span className="learner-email muted">{row.email ?? `id ${row.userId}`}</span>
            </td>
            <td>{row.specializationId}</td>
            <td className="num">{row.progressLevel ?? '—'}</td>
            <td className="num">{row.licenseLevel ?? '—'}</td>
            <td>
              <span className={`kind kind-${row.kind.toLowerCase()}`}>{row.kind}</span>
            </td>
            <td>
              <LocalTime iso={row.since.toISOString()} />
            </td>
            <td className="caused-by">{row.causedBy}</td>
            <td className="actions-cell">
              <SyncRowButton
                userId={row.userId}
                specializationId={row.specializationId}
                learner={row.email ?? `learner #${row.userId}`}
                disabledReasonId={!isAdmin ? 'admin-only-note' : !repairable.has(row.kind) ? 'orphan-note' : undefined}
              />
            </td>
          </tr>
        ))}
      />
      {!q.invalid ? (
        <Pagination of={result} noun={['desync', 'desyncs']} hrefFor={(page) => `/desyncs${desyncQueryString({ ...filters, page })}`} />
      ) : null}
    </>
  );
}
