'use client';

import { FilterForm } from '@/components/ui/filter-form';
import { FilterSelect } from '@/components/ui/filter-select';
import { SearchField } from '@/components/ui/search-field';
import { useFilterNavigation } from '@/components/ui/use-filter-navigation';
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
  // The search is `?q=`, the SearchField's default name.
  const { form, select, searchField } = useFilterNavigation({
    base: '/desyncs',
    current,
    query: desyncQueryString,
    search: 'search',
    searchName: 'q',
  });
  const specializationIds = specializations.map((s) => s.id);

  return (
    <FilterForm label="Filter desyncs" {...form}>
      <FilterSelect id="filter-kind" label="Kind" allLabel="All kinds" options={kinds} {...select('kind')} />
      <FilterSelect
        id="filter-specialization"
        label="Specialization"
        allLabel="All specializations"
        options={specializationIds}
        {...select('specialization')}
      />
      {/* A writer whose desyncs were all repaired meanwhile stays selectable while the URL names it. */}
      <FilterSelect id="filter-caused-by" label="Caused by" allLabel="All writers" options={writers} keepValue {...select('causedBy')} />
      <SearchField id="filter-search" {...searchField} />
    </FilterForm>
  );
}
