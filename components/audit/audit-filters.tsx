'use client';

import { useRouter } from 'next/navigation';
import { useTransition } from 'react';

interface Current {
  actor?: string;
  action?: string;
}

function buildUrl(next: Current): string {
  const p = new URLSearchParams();
  if (next.actor) p.set('actor', next.actor);
  if (next.action) p.set('action', next.action);
  const s = p.toString();
  return s ? `/audit?${s}` : '/audit';
}

/** Actor and Action filters of the audit log; each change goes into the URL (page back to 1). */
export function AuditFilters({ actors, actions, current }: { actors: string[]; actions: readonly string[]; current: Current }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const go = (next: Current) => startTransition(() => router.push(buildUrl(next)));
  const actorOptions = current.actor && !actors.includes(current.actor) ? [current.actor, ...actors] : actors;

  return (
    <form
      role="search"
      aria-label="Filter the audit log"
      className="filters"
      action="/audit"
      method="get"
      data-pending={pending || undefined}
      onSubmit={(e) => e.preventDefault()}
    >
      <div className="field">
        <label htmlFor="filter-actor">Actor</label>
        <select
          id="filter-actor"
          name="actor"
          value={current.actor ?? ''}
          onChange={(e) => go({ ...current, actor: e.currentTarget.value || undefined })}
        >
          <option value="">All actors</option>
          {actorOptions.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="filter-action">Action</label>
        <select
          id="filter-action"
          name="action"
          value={current.action ?? ''}
          onChange={(e) => go({ ...current, action: e.currentTarget.value || undefined })}
        >
          <option value="">All actions</option>
          {actions.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </div>
      <noscript>
        <button type="submit" className="button">
          Filter
        </button>
      </noscript>
    </form>
  );
}
