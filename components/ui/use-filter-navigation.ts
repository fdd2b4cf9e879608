'use client';

import { useRouter } from 'next/navigation';
import { useRef, useTransition, type FormEvent, type RefObject } from 'react';
import { searchOf } from './search-field';

/** What a FilterForm takes from useFilterNavigation (`form`, spread on it). */
export interface FilterFormNavigation {
  ref: RefObject<HTMLFormElement | null>;
  action: string;
  scroll?: boolean;
  pending: boolean;
  onSubmit: (e: FormEvent<HTMLFormElement>) => void;
}

/**
 * The navigation behind a list's filter form: every change goes into the URL (`base` plus
 * `query(filters)`, page back to 1), so a link reproduces the view; the form shows the transition
 * as pending. `search` names the filter the form's SearchField holds (its field `searchName`, the
 * same by default): a submit or a select's change takes the text typed so far, not yet searched.
 * A form of selects only (no SearchField) names no `search`.
 * `scroll: false` keeps the page where it is (a list below other content).
 */
export function useFilterNavigation<Q extends Partial<Record<S, string>>, S extends keyof Q & string>({
  base,
  current,
  query,
  search,
  searchName = search,
  scroll,
}: {
  base: string;
  current: Q;
  query: (filters: Q) => string;
  search?: S;
  searchName?: string;
  scroll?: boolean;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const ref = useRef<HTMLFormElement>(null);
  const go = (next: Q) =>
    startTransition(() => router.push(`${base}${query(search ? { ...next, [search]: next[search]?.trim() } : next)}`, { scroll }));
  const typed = (form: HTMLFormElement | null): Q => (search ? { ...current, [search]: searchOf(form, searchName) } : current);
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    go(typed(e.currentTarget));
  };

  return {
    go,
    form: { ref, action: base, scroll, pending, onSubmit } satisfies FilterFormNavigation,
    /** A FilterSelect's name, value and onChange for the filter `key`. */
    select: <K extends keyof Q & string>(key: K) => ({
      name: key,
      value: current[key],
      onChange: (value: Q[K]) => go({ ...typed(ref.current), [key]: value }),
    }),
    /** The SearchField's name, current text and onSearch. */
    searchField: {
      name: searchName,
      current: search ? current[search] : undefined,
      onSearch: (text: string) => go(search ? { ...current, [search]: text } : current),
    },
  };
}
