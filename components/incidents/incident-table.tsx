import Link from 'next/link';
import { DataTable } from '@/components/ui/data-table';
import { LocalTime } from '@/components/ui/local-time';
import { InvalidFilterNotice } from '@/components/ui/notices';
import { Pagination } from '@/components/ui/pagination';
import { listIncidents, type IncidentSummary } from '@/lib/alerts';
import { incidentLabel } from '@/lib/data/alerts';
import { incidentQueryString, type IncidentQuery } from '@/lib/data/incident-query';
import { emptyPage, readPage } from '@/lib/data/paging';
import { PAGE_SIZE } from '@/lib/data/query-params';
import { getDb } from '@/lib/db/server';
import { formatDuration } from '@/lib/format';
import { IncidentState } from './incident-state';

/** The incidents, one page of those that match the filters; each row links to the incident's page. */
export async function IncidentTable({ q }: { q: IncidentQuery }) {
  const filters = { state: q.state, condition: q.condition };
  const result = q.invalid
    ? emptyPage<IncidentSummary>()
    : await readPage(q.page, PAGE_SIZE, (offset) => listIncidents(getDb(), { ...filters, offset, limit: PAGE_SIZE }));
  const filtered = !!(q.state || q.condition);
  return (
    <>
      <InvalidFilterNotice message={q.invalid} />
      <DataTable
        label="Incidents"
        columns={[
          { label: 'Condition' },
          { label: 'State' },
          { label: 'Opened' },
          { label: 'Resolved' },
          { label: 'Duration', numeric: true },
        ]}
        empty={q.invalid ? 'No results.' : filtered ? 'No incidents match these filters.' : 'No incident has been opened yet.'}
        rows={result.items.map((i) => (
          <tr key={i.id} data-incident-id={i.id}>
            <td>
              <Link href={`/incidents/${i.id}`}>{incidentLabel(i)}</Link> <span className="muted">#{i.id}</span>
            </td>
            <td>
              <IncidentState incident={i} />
            </td>
            <td>
              <LocalTime iso={i.openedAt.toISOString()} />
            </td>
            <td>{i.resolvedAt ? <LocalTime iso={i.resolvedAt.toISOString()} /> : <span className="muted">open</span>}</td>
            <td className="num">{formatDuration(i.durationMs)}</td>
          </tr>
        ))}
      />
      {!q.invalid ? (
        <Pagination of={result} noun={['incident', 'incidents']} hrefFor={(page) => `/incidents${incidentQueryString({ ...q, page })}`} />
      ) : null}
    </>
  );
}
