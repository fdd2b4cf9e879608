import { DataTable } from '@/components/ui/data-table';
import { LocalTime } from '@/components/ui/local-time';
import type { StaffDto } from '@/lib/actions/staff-inputs';
import { StaffRowActions } from './staff-row-actions';

/** Every staff account (ADMIN and VIEWER, disabled ones included), by email: never a password. */
export function StaffTable({ staff }: { staff: StaffDto[] }) {
  return (
    <section aria-labelledby="staff-title">
      <h2 id="staff-title">Staff accounts</h2>
      <DataTable
        label="Staff"
        columns={[
          { label: 'Email' },
          { label: 'Name' },
          { label: 'Role' },
          { label: 'State' },
          { label: 'Created' },
          { label: <span className="sr-only">Actions</span> },
        ]}
        empty="No staff accounts."
        rows={staff.map((s) => (
          <tr key={s.id} data-staff={s.email}>
            <td>{s.email}</td>
            <td>{s.name}</td>
            <td className="kind">{s.role}</td>
            <td>
              {s.disabled ? (
                <span className="status status-failed">Disabled</span>
              ) : (
                <span className="status status-succeeded">Active</span>
              )}
            </td>
            <td>
              <LocalTime iso={s.createdAt} />
            </td>
            <td className="actions-cell">
              <StaffRowActions key={`${s.role}-${s.disabled}`} staff={s} />
            </td>
          </tr>
        ))}
      />
    </section>
  );
}
