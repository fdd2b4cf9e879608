'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useTransition, type FormEvent } from 'react';
import { DayRangeFields } from '@/components/ui/day-range-fields';
import { SearchField, searchOf } from '@/components/ui/search-field';
import { auditQueryString, type AuditQuery } from '@/lib/data/query-params';

type Current = Omit<AuditQuery, 'page' | 'notices' | 'invalid'>;

/**
 * Actor, Action, From/To (UTC days) and "Learner" (the events about a learner: id, email or name)
 * of the audit log. Every change goes into the URL (page back to 1), so a link reproduces the view;
 * it is a plain GET form without JavaScript. `clearable`: the URL names any filter.
 */
export function AuditFilters({
  actors,
  actions,
  current,
  clearable,
}: {
  actors: string[];
  actions: readonly string[];
  current: Current;
  clearable: boolean;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const go = (next: Current) => startTransition(() => router.push(`/audit${auditQueryString({ ...next, learner: next.learner?.trim() })}`));
  const typed = (form: HTMLFormElement | null) => ({ ...current, learner: searchOf(form, 'learner') });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    go(typed(e.currentTarget));
  };
  const actorOptions = current.actor && !actors.includes(current.actor) ? [current.actor, ...actors] : actors;

  return (
    <form
      role="search"
      aria-label="Filter the audit log"
      className="filters"
      action="/audit"
      method="get"
      data-pending={pending || undefined}
      onSubmit={onSubmit}
    >
      <div className="field">
        <label htmlFor="filter-actor">Actor</label>
        <select
          id="filter-actor"
          name="actor"
          value={current.actor ?? ''}
          onChange={(e) => go({ ...typed(e.currentTarget.form), actor: e.currentTarget.value || undefined })}
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
          onChange={(e) => go({ ...typed(e.currentTarget.form), action: e.currentTarget.value || undefined })}
        >
          <option value="">All actions</option>
          {actions.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </div>
      <DayRangeFields
        idPrefix="audit-filter"
        current={{ from: current.from, to: current.to }}
        onChange={(range) => go({ ...current, ...range })}
      />
      <SearchField
        id="audit-filter-learner"
        name="learner"
        label="Learner"
        placeholder="ID, name or email"
        current={current.learner}
        onSearch={(learner) => go({ ...current, learner })}
      />
      <button type="submit" className="button">
        Search
      </button>
      {clearable ? (
        <Link href="/audit" className="button subtle">
          Clear filters
        </Link>
      ) : null}
    </form>
  );
}
