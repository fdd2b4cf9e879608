import type { Metadata } from 'next';
import { Suspense } from 'react';
import { JobFilters } from '@/components/jobs/job-filters';
import { JobHistoryChart } from '@/components/jobs/job-history-chart';
import { JobTable } from '@/components/jobs/job-table';
import { LiveIndicator } from '@/components/live/live-indicator';
import { Notices } from '@/components/ui/notices';
import { TableSkeleton } from '@/components/ui/skeletons';
import { requireStaffPage } from '@/lib/auth/guards';
import { hasFilters, jobQueryString, parseJobQuery, type SearchParams } from '@/lib/data/query-params';
import { getDb } from '@/lib/db/server';
import { env } from '@/lib/env';
import { listSyncJobActors } from '@/lib/sync/job-search';

export const metadata: Metadata = { title: 'Sync jobs' };

export default async function JobsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requireStaffPage('VIEW_SYNC_JOBS');
  const [params, actors] = await Promise.all([searchParams, listSyncJobActors(getDb())]);
  const q = parseJobQuery(params);
  const { notices: _notices, invalid: _invalid, page: _page, ...current } = q;
  return (
    <>
      <div className="page-head">
        <h1>Sync jobs</h1>
        <div className="page-head-actions">
          <LiveIndicator pollSeconds={env().DASHBOARD_POLL_SECONDS} refreshWhenDown />
          <a className="button" href={`/jobs/export${jobQueryString(current)}`} download>
            Export CSV
          </a>
        </div>
      </div>
      <JobHistoryChart pollSeconds={env().DASHBOARD_POLL_SECONDS} />
      <JobFilters actors={actors} current={current} clearable={hasFilters(params)} />
      <Notices notices={q.notices} />
      <Suspense key={JSON.stringify(q)} fallback={<TableSkeleton label="sync jobs" columns={9} />}>
        <JobTable q={q} />
      </Suspense>
    </>
  );
}
