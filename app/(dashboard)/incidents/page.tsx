import type { Metadata } from 'next';
import { Suspense } from 'react';
import { IncidentFilters } from '@/components/incidents/incident-filters';
import { IncidentTable } from '@/components/incidents/incident-table';
import { LiveIndicator } from '@/components/live/live-indicator';
import { TableSkeleton } from '@/components/ui/skeletons';
import { requireStaffPage } from '@/lib/auth/guards';
import { parseIncidentQuery } from '@/lib/data/incident-query';
import { hasFilters, type SearchParams } from '@/lib/data/query-params';
import { env } from '@/lib/env';

export const metadata: Metadata = { title: 'Incidents' };

/** Every incident: what held, when it opened and resolved, and whether someone acknowledged it. */
export default async function IncidentsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requireStaffPage('VIEW_INCIDENTS');
  const params = await searchParams;
  const q = parseIncidentQuery(params);
  return (
    <>
      <div className="page-head">
        <h1>Incidents</h1>
        <div className="page-head-actions">
          <LiveIndicator pollSeconds={env().DASHBOARD_POLL_SECONDS} refreshWhenDown />
        </div>
      </div>
      <p className="muted">
        An incident opens while a condition holds (consistency below target, sync overdue, a sync job that did not succeed, orphans,
        full-audit drift, a desync burst from one writer) and resolves by itself when it clears.
      </p>
      <IncidentFilters current={{ state: q.state, condition: q.condition }} clearable={hasFilters(params)} />
      <Suspense key={JSON.stringify(q)} fallback={<TableSkeleton label="incidents" columns={5} />}>
        <IncidentTable q={q} />
      </Suspense>
    </>
  );
}
