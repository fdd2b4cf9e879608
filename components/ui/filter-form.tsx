'use client';

import Link from 'next/link';
import type { ReactNode } from 'react';
import type { FilterFormNavigation } from './use-filter-navigation';

/**
 * A list's filter form, named `label` for assistive technology: a plain GET search form to
 * `action`, so it works without JavaScript (useFilterNavigation's `onSubmit` takes over with it),
 * dimmed while a navigation is pending. "Search" submits; "Clear filters" (when `clearable`: the
 * URL names a filter) goes back to the bare list.
 */
export function FilterForm({
  label,
  clearable = false,
  ref,
  action,
  scroll,
  pending,
  onSubmit,
  children,
}: FilterFormNavigation & { label: string; clearable?: boolean; children: ReactNode }) {
  return (
    <form
      ref={ref}
      role="search"
      aria-label={label}
      className="filters"
      action={action}
      method="get"
      onSubmit={onSubmit}
      data-pending={pending || undefined}
    >
      {children}
      <button type="submit" className="button">
        Search
      </button>
      {clearable ? (
        <Link href={action} className="button subtle" scroll={scroll}>
          Clear filters
        </Link>
      ) : null}
    </form>
  );
}
