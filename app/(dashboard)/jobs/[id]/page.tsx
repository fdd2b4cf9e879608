import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { Suspense } from 'react';
import { z } from 'zod';
import { JobControls } from '@/components/jobs/job-controls';
import { JobItemFilters } from '@/components/jobs/job-item-filters';
import { JobItemsTable } from '@/components/jobs/job-items-table';
import { JobStatus } from '@/components/jobs/job-status';
import { JobSummary } from '@/components/jobs/job-summary';
import { Notices } from '@/components/ui/notices';
import { TableSkeleton } from '@/components/ui/skeletons';
import { requireStaffPage } from '@/lib/auth/guards';
import { getDb } from '@/lib/db/server';
import { hasFilters, parseJobItemsQuery, type SearchParams } from '@/lib/data/query-params';
import { getSyncJob, listUndosOf } from '@/lib/sync';

export const metadata: Metadata = { title: 'Sync job' };

const idSchema = z.coerce.number().int().positive().max(2_147_483_647);

export default async function JobPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<SearchParams> }) {
  const staff = await requireStaffPage('VIEW_SYNC_JOB');
  const [{ id: rawId }, query] = await Promise.all([params, searchParams]);
  const id = idSchema.safeParse(rawId);
  if (!id.success) notFound();
  const [job, undos] = await Promise.all([getSyncJob(getDb(), id.data), listUndosOf(getDb(), id.data)]);
  if (!job) notFound();
  const items = parseJobItemsQuery(query);
  const { notices: _notices, invalid: _invalid, page: _page, ...currentItems } = items;

  return (
    <>
      <p className="breadcrumb">
        <Link href="/jobs">Sync jobs</Link> / Job #{job.id}
      </p>
      <div className="page-head">
        <h1>
          Sync job #{job.id} <JobStatus status={job.status} />
        </h1>
      </div>
      <JobControls jobId={job.id} status={job.status} synced={job.synced} role={staff.role} />
      <JobSummary job={job} undos={undos} />
      <h2>Items</h2>
      <JobItemFilters jobId={job.id} current={currentItems} clearable={hasFilters(query)} />
      <Notices notices={items.notices} />
      <Suspense key={JSON.stringify(items)} fallback={<TableSkeleton label="job items" columns={6} />}>
        <JobItemsTable jobId={job.id} q={items} />
      </Suspense>
    </>
  );
}
