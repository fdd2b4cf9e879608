import type { Metadata } from 'next';
import { Suspense } from 'react';
import { JobTable } from '@/components/jobs/job-table';
import { LiveIndicator } from '@/components/live/live-indicator';
import { TableSkeleton } from '@/components/ui/skeletons';
import { requireStaffPage } from '@/lib/auth/guards';
import { parsePage, type SearchParams } from '@/lib/data/query-params';
import { env } from '@/lib/env';

export const metadata: Metadata = { title: 'Sync jobs' };

export default async function JobsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requireStaffPage('VIEW_SYNC_JOBS');
  const requested = parsePage(await searchParams);
  return (
    <>
      <div className="page-head">
        <h1>Sync jobs</h1>
        <div className="page-head-actions">
          <LiveIndicator pollSeconds={env().DASHBOARD_POLL_SECONDS} refreshWhenDown />
          <a className="button" href="/jobs/export" download>
            Export CSV
          </a>
        </div>
      </div>
      <Suspense key={requested} fallback={<TableSkeleton label="sync jobs" columns={9} />}>
        <JobTable requestedPage={requested} />
      </Suspense>
    </>
  );
}
