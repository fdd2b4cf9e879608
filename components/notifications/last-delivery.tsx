'use client';

import { useNow } from '@/components/ui/local-time';
import { deliveryOutcomeText, type LastDeliveryDto } from '@/lib/data/alerts';
import { formatRelative } from '@/lib/format';

/** A channel's last delivery: "delivered 2 minutes ago", "last delivery failed: 503, 3 attempts", or "never". */
export function LastDelivery({ last }: { last: LastDeliveryDto | null }) {
  const now = useNow(15_000);
  if (!last) return <span className="muted">never</span>;
  const at = new Date(last.at);
  const when = now ? formatRelative(at, now) : null;
  return (
    <span className={last.ok ? undefined : 'text-bad'}>
      {deliveryOutcomeText(last)}
      {when ? (
        <>
          {last.ok ? ' ' : ' ('}
          <time dateTime={last.at} title={last.at}>
            {when}
          </time>
          {last.ok ? null : ')'}
        </>
      ) : null}
      {!last.ok && last.error && last.status ? <span className="muted reason"> {last.error}</span> : null}
    </span>
  );
}
