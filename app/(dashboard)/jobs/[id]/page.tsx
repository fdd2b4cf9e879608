import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { Suspense } from 'react';
import { z } from 'zod';
import { JobStatus } from '@/components/jobs/job-status';
import { LocalTime } from '@/components/ui/local-time';
import { Pagination } from '@/components/ui/pagination';
import { TableSkeleton } from '@/components/ui/skeletons';
import { requireStaffPage } from '@/lib/auth/guards';
import { clampPage, pageQueryString, parsePage, type SearchParams } from '@/lib/data/query-params';
import { formatDuration, formatInt } from '@/lib/format';
import { getSyncJob, listSyncJobItems } from '@/lib/sync';
import type { PairSnapshot } from '@/lib/sync/types';

export const metadata: Metadata = { title: 'Sync job' };

// Large pages: a job over the demo data fits on one page; big jobs still paginate.
const ITEMS_PER_PAGE = 500;
const idSchema = z.coerce.number().int().positive().max(2_147_483_647);

function Snapshot({ s }: { s: PairSnapshot | null }) {
  if (!s) return <span className="muted">unchanged</span>;
  const lvl = (n: number | null) => (n === null ? 'none' : n);
  return (
    <span className="snapshot">
      progress <span className="num">{lvl(s.progressLevel)}</span> · license <span className="num">{lvl(s.licenseLevel)}</span>
    </span>
  );
}

async function ItemsTable({ jobId, requested }: { jobId: number; requested: number }) {
  let paging = clampPage(requested, Number.MAX_SAFE_INTEGER, ITEMS_PER_PAGE);
  let result = await listSyncJobItems(jobId, { offset: paging.offset, limit: ITEMS_PER_PAGE });
  const clamped = clampPage(requested, result.total, ITEMS_PER_PAGE);
  if (clamped.offset !== paging.offset) result = await listSyncJobItems(jobId, { offset: clamped.offset, limit: ITEMS_PER_PAGE });
  paging = clamped;

  return (
    <>
      <div className="card table-card">
        <div className="table-scroll">
          <table className="table" aria-label="Job items">
            <thead>
              <tr>
                <th scope="col">Pair</th>
                <th scope="col">Kind</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
                <th scope="col">Outcome</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {result.items.length === 0 ? (
                <tr>
                  <td colSpan={6} className="empty">
                    This job touched no pairs.
                  </td>
                </tr>
              ) : (
                result.items.map((item) => (
                  <tr key={item.id} data-user-id={item.userId} data-specialization={item.specializationId}>
                    <td>
                      <span className="learner-name">{item.email ?? `Learner #${item.userId}`}</span>
                      <span className="muted learner-email">
                        {item.specializationId} · learner {item.userId}
                      </span>
                    </td>
                    <td>{item.kind}</td>
                    <td>
                      <Snapshot s={item.before} />
                    </td>
                    <td>
                      <Snapshot s={item.after} />
                    </td>
                    <td>
                      <span className={`status status-${item.outcome.toLowerCase()}`}>{item.outcome}</span>
                    </td>
                    <td className="reason">{item.error ?? <span className="muted">—</span>}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      </div>
      <Pagination
        page={paging.page}
        pageCount={paging.pageCount}
        total={result.total}
        noun={result.total === 1 ? 'item' : 'items'}
        hrefFor={(p) => `/jobs/${jobId}${pageQueryString(p)}`}
      />
    </>
  );
}

export default async function JobPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<SearchParams> }) {
  await requireStaffPage('VIEW_SYNC_JOB');
  const [{ id: rawId }, query] = await Promise.all([params, searchParams]);
  const id = idSchema.safeParse(rawId);
  if (!id.success) notFound();
  const job = await getSyncJob(id.data);
  if (!job) notFound();
  const requested = parsePage(query);

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
      <section className="card" aria-labelledby="job-summary-title">
        <h2 id="job-summary-title" className="sr-only">
          Summary
        </h2>
        <dl className="summary-grid">
          <div>
            <dt>Started</dt>
            <dd>
              <LocalTime iso={job.startedAt.toISOString()} relative />
            </dd>
          </div>
          <div>
            <dt>Finished</dt>
            <dd>{job.finishedAt ? <LocalTime iso={job.finishedAt.toISOString()} /> : 'Still running'}</dd>
          </div>
          <div>
            <dt>Trigger</dt>
            <dd>{job.trigger}</dd>
          </div>
          <div>
            <dt>Started by</dt>
            <dd>{job.actor}</dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd className="num">{formatDuration(job.durationMs)}</dd>
          </div>
          <div>
            <dt>Found</dt>
            <dd className="num">{formatInt(job.found)}</dd>
          </div>
          <div>
            <dt>Synced</dt>
            <dd className="num">{formatInt(job.synced)}</dd>
          </div>
          <div>
            <dt>Failed</dt>
            <dd className="num">{formatInt(job.failed)}</dd>
          </div>
          <div>
            <dt>Reported</dt>
            <dd className="num">{formatInt(job.reported)}</dd>
          </div>
          <div className="wide">
            <dt>Reason</dt>
            <dd>{job.reason ?? '—'}</dd>
          </div>
          {job.error ? (
            <div className="wide">
              <dt>Error</dt>
              <dd className="text-bad">{job.error}</dd>
            </div>
          ) : null}
        </dl>
      </section>
      <h2>Items</h2>
      <Suspense key={requested} fallback={<TableSkeleton label="job items" columns={6} />}>
        <ItemsTable jobId={job.id} requested={requested} />
      </Suspense>
    </>
  );
}
