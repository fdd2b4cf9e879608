import { incidentBadge } from '@/lib/data/alerts';
import type { IncidentSummary } from '@/lib/alerts';

const TONE = { Open: 'status-failed', Acknowledged: 'status-partial', Resolved: 'status-succeeded' } as const;

/** An incident's state as a badge (Open, Acknowledged or Resolved), and "Muted" beside it while a maintenance window holds its notices. */
export function IncidentState({ incident }: { incident: Pick<IncidentSummary, 'state' | 'acknowledgedAt' | 'muted'> }) {
  const badge = incidentBadge(incident);
  return (
    <>
      <span className={`status ${TONE[badge]}`}>{badge}</span>
      {incident.muted && incident.state === 'OPEN' ? (
        <>
          {' '}
          <span className="status status-cancelled">Muted</span>
        </>
      ) : null}
    </>
  );
}
