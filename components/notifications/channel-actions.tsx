'use client';

import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { fetchJson } from '@/components/dashboard/fetch-json';
import { useToast } from '@/components/ui/toaster';
import { removeChannelAction } from '@/lib/actions/remove-channel';
import { sendTestNotificationAction } from '@/lib/actions/send-test-notification';
import type { DeliveryDto } from '@/lib/data/alerts';

const POLL_MS = 500;
/** How long "Send test" follows its delivery; a receiver that keeps failing is retried after that, and the page says so. */
const FOLLOW_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Follows a queued delivery until it is delivered or failed, or FOLLOW_MS have passed (then: its state so far). */
async function follow(deliveryId: string): Promise<DeliveryDto | null> {
  const deadline = Date.now() + FOLLOW_MS;
  let last: DeliveryDto | null = null;
  while (Date.now() < deadline) {
    await sleep(POLL_MS);
    try {
      const ctl = new AbortController();
      last = (await fetchJson<{ delivery: DeliveryDto }>(`/api/notifications/deliveries/${deliveryId}`, ctl.signal, 5_000)).delivery;
      if (last.state !== 'pending') return last;
    } catch {
      // A poll that failed (a restart, a blip) is tried again until the deadline.
    }
  }
  return last;
}

function failureText(name: string, d: DeliveryDto | null): string {
  const attempts = d ? `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}` : '';
  const why = d?.lastStatus ?? d?.lastError;
  if (d?.state === 'failed') return `Test to ${name} failed: ${why ?? 'no answer'}, ${attempts}.`;
  if (d && d.attempts > 0) return `Test to ${name} not delivered yet: ${why ?? 'no answer'}, ${attempts}; it will be retried.`;
  return `Test to ${name} is still queued: no delivery worker has sent it yet.`;
}

/** A channel's "Send test" (queues a TEST delivery, then says whether it arrived) and "Remove" (after a confirmation). */
export function ChannelActions({ name }: { name: string }) {
  const toast = useToast();
  const router = useRouter();
  const [testing, setTesting] = useState(false);
  const [removing, startRemove] = useTransition();

  const sendTest = async () => {
    setTesting(true);
    try {
      const queued = await sendTestNotificationAction({ name }).catch(() => null);
      if (!queued) return toast.error('The server could not be reached. Try again in a moment.');
      if (!queued.ok) return toast.error(queued.error.message);
      const delivery = await follow(queued.deliveryId);
      if (delivery?.state === 'delivered') toast.success(`Test delivered to ${name}`);
      else toast.error(failureText(name, delivery));
      router.refresh();
    } finally {
      setTesting(false);
    }
  };

  const remove = () => {
    if (!window.confirm(`Remove the channel ${name}? Nothing more is sent to it, including notifications still waiting.`)) return;
    startRemove(async () => {
      const result = await removeChannelAction({ name }).catch(() => null);
      if (!result) toast.error('The server could not be reached. Try again in a moment.');
      else if (!result.ok) toast.error(result.error.message);
      else toast.success(`Channel ${name} removed.`);
    });
  };

  return (
    <div className="action-buttons">
      <button
        type="button"
        className="button small"
        onClick={() => void sendTest()}
        disabled={testing}
        aria-busy={testing}
        aria-label={`Send test to ${name}`}
      >
        {testing ? 'Sending…' : 'Send test'}
      </button>
      <button
        type="button"
        className="button small"
        onClick={remove}
        disabled={removing}
        aria-busy={removing}
        aria-label={`Remove ${name}`}
      >
        Remove
      </button>
    </div>
  );
}
