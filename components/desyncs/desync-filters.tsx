'use client';

import { useRouter } from 'next/navigation';
import { useTransition, type FormEvent } from 'react';
import { SearchField, searchOf } from '@/components/ui/search-field';
import { desyncQueryString } from '@/lib/data/query-params';
import type { DesyncKind } from '@/lib/vocabulary';

interface Current {
  kind?: string;
  specialization?: string;
  search?: string;
  causedBy?: string;
}

/**
 * Kind, Specialization, "Caused by" (the writers present in the set) and "Search learners". Every
 * change goes into the URL (page back to 1), so a link reproduces the view; it is a plain GET form
 * without JavaScript.
 */
export function DesyncFilters({
  kinds,
  specializations,
  writers,
  current,
}: {
  kinds: readonly DesyncKind[];
  specializations: { id: string; name: string }[];
  writers: readonly string[];
  current: Current;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const go = (next: Current) =>
    startTransition(() => router.push(`/desyncs${desyncQueryString({ ...next, search: next.search?.trim() })}`));

  // A writer whose desyncs were all repaired meanwhile stays selectable while the URL names it.
  const writerOptions = current.causedBy && !writers.includes(current.causedBy) ? [current.causedBy, ...writers] : writers;

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    go({ ...current, search: searchOf(e.currentTarget) });
  };

  return (
    <form
      role="search"
      aria-label="Filter desyncs"
      className="filters"
      action="/desyncs"
      method="get"
      onSubmit={onSubmit}
      data-pending={pending || undefined}
    >
      <div className="field">
        <label htmlFor="filter-kind">Kind</label>
        <select
          id="filter-kind"
          name="kind"
          value={current.kind ?? ''}
          onChange={(e) => go({ ...current, search: searchOf(e.currentTarget.form), kind: e.currentTarget.value || undefined })}
        >
          <option value="">All kinds</option>
          {kinds.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="filter-specialization">Specialization</label>
        <select
          id="filter-specialization"
          name="specialization"
          value={current.specialization ?? ''}
          onChange={(e) => go({ ...current, search: searchOf(e.currentTarget.form), specialization: e.currentTarget.value || undefined })}
        >
          <option value="">All specializations</option>
          {specializations.map((s) => (
            <option key={s.id} value={s.id}>
              {s.id}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="filter-caused-by">Caused by</label>
        <select
          id="filter-caused-by"
          name="causedBy"
          value={current.causedBy ?? ''}
          onChange={(e) => go({ ...current, search: searchOf(e.currentTarget.form), causedBy: e.currentTarget.value || undefined })}
        >
          <option value="">All writers</option>
          {writerOptions.map((w) => (
            <option key={w} value={w}>
              {w}
            </option>
          ))}
        </select>
      </div>
      <SearchField id="filter-search" current={current.search} onSearch={(search) => go({ ...current, search })} />
      <button type="submit" className="button">
        Search
      </button>
    </form>
  );
}
