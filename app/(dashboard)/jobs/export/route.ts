import { csvResponse, fileStamp } from '@/lib/data/csv';
import { jobFilters, parseJobQuery } from '@/lib/data/query-params';
import { withStaff } from '@/lib/http/route';
import { listSyncJobs } from '@/lib/sync';
import type { SyncJobSummary } from '@/lib/sync/types';

export const dynamic = 'force-dynamic';

const BATCH = 500;

/** "Export CSV" on /jobs: every job matching the page's filters (all pages), newest first. */
export const GET = withStaff('VIEWER', 'EXPORT_SYNC_JOBS', async ({ request, db }) => {
  const q = parseJobQuery(Object.fromEntries(new URL(request.url).searchParams));
  const filters = jobFilters(q);

  async function* batches(): AsyncGenerator<SyncJobSummary[]> {
    if (q.invalid) return; // unknown filter: the same empty list the page shows
    for (let offset = 0; ; offset += BATCH) {
      const { items } = await listSyncJobs(db, { ...filters, offset, limit: BATCH });
      if (items.length) yield items;
      if (items.length < BATCH) return;
    }
  }

  return csvResponse<SyncJobSummary>(
    `sync-jobs-${fileStamp()}.csv`,
    [
      { header: 'Job ID', value: (j) => j.id },
      { header: 'Started', value: (j) => j.startedAt.toISOString() },
      { header: 'Finished', value: (j) => j.finishedAt?.toISOString() },
      { header: 'Trigger', value: (j) => j.trigger },
      { header: 'Started by', value: (j) => j.actor },
      { header: 'Status', value: (j) => j.status },
      { header: 'Duration (ms)', value: (j) => j.durationMs },
      { header: 'Found', value: (j) => j.found },
      { header: 'Synced', value: (j) => j.synced },
      { header: 'Failed', value: (j) => j.failed },
      { header: 'Reported', value: (j) => j.reported },
      { header: 'Reason', value: (j) => j.reason },
    ],
    batches(),
  );
});
