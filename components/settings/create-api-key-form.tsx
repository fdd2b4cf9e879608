'use client';

import { useId, useState, type FormEvent } from 'react';
import { ActionForm, useActionForm } from '@/components/ui/action-form';
import { useToast } from '@/components/ui/toaster';
import { createApiKeyAction } from '@/lib/actions/create-api-key';
import type { ApiScope } from '@/lib/vocabulary';

/**
 * "Create API key": a name and scopes. The token comes back once, shown here until dismissed;
 * SyncWatch keeps only its hash, so it cannot be shown again.
 */
export function CreateApiKeyForm({ scopes }: { scopes: readonly ApiScope[] }) {
  const toast = useToast();
  const id = useId();
  const { pending, error, run } = useActionForm();
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const input = { name: String(data.get('name') ?? ''), scopes: data.getAll('scopes').map(String) };
    run(
      form,
      () => createApiKeyAction(input),
      (result) => setCreated({ name: result.key.name, token: result.token }),
    );
  };

  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.token);
      toast.success('Token copied.');
    } catch {
      toast.error('Could not copy; select the token and copy it by hand.');
    }
  };

  return (
    <ActionForm
      id={id}
      title="Create API key"
      submitLabel="Create API key"
      error={error}
      pending={pending}
      onSubmit={onSubmit}
      formClassName="action-buttons"
      nameForm={false}
      style={{ marginBottom: '1rem' }}
      before={
        created ? (
          <div className="notice notice-warn" role="status">
            <p>
              API key <strong>{created.name}</strong> created. Copy its token now: it is shown this once and cannot be recovered.
            </p>
            <p>
              <code className="json" aria-label="Token" data-testid="api-key-token">
                {created.token}
              </code>
            </p>
            <div className="action-buttons">
              <button type="button" className="button small" onClick={copy}>
                Copy token
              </button>
              <button type="button" className="button small subtle" onClick={() => setCreated(null)}>
                Done
              </button>
            </div>
          </div>
        ) : null
      }
    >
      <div className="field">
        <label htmlFor={`${id}-name`}>Name</label>
        <input id={`${id}-name`} name="name" required maxLength={64} pattern="[A-Za-z0-9][A-Za-z0-9._\-]*" autoComplete="off" />
      </div>
      <fieldset className="inline-field" style={{ border: 'none', padding: 0, margin: 0 }}>
        <legend className="sr-only">Scopes</legend>
        {scopes.map((s) => (
          <label key={s} className="inline-field">
            <input type="checkbox" name="scopes" value={s} /> <span className="kind">{s}</span>
          </label>
        ))}
      </fieldset>
    </ActionForm>
  );
}
