import type { Metadata } from 'next';
import { Suspense } from 'react';
import { AuditFilters } from '@/components/audit/audit-filters';
import { LocalTime } from '@/components/ui/local-time';
import { Pagination } from '@/components/ui/pagination';
import { TableSkeleton } from '@/components/ui/skeletons';
import { requireStaffPage } from '@/lib/auth/guards';
import { AUDIT_ACTIONS, auditQueryString, clampPage, PAGE_SIZE, parseAuditQuery, type AuditQuery, type SearchParams } from '@/lib/data/query-params';
import { listAuditEvents, listAuditFacets } from '@/lib/sync';

export const metadata: Metadata = { title: 'Audit log' };

/** Before/after values: level snapshots read as sentences, anything else as compact key: value pairs. */
function AuditValue({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="muted">—</span>;
  if (typeof value !== 'object') return <>{String(value)}</>;
  const v = value as Record<string, unknown>;
  if ('progressLevel' in v || 'licenseLevel' in v) {
    const lvl = (n: unknown) => (n === null || n === undefined ? 'none' : String(n));
    return (
      <span className="snapshot">
        progress <span className="num">{lvl(v.progressLevel)}</span> · license <span className="num">{lvl(v.licenseLevel)}</span>
        {typeof v.totalXp === 'number' ? <span className="muted"> · {v.totalXp} XP</span> : null}
      </span>
    );
  }
  const text = Object.entries(v)
    .map(([k, x]) => `${k}: ${typeof x === 'object' ? JSON.stringify(x) : String(x)}`)
    .join(', ');
  return <span className="json" title={text.length > 120 ? text : undefined}>{text.length > 120 ? `${text.slice(0, 117)}…` : text}</span>;
}

async function AuditTable({ q }: { q: AuditQuery }) {
  const filters = { actor: q.actor, action: q.action };
  let result: Awaited<ReturnType<typeof listAuditEvents>> = { items: [], total: 0 };
  let paging = clampPage(1, 0);
  if (!q.invalid) {
    const wanted = clampPage(q.page, Number.MAX_SAFE_INTEGER);
    result = await listAuditEvents({ ...filters, offset: wanted.offset, limit: PAGE_SIZE });
    paging = clampPage(q.page, result.total);
    if (paging.offset !== wanted.offset) result = await listAuditEvents({ ...filters, offset: paging.offset, limit: PAGE_SIZE });
  }

  return (
    <>
      {q.invalid ? (
        <p className="notice notice-warn" role="status">
          {q.invalid}
        </p>
      ) : null}
      <div className="card table-card">
        <div className="table-scroll">
          <table className="table" aria-label="Audit log">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Which pair</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
                <th scope="col">Reason</th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {result.items.length === 0 ? (
                <tr>
                  <td colSpan={8} className="empty">
                    {q.invalid ? 'No results.' : 'No audit events match these filters.'}
                  </td>
                </tr>
              ) : (
                result.items.map((e) => (
                  <tr key={e.id} data-action={e.action}>
                    <td>
                      <LocalTime iso={e.at.toISOString()} />
                    </td>
                    <td>{e.actor}</td>
                    <td>
                      <span className="action">{e.action}</span>
                      {e.syncJobId ? (
                        <>
                          {' '}
                          <a href={`/jobs/${e.syncJobId}`} className="muted">
                            job #{e.syncJobId}
                          </a>
                        </>
                      ) : null}
                    </td>
                    <td>
                      {e.userId !== null ? (
                        <>
                          <span className="learner-name">{e.email ?? `Learner #${e.userId}`}</span>
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
          noun={result.total === 1 ? 'event' : 'events'}
          hrefFor={(page) => `/audit${auditQueryString({ ...filters, page })}`}
        />
      ) : null}
    </>
  );
}

export default async function AuditPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requireStaffPage('VIEW_AUDIT_LOG');
  const [params, facets] = await Promise.all([searchParams, listAuditFacets()]);
  const actions = [...new Set([...AUDIT_ACTIONS, ...facets.actions])].sort();
  const q = parseAuditQuery(params, actions);

  return (
    <>
      <div className="page-head">
        <h1>Audit log</h1>
      </div>
      <AuditFilters actors={facets.actors} actions={actions} current={{ actor: q.actor, action: q.action }} />
      {q.notices.map((n) => (
        <p key={n} className="notice" role="status">
          {n}
        </p>
      ))}
      <Suspense key={JSON.stringify(q)} fallback={<TableSkeleton label="audit events" columns={8} />}>
        <AuditTable q={q} />
      </Suspense>
    </>
  );
}
