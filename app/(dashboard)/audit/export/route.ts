import { csvResponse, fileStamp } from '@/lib/data/csv';
import { auditFilters, parseAuditQuery } from '@/lib/data/query-params';
import { withStaff } from '@/lib/http/route';
import { listAuditEvents, listAuditFacets, type AuditEventRow } from '@/lib/sync';
import { AUDIT_ACTIONS } from '@/lib/vocabulary';

export const dynamic = 'force-dynamic';

// listAuditEvents serves at most 500 rows per call.
const BATCH = 500;
/** The newest this many events at most: an export of the whole log belongs to the database's own tools. */
const MAX_ROWS = 50_000;

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/** "Export CSV" on /audit: the events matching the page's filters (all pages, newest first, bounded), streamed. */
export const GET = withStaff('VIEWER', 'EXPORT_AUDIT_LOG', async ({ request, db }) => {
  const facets = await listAuditFacets(db);
  const actions = [...new Set([...AUDIT_ACTIONS, ...facets.actions])];
  const q = parseAuditQuery(Object.fromEntries(new URL(request.url).searchParams), actions);
  const filters = auditFilters(q);

  async function* batches(): AsyncGenerator<AuditEventRow[]> {
    if (q.invalid) return; // unknown filter: the same empty list the page shows
    let after: { at: Date; id: string } | undefined;
    for (let sent = 0; sent < MAX_ROWS;) {
      // Keyset paging: each batch continues after the last event sent, however deep the export.
      const { items } = await listAuditEvents(db, { ...filters, after, limit: Math.min(BATCH, MAX_ROWS - sent) });
      if (items.length) yield items;
      const last = items.at(-1);
      if (!last || items.length < BATCH) return;
      sent += items.length;
      after = { at: last.at, id: last.id };
    }
  }

  return csvResponse<AuditEventRow>(
    `audit-log-${fileStamp()}.csv`,
    [
      { header: 'Event ID', value: (e) => e.id },
      { header: 'When', value: (e) => e.at.toISOString() },
      { header: 'Actor', value: (e) => e.actor },
      { header: 'Source', value: (e) => e.source },
      { header: 'Action', value: (e) => e.action },
      { header: 'Learner ID', value: (e) => e.userId },
      { header: 'Email', value: (e) => e.email },
      { header: 'Specialization', value: (e) => e.specializationId },
      { header: 'Before', value: (e) => json(e.before) },
      { header: 'After', value: (e) => json(e.after) },
      { header: 'Reason', value: (e) => e.reason },
      { header: 'Sync job', value: (e) => e.syncJobId },
    ],
    batches(),
  );
});
