'use client';

import { useRouter } from 'next/navigation';
import { useTransition, type FormEvent } from 'react';
import { SearchField, searchOf } from '@/components/ui/search-field';
import { learnerQueryString } from '@/lib/data/query-params';

/**
 * "Search learners" (name or email). The search goes into the URL (`?q=`, page back to 1), so a
 * link reproduces the view; it is a plain GET form without JavaScript.
 */
export function LearnerSearch({ current }: { current?: string }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const go = (value: string) => startTransition(() => router.push(`/learners${learnerQueryString({ search: value.trim() })}`));
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    go(searchOf(e.currentTarget));
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
      <SearchField id="learner-search" current={current} onSearch={go} />
      <button type="submit" className="button">
        Search
      </button>
    </form>
  );
}
