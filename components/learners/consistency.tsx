import { LocalTime } from '@/components/ui/local-time';
import type { LearnerPair } from '@/lib/sync';
import { KIND_LABELS, type DesyncKind } from '@/lib/vocabulary';
import styles from './learners.module.css';

/** A pair's consistency as a mark: ✓ (read as "consistent") or the kind's label, in text, not colour only. */
export function ConsistencyMark({ kind }: { kind: DesyncKind | null }) {
  if (!kind) {
    return (
      <span className={styles.ok} title="Consistent">
        <span aria-hidden="true">✓</span>
        <span className="sr-only">consistent</span>
      </span>
    );
  }
  return <span className={`kind kind-${kind.toLowerCase()} ${styles.bad}`}>{KIND_LABELS[kind]}</span>;
}

/** The sentence under a pair's heading: consistent, or which desync and since when. */
export function ConsistencyStatus({ pair }: { pair: Pick<LearnerPair, 'kind' | 'since'> }) {
  if (!pair.kind) {
    return (
      <p className={styles.ok}>
        <span aria-hidden="true">✓ </span>Consistent
      </p>
    );
  }
  return (
    <p>
      <span className={styles.bad}>Out of sync: {KIND_LABELS[pair.kind]}</span>
      {pair.since ? (
        <>
          {' '}
          since <LocalTime iso={pair.since.toISOString()} relative />
        </>
      ) : (
        <span className="muted"> (not yet listed by a health check)</span>
      )}
    </p>
  );
}
