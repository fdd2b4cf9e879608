import { PairLevels } from '@/components/ui/pair-levels';

/** A level read from an audit event's stored JSON. */
const level = (x: unknown) => (typeof x === 'number' ? x : null);

/** Before/after values: level snapshots read as sentences, anything else as compact key: value pairs. */
export function AuditValue({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span className="muted">—</span>;
  if (typeof value !== 'object') return <>{String(value)}</>;
  const v = value as Record<string, unknown>;
  if ('progressLevel' in v || 'licenseLevel' in v) {
    return (
      <PairLevels levels={{ progressLevel: level(v.progressLevel), licenseLevel: level(v.licenseLevel) }}>
        {typeof v.totalXp === 'number' ? <span className="muted"> · {v.totalXp} XP</span> : null}
      </PairLevels>
    );
  }
  const text = Object.entries(v)
    .map(([k, x]) => `${k}: ${typeof x === 'object' ? JSON.stringify(x) : String(x)}`)
    .join(', ');
  return (
    <span className="json" title={text.length > 120 ? text : undefined}>
      {text.length > 120 ? `${text.slice(0, 117)}…` : text}
    </span>
  );
}
