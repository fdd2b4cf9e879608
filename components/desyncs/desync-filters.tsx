'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState, useTransition, type FormEvent } from 'react';
import type { DesyncKind } from '@/lib/vocabulary';

const SEARCH_DELAY_MS = 400;

interface Current {
  kind?: string;
  specialization?: string;
  search?: string;
}

function buildUrl(next: Current): string {
  const p = new URLSearchParams();
  if (next.kind) p.set('kind', next.kind);
  if (next.specialization) p.set('specialization', next.specialization);
  if (next.search?.trim()) p.set('q', next.search.trim());
  const s = p.toString();
  return s ? `/desyncs?${s}` : '/desyncs';
}

/**
 * Kind, Specialization and "Search learners". Every change goes into the URL (page back to 1),
 * so a link reproduces the view; it is a plain GET form without JavaScript.
 */
export function DesyncFilters({
  kinds,
  specializations,
  current,
}: {
  kinds: readonly DesyncKind[];
  specializations: { id: string; name: string }[];
  current: Current;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [search, setSearch] = useState(current.search ?? '');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  // Keep the box in step with back/forward navigation: follow the URL's search when it changes.
  const [urlSearch, setUrlSearch] = useState(current.search);
  if (current.search !== urlSearch) {
    setUrlSearch(current.search);
    setSearch(current.search ?? '');
  }
  useEffect(() => () => clearTimeout(timer.current), []);

  const go = (next: Current) => {
    clearTimeout(timer.current);
    startTransition(() => router.push(buildUrl(next)));
  };

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    go({ ...current, search });
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
          onChange={(e) => go({ ...current, search, kind: e.currentTarget.value || undefined })}
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
          onChange={(e) => go({ ...current, search, specialization: e.currentTarget.value || undefined })}
        >
          <option value="">All specializations</option>
          {specializations.map((s) => (
            <option key={s.id} value={s.id}>
              {s.id}
            </option>
          ))}
        </select>
      </div>
      <div className="field grow">
        <label htmlFor="filter-search">Search learners</label>
        <input
          id="filter-search"
          name="q"
          type="search"
          value={search}
          maxLength={100}
          placeholder="Name or email"
          autoComplete="off"
          onChange={(e) => {
            const value = e.currentTarget.value;
            setSearch(value);
            clearTimeout(timer.current);
            timer.current = setTimeout(() => go({ ...current, search: value }), SEARCH_DELAY_MS);
          }}
        />
      </div>
      <button type="submit" className="button">
        Search
      </button>
    </form>
  );
}
