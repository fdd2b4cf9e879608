import type { Metadata } from 'next';
import Link from 'next/link';
import { Suspense } from 'react';
import { JobStatus } from '@/components/jobs/job-status';
import { LocalTime } from '@/components/ui/local-time';
import { Pagination } from '@/components/ui/pagination';
import { TableSkeleton } from '@/components/ui/skeletons';
import { requireStaffPage } from '@/lib/auth/guards';
import { clampPage, PAGE_SIZE, pageQueryString, parsePage, type SearchParams } from '@/lib/data/query-params';
import { formatDuration, formatInt } from '@/lib/format';
import { listSyncJobs } from '@/lib/sync';

export const metadata: Metadata = { title: 'Sync jobs' };

async function JobsTable({ requested }: { requested: number }) {
  let paging = clampPage(requested, Number.MAX_SAFE_INTEGER);
  let result = await listSyncJobs({ offset: paging.offset, limit: PAGE_SIZE });
  const clamped = clampPage(requested, result.total);
  if (clamped.offset !== paging.offset) result = await listSyncJobs({ offset: clamped.offset, limit: PAGE_SIZE });
  paging = clamped;

  return (
    <>
      <div className="card table-card">
        <div className="table-scroll">
          <table className="table" aria-label="Sync jobs">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Trigger</th>
                <th scope="col">Started by</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Duration
                </th>
                <th scope="col" className="num">
                  Found
                </th>
                <th scope="col" className="num">
                  Synced
                </th>
                <th scope="col" className="num">
                  Failed
                </th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {result.items.length === 0 ? (
                <tr>
                  <td colSpan={9} className="empty">
                    No sync job has run yet.
                  </td>
                </tr>
              ) : (
                result.items.map((job) => (
                  <tr key={job.id} data-job-id={job.id}>
                    <td>
                      <Link href={`/jobs/${job.id}`}>
                        <LocalTime iso={job.startedAt.toISOString()} /> <span className="muted">#{job.id}</span>
                      </Link>
                    </td>
                    <td>{job.trigger}</td>
                    <td>{job.actor}</td>
                    <td>
                      <JobStatus status={job.status} />
                    </td>
                    <td className="num">{job.status === 'RUNNING' ? 'running' : formatDuration(job.durationMs)}</td>
                    <td className="num">{formatInt(job.found)}</td>
                    <td className="num">{formatInt(job.synced)}</td>
                    <td className="num">{formatInt(job.failed)}</td>
                    <td className="reason">{job.reason ?? <span className="muted">—</span>}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      </div>
      <Pagination page={paging.page} pageCount={paging.pageCount} total={result.total} noun={result.total === 1 ? 'job' : 'jobs'} hrefFor={(p) => `/jobs${pageQueryString(p)}`} />
    </>
  );
}

export default async function JobsPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requireStaffPage('VIEW_SYNC_JOBS');
  const requested = parsePage(await searchParams);
  return (
    <>
      <div className="page-head">
        <h1>Sync jobs</h1>
        <a className="button" href="/jobs/export" download>
          Export CSV
        </a>
      </div>
      <Suspense key={requested} fallback={<TableSkeleton label="sync jobs" columns={9} />}>
        <JobsTable requested={requested} />
      </Suspense>
    </>
  );
}
