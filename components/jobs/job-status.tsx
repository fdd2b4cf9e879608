import type { SyncJobStatus } from '@/lib/sync/types';

export function JobStatus({ status }: { status: SyncJobStatus | string }) {
  return <span className={`status status-${status.toLowerCase()}`}>{status}</span>;
}
