'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { useLiveStatus } from './live-events';

/**
 * Says how the page stays current: "Live" while the event stream is up, "Polling every N s"
 * while it is down. With `refreshWhenDown`, a server-rendered page (the desync list, the jobs)
 * polls itself by router.refresh every `pollSeconds` while down, so that the words stay true;
 * the dashboard polls through its own queries instead. `paused`: the user turned refresh off.
 */
export function LiveIndicator({
  pollSeconds,
  refreshWhenDown = false,
  paused = false,
}: {
  pollSeconds: number;
  refreshWhenDown?: boolean;
  paused?: boolean;
}) {
  const { live } = useLiveStatus();
  const router = useRouter();

  useEffect(() => {
    if (!refreshWhenDown || live || paused) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') router.refresh();
    }, pollSeconds * 1000);
    return () => clearInterval(timer);
  }, [refreshWhenDown, live, paused, pollSeconds, router]);

  const mode = paused ? 'paused' : live ? 'live' : 'polling';
  return (
    <p className={`live-indicator live-indicator-${mode}`} role="status" data-testid="live-indicator">
      {paused ? 'Auto-refresh off' : live ? 'Live' : `Polling every ${pollSeconds} s`}
    </p>
  );
}
