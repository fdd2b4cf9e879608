import type { Metadata } from 'next';
import { Suspense } from 'react';
import { DesyncFilters } from '@/components/desyncs/desync-filters';
import { SyncRowButton } from '@/components/desyncs/sync-row-button';
import { LocalTime } from '@/components/ui/local-time';
import { Pagination } from '@/components/ui/pagination';
import { TableSkeleton } from '@/components/ui/skeletons';
import { requireStaffPage } from '@/lib/auth/guards';
import type { StaffRole } from '@/lib/auth/roles';
import { clampPage, desyncQueryString, PAGE_SIZE, parseDesyncQuery, type DesyncQuery, type SearchParams } from '@/lib/data/query-params';
import { listSpecializations } from '@/lib/data/specializations';
import { getLatestHealthCheck, listDesyncs } from '@/lib/sync';
import { isSyncError } from '@/lib/sync/errors';
import { DESYNC_KINDS, REPAIRABLE_KINDS } from '@/lib/sync/types';

export const metadata: Metadata = { title: 'Desyncs' };

const repairable = new Set<string>(REPAIRABLE_KINDS);

type DesyncFilter = Pick<DesyncQuery, 'kind' | 'specialization' | 'search'>;

/** The requested page, or the last one when the request is past the end. */
async function loadPage(filters: DesyncFilter, requested: number) {
  const fetchPage = (offset: number) => listDesyncs({ ...filters, offset, limit: PAGE_SIZE });
  const wanted = clampPage(requested, Number.MAX_SAFE_INTEGER);
  let used = wanted.offset;
  let result = await fetchPage(used).catch((err) => {
    // An offset the engine refuses (absurd page numbers): learn the total from the first page.
    if (used === 0 || !isSyncError(err, 'VALIDATION')) throw err;
    used = 0;
    return fetchPage(0);
  });
  const paging = clampPage(requested, result.total);
  if (paging.offset !== used) result = await fetchPage(paging.offset);
  return { ...result, paging };
}

async function DesyncTable({ q, role }: { q: DesyncQuery; role: StaffRole }) {
  const filters: DesyncFilter = { kind: q.kind, specialization: q.specialization, search: q.search };
  const [latest, result] = await Promise.all([
    getLatestHealthCheck(),
    q.invalid ? { items: [], total: 0, paging: clampPage(1, 0) } : loadPage(filters, q.page),
  ]);
  const paging = result.paging;
  const isAdmin = role === 'ADMIN';

  return (
    <>
      {q.invalid ? (
        <p className="notice notice-warn" role="status">
          {q.invalid}
        </p>
      ) : null}
      <p className="muted">
        {latest ? (
          <>
            From the health check of <LocalTime iso={latest.checkedAt.toISOString()} relative />.
          </>
        ) : (
          'No health check has run yet, so no desyncs are known.'
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
      <div className="card table-card">
        <div className="table-scroll">
          <table className="table" aria-label="Desyncs">
            <thead>
              <tr>
                <th scope="col">Learner</th>
                <th scope="col">Specialization</th>
                <th scope="col" className="num">
                  Progress level
                </th>
                <th scope="col" className="num">
                  License level
                </th>
                <th scope="col">Kind</th>
                <th scope="col">Out of sync since</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {result.items.length === 0 ? (
                <tr>
                  <td colSpan={7} className="empty">
                    {q.invalid ? 'No results.' : filters.kind || filters.specialization || filters.search ? 'No desyncs match these filters.' : 'No desyncs: every pair is consistent.'}
                  </td>
                </tr>
              ) : (
                result.items.map((row) => (
                  <tr key={`${row.userId}:${row.specializationId}:${row.kind}`} data-user-id={row.userId} data-specialization={row.specializationId}>
                    <td>
                      <span className="learner-name">{row.name ?? `Learner #${row.userId}`}</span>
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
                    <td className="actions-cell">
                      <SyncRowButton
                        userId={row.userId}
                        specializationId={row.specializationId}
                        learner={row.email ?? `learner #${row.userId}`}
                        disabledReasonId={!isAdmin ? 'admin-only-note' : !repairable.has(row.kind) ? 'orphan-note' : undefined}
                      />
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      </div>
      {!q.invalid ? (
        <Pagination
          page={paging.page}
          pageCount={paging.pageCount}
          total={result.total}
          noun={result.total === 1 ? 'desync' : 'desyncs'}
          hrefFor={(page) => `/desyncs${desyncQueryString({ ...filters, page })}`}
        />
      ) : null}
    </>
  );
}

export default async function DesyncsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const staff = await requireStaffPage('VIEW_DESYNCS');
  const [params, specializations] = await Promise.all([searchParams, listSpecializations()]);
  const q = parseDesyncQuery(params, specializations.map((s) => s.id));
  const exportHref = `/desyncs/export${desyncQueryString({ kind: q.kind, specialization: q.specialization, search: q.search })}`;

  return (
    <>
      <div className="page-head">
        <h1>Desyncs</h1>
        <a className="button" href={exportHref} download>
          Export CSV
        </a>
      </div>
      <DesyncFilters kinds={DESYNC_KINDS} specializations={specializations} current={{ kind: q.kind, specialization: q.specialization, search: q.search }} />
      {q.notices.map((n) => (
        <p key={n} className="notice" role="status">
          {n}
        </p>
      ))}
      <Suspense key={JSON.stringify(q)} fallback={<TableSkeleton label="desyncs" columns={7} />}>
        <DesyncTable q={q} role={staff.role} />
      </Suspense>
    </>
  );
}

