import { DataTable } from '@/components/ui/data-table';
import { LocalTime } from '@/components/ui/local-time';
import type { DeliveryRow } from '@/lib/alerts';
import { NOTIFICATION_EVENT_LABELS } from '@/lib/data/alerts';
import { formatInt } from '@/lib/format';

/** A delivery's outcome: delivered (when), failed (why), or waiting (until when). */
function DeliveryStatus({ d }: { d: DeliveryRow }) {
  if (d.deliveredAt) {
    return (
      <>
        <span className="status status-succeeded">Delivered</span> <LocalTime iso={d.deliveredAt.toISOString()} />
      </>
    );
  }
  const why = d.lastStatus ?? d.lastError;
  if (d.failedAt) {
    return (
      <>
        <span className="status status-failed">Failed</span> {why ? <span className="reason">{why}</span> : null}
      </>
    );
  }
  return (
    <>
      <span className="status status-running">Pending</span> {why ? <span className="reason">last answer {why}; </span> : null}
      <span className="muted">
        not before <LocalTime iso={d.notBefore.toISOString()} />
      </span>
    </>
  );
}

/** The notifications an incident caused, one row per channel and event, with their attempts and outcome. */
export function IncidentDeliveries({ deliveries }: { deliveries: DeliveryRow[] }) {
  return (
    <section aria-labelledby="incident-deliveries-title">
      <h2 id="incident-deliveries-title">Deliveries</h2>
      <DataTable
        label="Deliveries"
        columns={[{ label: 'Channel' }, { label: 'Event' }, { label: 'Queued' }, { label: 'Attempts', numeric: true }, { label: 'Status' }]}
        empty="No notification was queued: no channel takes this condition."
        rows={deliveries.map((d) => (
          <tr key={d.id} data-delivery-id={d.id}>
            <td>
              {d.channel} <span className="muted kind">{d.channelKind}</span>
            </td>
            <td>{NOTIFICATION_EVENT_LABELS[d.event]}</td>
            <td>
              <LocalTime iso={d.createdAt.toISOString()} />
            </td>
            <td className="num">{formatInt(d.attempts)}</td>
            <td>
              <DeliveryStatus d={d} />
            </td>
          </tr>
        ))}
      />
    </section>
  );
}
