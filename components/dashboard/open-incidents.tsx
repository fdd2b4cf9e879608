'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useLiveStatus } from '@/components/live/live-events';
import { queryKeys } from '@/components/query-keys';
import { LocalTime } from '@/components/ui/local-time';
import type { OpenIncidentDto } from '@/lib/data/alerts';
import { fetchJson } from './fetch-json';

/** While live, `incidents` events refetch the list; polling is then only a slow safety net. */
const LIVE_FALLBACK_SECONDS = 60;

/**
 * The dashboard's "Open incidents", at the top: each open incident with its condition, since
 * when, and whether someone acknowledged it, linking to its page. Hidden when none is open. It
 * follows the `incidents` events (components/live), and polls every `pollSeconds` while they are down.
 */
export function OpenIncidents({ initial, pollSeconds }: { initial: OpenIncidentDto[]; pollSeconds: number }) {
  const { live } = useLiveStatus();
  const { data } = useQuery({
    queryKey: queryKeys.openIncidents,
    queryFn: async ({ signal }) => (await fetchJson<{ incidents: OpenIncidentDto[] }>('/api/incidents/open', signal, 10_000)).incidents,
    initialData: initial,
    refetchInterval: (live ? Math.max(pollSeconds, LIVE_FALLBACK_SECONDS) : pollSeconds) * 1000,
    refetchIntervalInBackground: false,
  });
  const incidents = data ?? [];
  if (incidents.length === 0) return null;
  return (
    <section className="card open-incidents" aria-labelledby="open-incidents-title">
      <h2 id="open-incidents-title">
        Open incidents <span className="muted">({incidents.length})</span>
      </h2>
      <ul>
        {incidents.map((i) => (
          <li key={i.id} data-incident-id={i.id}>
            <Link href={`/incidents/${i.id}`}>{i.label}</Link>{' '}
            <span className="muted">
              since <LocalTime iso={i.openedAt} relative />
            </span>{' '}
            {i.acknowledgedAt ? (
              <span className="status status-partial">Acknowledged by {i.acknowledgedBy ?? 'someone'}</span>
            ) : (
              <span className="status status-failed">Not acknowledged</span>
            )}
            {i.muted ? (
              <>
                {' '}
                <span className="status status-cancelled">Muted</span>
              </>
            ) : null}
            <span className="open-incident-summary muted">{i.summary}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
