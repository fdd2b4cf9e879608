import { DataTable } from '@/components/ui/data-table';
import { LocalTime } from '@/components/ui/local-time';
import { conditionsText, type WindowDto } from '@/lib/data/alerts';
import { EndWindowButton } from './end-window-button';

function WindowState({ w }: { w: WindowDto }) {
  if (w.active) return <span className="status status-running">Active</span>;
  if (w.endedAt) {
    return (
      <span className="status status-cancelled">
        Ended early <LocalTime iso={w.endedAt} />
      </span>
    );
  }
  return <span className="status status-cancelled">Over</span>;
}

/** The active and recent maintenance windows: what they mute, until when, why, and "End now" while active. */
export function MaintenanceTable({ windows }: { windows: WindowDto[] }) {
  return (
    <DataTable
      label="Maintenance windows"
      columns={[
        { label: 'From' },
        { label: 'Until' },
        { label: 'Conditions' },
        { label: 'Reason' },
        { label: 'By' },
        { label: 'State' },
        { label: <span className="sr-only">Actions</span> },
      ]}
      empty="No maintenance window yet."
      rows={windows.map((w) => (
        <tr key={w.id} data-window-id={w.id}>
          <td>
            <LocalTime iso={w.startsAt} />
          </td>
          <td>
            <LocalTime iso={w.endsAt} />
          </td>
          <td>{conditionsText(w.conditions)}</td>
          <td className="reason">{w.reason}</td>
          <td>{w.createdBy}</td>
          <td>
            <WindowState w={w} />
          </td>
          <td className="actions-cell">{w.active ? <EndWindowButton id={w.id} /> : null}</td>
        </tr>
      ))}
    />
  );
}
