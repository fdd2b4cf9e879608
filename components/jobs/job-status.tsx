import type { SyncItemOutcome, SyncJobStatus } from '@/lib/vocabulary';

/** A sync job's status as a badge. */
export function JobStatus({ status }: { status: SyncJobStatus }) {
  return <span className={`status status-${status.toLowerCase()}`}>{status}</span>;
}

/** What a sync job did to one pair, as a badge. */
export function ItemOutcome({ outcome }: { outcome: SyncItemOutcome }) {
  return <span className={`status status-${outcome.toLowerCase()}`}>{outcome}</span>;
}
