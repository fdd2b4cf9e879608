import type { Metadata } from 'next';
import { Suspense } from 'react';
import { DesyncFilters } from '@/components/desyncs/desync-filters';
import { DesyncTable } from '@/components/desyncs/desync-table';
import { LiveIndicator } from '@/components/live/live-indicator';
import { Notices } from '@/components/ui/notices';
import { TableSkeleton } from '@/components/ui/skeletons';
import { requireStaffPage } from '@/lib/auth/guards';
import { desyncQueryString, parseDesyncQuery, type SearchParams } from '@/lib/data/query-params';
import { listSpecializations } from '@/lib/data/specializations';
import { getDb } from '@/lib/db/server';
import { env } from '@/lib/env';
import { listDesyncWriters } from '@/lib/sync';
import { DESYNC_KINDS } from '@/lib/vocabulary';

export const metadata: Metadata = { title: 'Desyncs' };

export default async function DesyncsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const staff = await requireStaffPage('VIEW_DESYNCS');
  const [params, specializations, writers] = await Promise.all([searchParams, listSpecializations(), listDesyncWriters(getDb())]);
  const q = parseDesyncQuery(
    params,
    specializations.map((s) => s.id),
  );
  const filters = { kind: q.kind, specialization: q.specialization, search: q.search, causedBy: q.causedBy };

  return (
    <>
      <div className="page-head">
        <h1>Desyncs</h1>
        <div className="page-head-actions">
          <LiveIndicator pollSeconds={env().DASHBOARD_POLL_SECONDS} refreshWhenDown />
          <a className="button" href={`/desyncs/export${desyncQueryString(filters)}`} download>
            Export CSV
          </a>
        </div>
      </div>
      <DesyncFilters kinds={DESYNC_KINDS} specializations={specializations} writers={writers} current={filters} />
      <Notices notices={q.notices} />
      <Suspense key={JSON.stringify(q)} fallback={<TableSkeleton label="desyncs" columns={8} />}>
        <DesyncTable q={q} role={staff.role} />
      </Suspense>
    </>
  );
}
