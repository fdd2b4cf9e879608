'use client';

import { useTransition } from 'react';
import { useToast } from '@/components/ui/toaster';
import type { ActionResult } from '@/lib/actions/types';

/**
 * Runs a learner page's server action and announces the outcome through the toaster: the
 * action's readable error (a CONFLICT says the pair changed since the page loaded, and nothing
 * was written), or `success(result)`. The actions revalidate the page, so it shows the new state.
 */
export function useAdminAction() {
  const toast = useToast();
  const [pending, startTransition] = useTransition();

  function run<T extends object>(call: () => Promise<ActionResult<T>>, success: (result: T) => string, onSuccess?: () => void) {
    startTransition(async () => {
      let result: ActionResult<T>;
      try {
        result = await call();
      } catch {
        toast.error('SyncWatch could not be reached. Check the connection and try again.');
        return;
      }
      if (!result.ok) {
        toast.error(result.error.message);
        return;
      }
      toast.success(success(result));
      onSuccess?.();
    });
  }

  return { pending, run };
}

/** A form field read as a number: blank is 0, anything else as typed (the action validates it). */
export function numberField(data: FormData, name: string): number {
  const raw = String(data.get(name) ?? '').trim();
  return raw === '' ? 0 : Number(raw);
}
