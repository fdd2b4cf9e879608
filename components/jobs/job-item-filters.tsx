'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useTransition, type FormEvent } from 'react';
import { SearchField, searchOf } from '@/components/ui/search-field';
import { jobItemsQueryString, type JobItemsQuery } from '@/lib/data/query-params';
import { DESYNC_KINDS, SYNC_ITEM_OUTCOMES } from '@/lib/vocabulary';

type Current = Omit<JobItemsQuery, 'page' | 'notices' | 'invalid'>;

/**
 * Outcome, Kind and "Learner" (id, email or name) of a job's items. Every change goes into the URL
 * (page back to 1), so a link reproduces the view; it is a plain GET form without JavaScript.
 * `clearable`: the URL names any filter.
 */
export function JobItemFilters({ jobId, current, clearable }: { jobId: number; current: Current; clearable: boolean }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const base = `/jobs/${jobId}`;
  const go = (next: Current) =>
    startTransition(() => router.push(`${base}${jobItemsQueryString({ ...next, learner: next.learner?.trim() })}`, { scroll: false }));
  const typed = (form: HTMLFormElement | null) => ({ ...current, learner: searchOf(form, 'learner') });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    go(typed(e.currentTarget));
  };

  return (
    <form
      role="search"
      aria-label="Filter job items"
      className="filters"
      action={base}
      method="get"
      onSubmit={onSubmit}
      data-pending={pending || undefined}
    >
      <div className="field">
        <label htmlFor="item-filter-outcome">Outcome</label>
        <select
          id="item-filter-outcome"
          name="outcome"
          value={current.outcome ?? ''}
          onChange={(e) => go({ ...typed(e.currentTarget.form), outcome: (e.currentTarget.value || undefined) as Current['outcome'] })}
        >
          <option value="">All outcomes</option>
          {SYNC_ITEM_OUTCOMES.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="item-filter-kind">Kind</label>
        <select
          id="item-filter-kind"
          name="kind"
          value={current.kind ?? ''}
          onChange={(e) => go({ ...typed(e.currentTarget.form), kind: (e.currentTarget.value || undefined) as Current['kind'] })}
        >
          <option value="">All kinds</option>
          {DESYNC_KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </div>
      <SearchField
        id="item-filter-learner"
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
        <Link href={base} className="button subtle" scroll={false}>
          Clear filters
        </Link>
      ) : null}
    </form>
  );
}
