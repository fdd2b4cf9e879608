const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 3 });

/** A figure as text: numbers (at most 3 decimals) and words, counts by key as "KEY n · ...", anything else as JSON. */
function text(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return number.format(v);
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'number')) {
    return Object.entries(v as Record<string, number>)
      .map(([k, n]) => `${k} ${number.format(n)}`)
      .join(' · ');
  }
  return JSON.stringify(v);
}

/** The figures an incident opened or resolved with (or an event's details), one term each. */
export function FiguresList({ figures, label }: { figures: Record<string, unknown> | null | undefined; label: string }) {
  const entries = Object.entries(figures ?? {});
  if (!entries.length) return null;
  return (
    <dl className="figures-list" aria-label={label}>
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd className={typeof v === 'object' && v !== null ? 'kind' : undefined}>{text(v)}</dd>
        </div>
      ))}
    </dl>
  );
}
