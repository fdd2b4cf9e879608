import type { ReactNode } from 'react';

export interface Column {
  label: ReactNode;
  /** Right-aligned figures. */
  numeric?: boolean;
}

/**
 * The card every list page shows: a labelled table, a header row from `columns`, and the rows,
 * or one row saying why there are none.
 */
export function DataTable({ label, columns, empty, rows }: { label: string; columns: Column[]; empty: ReactNode; rows: ReactNode[] }) {
  return (
    <div className="card table-card">
      <div className="table-scroll">
        <table className="table" aria-label={label}>
          <thead>
            <tr>
              {columns.map((c, i) => (
                <th key={i} scope="col" className={c.numeric ? 'num' : undefined}>
                  {c.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colSpan={columns.length} className="empty">
                  {empty}
                </td>
              </tr>
            ) : (
              rows
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
