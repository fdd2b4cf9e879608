import Link from 'next/link';

/** What an audit entry records, with a link to the sync job it belongs to, if any. */
export function AuditAction({ action, syncJobId }: { action: string; syncJobId: number | null }) {
  return (
    <>
      <span className="action">{action}</span>
      {syncJobId ? (
        <>
          {' '}
          <Link href={`/jobs/${syncJobId}`} className="muted">
            job #{syncJobId}
          </Link>
        </>
      ) : null}
    </>
  );
}
