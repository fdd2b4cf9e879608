import { withStaff } from '@/lib/http/route';
import { csvResponse, fileStamp } from '@/lib/data/csv';
import { parseDesyncQuery } from '@/lib/data/query-params';
import { listSpecializations } from '@/lib/data/specializations';
import { listDesyncs } from '@/lib/sync';
import type { DesyncRow } from '@/lib/sync/types';

export const dynamic = 'force-dynamic';

// listDesyncs serves at most 500 rows per call.
const BATCH = 500;

/** "Export CSV" on /desyncs: every row matching the page's filters (all pages), streamed. */
export const GET = withStaff('VIEWER', 'EXPORT_DESYNCS', async ({ request, db }) => {
  const specs = (await listSpecializations()).map((s) => s.id);
  const q = parseDesyncQuery(Object.fromEntries(new URL(request.url).searchParams), specs);

  async function* batches(): AsyncGenerator<DesyncRow[]> {
    if (q.invalid) return; // unknown filter: the same empty list the page shows
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof listDesyncs>> = await listDesyncs(db, {
        kind: q.kind,
        specialization: q.specialization,
        search: q.search,
        causedBy: q.causedBy,
        cursor,
        limit: BATCH,
      });
      yield page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }

  return csvResponse<DesyncRow>(
    `desyncs-${fileStamp()}.csv`,
    [
      { header: 'Learner ID', value: (r) => r.userId },
      { header: 'Learner', value: (r) => r.name },
      { header: 'Email', value: (r) => r.email },
      { header: 'Specialization', value: (r) => r.specializationId },
      { header: 'Progress level', value: (r) => r.progressLevel },
      { header: 'License level', value: (r) => r.licenseLevel },
      { header: 'Kind', value: (r) => r.kind },
      { header: 'Out of sync since', value: (r) => r.since.toISOString() },
      { header: 'Caused by', value: (r) => r.causedBy },
    ],
    batches(),
  );
});
