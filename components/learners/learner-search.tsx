'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState, useTransition, type FormEvent } from 'react';
import { learnerQueryString } from '@/lib/data/query-params';

const SEARCH_DELAY_MS = 400;

/**
 * "Search learners" (name or email). The search goes into the URL (`?q=`, page back to 1), so a
 * link reproduces the view; it is a plain GET form without JavaScript.
 */
export function LearnerSearch({ current }: { current?: string }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [search, setSearch] = useState(current ?? '');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  // Follow the URL's search on back/forward navigation.
  const [urlSearch, setUrlSearch] = useState(current);
  if (current !== urlSearch) {
    setUrlSearch(current);
    setSearch(current ?? '');
  }
  useEffect(() => () => clearTimeout(timer.current), []);

  const go = (value: string) => {
    clearTimeout(timer.current);
    startTransition(() => router.push(`/learners${learnerQueryString({ search: value.trim() })}`));
  };

  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    go(search);
  };

  return (
    <form
      role="search"
      aria-label="Search learners"
      className="filters"
      action="/learners"
      method="get"
      onSubmit={onSubmit}
      data-pending={pending || undefined}
    >
      <div className="field grow">
        <label htmlFor="learner-search">Search learners</label>
        <input
          id="learner-search"
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
            timer.current = setTimeout(() => go(value), SEARCH_DELAY_MS);
          }}
        />
      </div>
      <button type="submit" className="button">
        Search
      </button>
    </form>
  );
}
