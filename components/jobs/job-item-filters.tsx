'use client';

import { FilterForm } from '@/components/ui/filter-form';
import { FilterSelect } from '@/components/ui/filter-select';
import { SearchField } from '@/components/ui/search-field';
import { useFilterNavigation } from '@/components/ui/use-filter-navigation';
import { jobItemsQueryString, type JobItemsQuery } from '@/lib/data/query-params';
import { DESYNC_KINDS, SYNC_ITEM_OUTCOMES } from '@/lib/vocabulary';

type Current = Omit<JobItemsQuery, 'page' | 'notices' | 'invalid'>;

/**
 * Outcome, Kind and "Learner" (id, email or name) of a job's items. Every change goes into the URL
 * (page back to 1), so a link reproduces the view; it is a plain GET form without JavaScript.
 * `clearable`: the URL names any filter.
 */
export function JobItemFilters({ jobId, current, clearable }: { jobId: number; current: Current; clearable: boolean }) {
  const { form, select, searchField } = useFilterNavigation({
    base: `/jobs/${jobId}`,
    current,
    query: jobItemsQueryString,
    search: 'learner',
    scroll: false,
  });

  return (
    <FilterForm label="Filter job items" clearable={clearable} {...form}>
      <FilterSelect id="item-filter-outcome" label="Outcome" allLabel="All outcomes" options={SYNC_ITEM_OUTCOMES} {...select('outcome')} />
      <FilterSelect id="item-filter-kind" label="Kind" allLabel="All kinds" options={DESYNC_KINDS} {...select('kind')} />
      <SearchField id="item-filter-learner" label="Learner" placeholder="ID, name or email" {...searchField} />
    </FilterForm>
  );
}
