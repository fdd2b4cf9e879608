import { DataTable } from '@/components/ui/data-table';
import { LocalTime } from '@/components/ui/local-time';
import { CHANNEL_KIND_LABELS, conditionsText, type ChannelDto } from '@/lib/data/alerts';
import { ChannelActions } from './channel-actions';
import { LastDelivery } from './last-delivery';

/** Every channel: its target masked (a URL's origin, or the address), never its secret; "Send test" and "Remove". */
export function ChannelsTable({ channels }: { channels: ChannelDto[] }) {
  return (
    <DataTable
      label="Channels"
      columns={[
        { label: 'Name' },
        { label: 'Kind' },
        { label: 'Target' },
        { label: 'Conditions' },
        { label: 'Last delivery' },
        { label: <span className="sr-only">Actions</span> },
      ]}
      empty="No channel yet: nobody is told about incidents. Add one below."
      rows={channels.map((c) => (
        <tr key={c.id} data-channel={c.name}>
          <td>
            {c.name}
            <span className="muted learner-email">
              added <LocalTime iso={c.createdAt} /> by {c.createdBy}
            </span>
          </td>
          <td>
            {CHANNEL_KIND_LABELS[c.kind]}
            {c.hasSecret ? <span className="muted learner-email">signed</span> : null}
          </td>
          <td className="kind">{c.target}</td>
          <td>{conditionsText(c.conditions)}</td>
          <td>
            <LastDelivery last={c.lastDelivery} />
          </td>
          <td className="actions-cell">
            <ChannelActions name={c.name} />
          </td>
        </tr>
      ))}
    />
  );
}
