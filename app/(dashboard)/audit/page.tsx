import type { Metadata } from 'next';
import { Suspense } from 'react';
import { AuditFilters } from '@/components/audit/audit-filters';
import { AuditTable } from '@/components/audit/audit-table';
import { Notices } from '@/components/ui/notices';
import { TableSkeleton } from '@/components/ui/skeletons';
import { requireStaffPage } from '@/lib/auth/guards';
import { getDb } from '@/lib/db/server';
import { auditQueryString, hasFilters, parseAuditQuery, type SearchParams } from '@/lib/data/query-params';
import { listAuditFacets } from '@/lib/sync';
import { AUDIT_ACTIONS } from '@/lib/vocabulary';

export const metadata: Metadata = { title: 'Audit log' };

export default async function AuditPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requireStaffPage('VIEW_AUDIT_LOG');
  const [params, facets] = await Promise.all([searchParams, listAuditFacets(getDb())]);
  // The known actions, plus any older action names still in the log.
  const actions = [...new Set([...AUDIT_ACTIONS, ...facets.actions])].sort();
  const q = parseAuditQuery(params, actions);
  const { notices: _notices, invalid: _invalid, page: _page, ...current } = q;

  return (
    <>
      <div className="page-head">
        <h1>Audit log</h1>
        <div className="page-head-actions">
          <a className="button" href={`/audit/export${auditQueryString(current)}`} download>
            Export CSV
          </a>
        </div>
      </div>
      <AuditFilters actors={facets.actors} actions={actions} current={current} clearable={hasFilters(params)} />
      <Notices notices={q.notices} />
      <Suspense key={JSON.stringify(q)} fallback={<TableSkeleton label="audit events" columns={8} />}>
        <AuditTable q={q} />
      </Suspense>
    </>
  );
}
