import type { IncidentState } from '@/lib/alerts';
import { INCIDENT_CONDITIONS, type IncidentCondition } from '@/lib/vocabulary';
import { first, queryString } from './query-filters';
import { parsePage, pick, type SearchParams } from './query-params';

/** The incident list's query (`/incidents?state=OPEN&condition=SYNC_OVERDUE&page=2`), parsed like every list's. */

export const INCIDENT_STATES = ['OPEN', 'RESOLVED'] as const satisfies readonly IncidentState[];
export const INCIDENT_STATE_LABELS: Record<IncidentState, string> = { OPEN: 'Open', RESOLVED: 'Resolved' };

export interface IncidentQuery {
  state?: IncidentState;
  condition?: IncidentCondition;
  page: number;
  notices: string[];
  /** Set when a filter value is unknown: the list is empty, with this sentence. */
  invalid?: string;
}

export function parseIncidentQuery(params: SearchParams): IncidentQuery {
  const q: IncidentQuery = { page: parsePage(params), notices: [] };
  q.state = pick(first(params.state), INCIDENT_STATES, 'state', q);
  q.condition = pick(first(params.condition), INCIDENT_CONDITIONS, 'condition', q);
  return q;
}

export function incidentQueryString(q: { state?: string; condition?: string; page?: number }): string {
  return queryString([
    ['state', q.state],
    ['condition', q.condition],
    ['page', q.page && q.page > 1 ? String(q.page) : undefined],
  ]);
}
