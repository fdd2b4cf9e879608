'use client';

import { useId, useState, useTransition, type FormEvent } from 'react';
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
  const [pending, startTransition] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const input = { name: String(data.get('name') ?? ''), scopes: data.getAll('scopes').map(String) };
    startTransition(async () => {
      const result = await createApiKeyAction(input);
      if (!result.ok) {
        setError(result.error.message);
        return;
      }
      setError(null);
      setCreated({ name: result.key.name, token: result.token });
      form.reset();
    });
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
    <section className="card" aria-labelledby={`${id}-title`} style={{ marginBottom: '1rem' }}>
      <h2 id={`${id}-title`}>Create API key</h2>
      {created ? (
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
      ) : null}
      <form onSubmit={onSubmit} className="action-buttons" aria-describedby={error ? `${id}-error` : undefined}>
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
        <button type="submit" className="button primary" disabled={pending} aria-busy={pending}>
          Create API key
        </button>
      </form>
      {error ? (
        <p id={`${id}-error`} className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}
