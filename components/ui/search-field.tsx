'use client';

import { useEffect, useRef, useState } from 'react';

const SEARCH_DELAY_MS = 400;

/**
 * "Search learners" (name or email) inside a GET search form: the value is the form's `q`, and
 * `onSearch` runs a moment after typing stops (a submit runs the form's own handler instead).
 * The box follows `current`, the URL's search, on back/forward navigation.
 */
export function SearchField({ id, current, onSearch }: { id: string; current?: string; onSearch: (value: string) => void }) {
  const [search, setSearch] = useState(current ?? '');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const input = useRef<HTMLInputElement>(null);

  const [urlSearch, setUrlSearch] = useState(current);
  if (current !== urlSearch) {
    setUrlSearch(current);
    setSearch(current ?? '');
  }
  useEffect(() => {
    // A submit searches at once: the pending delayed search is dropped.
    const form = input.current?.form;
    const cancel = () => clearTimeout(timer.current);
    form?.addEventListener('submit', cancel);
    return () => {
      cancel();
      form?.removeEventListener('submit', cancel);
    };
  }, []);

  return (
    <div className="field grow">
      <label htmlFor={id}>Search learners</label>
      <input
        ref={input}
        id={id}
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
          timer.current = setTimeout(() => onSearch(value), SEARCH_DELAY_MS);
        }}
      />
    </div>
  );
}

/** The search a form holds now (its `q` field), typed but perhaps not yet searched. */
export function searchOf(form: HTMLFormElement | null | undefined): string {
  const q = form ? new FormData(form).get('q') : null;
  return typeof q === 'string' ? q : '';
}
