'use client';

import { useTransition } from 'react';
import { useToast } from '@/components/ui/toaster';
import { revokeApiKeyAction } from '@/lib/actions/revoke-api-key';

/** A key's "Revoke", after a confirmation: requests with it are refused from then on. */
export function RevokeApiKeyButton({ name }: { name: string }) {
  const toast = useToast();
  const [pending, startTransition] = useTransition();

  const onClick = () => {
    if (!window.confirm(`Revoke the API key ${name}? Systems using it will be refused at once. This cannot be undone.`)) return;
    startTransition(async () => {
      const result = await revokeApiKeyAction({ name });
      if (!result.ok) toast.error(result.error.message);
      else toast.success(`API key ${name} revoked.`);
    });
  };

  return (
    <button type="button" className="button small" onClick={onClick} disabled={pending} aria-busy={pending} aria-label={`Revoke ${name}`}>
      Revoke
    </button>
  );
}
