/** Placeholders shown by <Suspense> while a section's data loads. */

export function FiguresSkeleton() {
  return (
    <div className="figures" aria-hidden="true">
      {Array.from({ length: 9 }, (_, i) => (
        <div key={i} className="figure">
          <div className="skeleton skeleton-line short" />
          <div className="skeleton skeleton-value" />
          <div className="skeleton skeleton-line" />
        </div>
      ))}
    </div>
  );
}

export function DashboardSkeleton() {
  return (
    <div aria-busy="true">
      <p className="sr-only">Loading the dashboard…</p>
      <div className="page-head">
        <h1>Dashboard</h1>
      </div>
      <div className="card actions">
        <div className="skeleton skeleton-line short" />
      </div>
      <FiguresSkeleton />
      <div className="charts" aria-hidden="true">
        <div className="card chart-card">
          <div className="skeleton" style={{ height: 300 }} />
        </div>
        <div className="card chart-card">
          <div className="skeleton" style={{ height: 300 }} />
        </div>
        <div className="card chart-card">
          <div className="skeleton" style={{ height: 300 }} />
        </div>
      </div>
    </div>
  );
}

export function TableSkeleton({ rows = 10, columns = 6, label }: { rows?: number; columns?: number; label: string }) {
  return (
    <div className="card table-card" aria-busy="true">
      <p className="sr-only">Loading {label}…</p>
      <div className="skeleton-table" aria-hidden="true">
        {Array.from({ length: rows + 1 }, (_, r) => (
          <div key={r} className="skeleton-row" style={{ gridTemplateColumns: `repeat(${columns}, 1fr)` }}>
            {Array.from({ length: columns }, (_, c) => (
              <div key={c} className={`skeleton skeleton-line${r === 0 ? ' short' : ''}`} />
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}
