'use client';

import { useEffect, useRef, useState } from 'react';
import { useSlashShortcut } from './use-slash-shortcut';

const SEARCH_DELAY_MS = 400;

/**
 * A list's search box inside a GET search form ("Search learners" by default: name or email):
 * the value is the form's `name` field (`q` by default), and `onSearch` runs a moment after
 * typing stops (a submit runs the form's own handler instead). The box follows `current`, the
 * URL's search, on back/forward navigation. "/" anywhere on the page focuses it.
 */
export function SearchField({
  id,
  current,
  onSearch,
  label = 'Search learners',
  name = 'q',
  placeholder = 'Name or email',
}: {
  id: string;
  current?: string;
  onSearch: (value: string) => void;
  label?: string;
  name?: string;
  placeholder?: string;
}) {
  const [search, setSearch] = useState(current ?? '');
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const input = useRef<HTMLInputElement>(null);
  useSlashShortcut(input);

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
      <div className="field-label-row">
        <label htmlFor={id}>{label}</label>
        <span className="muted hint" title={`Press / to jump to “${label}”`} aria-hidden="true">
          <kbd>/</kbd>
        </span>
      </div>
      <input
        ref={input}
        id={id}
        name={name}
        type="search"
        value={search}
        maxLength={100}
        placeholder={placeholder}
        autoComplete="off"
        aria-keyshortcuts="/"
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

/** The search a form holds now (its `name` field, `q` by default), typed but perhaps not yet searched. */
export function searchOf(form: HTMLFormElement | null | undefined, name = 'q'): string {
  const q = form ? new FormData(form).get(name) : null;
  return typeof q === 'string' ? q : '';
}
