'use client';

import { DayRangeFields } from '@/components/ui/day-range-fields';
import { FilterForm } from '@/components/ui/filter-form';
import { FilterSelect } from '@/components/ui/filter-select';
import { SearchField } from '@/components/ui/search-field';
import { useFilterNavigation } from '@/components/ui/use-filter-navigation';
import { jobQueryString, type JobQuery } from '@/lib/data/query-params';
import { SYNC_JOB_STATUSES, SYNC_TRIGGERS } from '@/lib/vocabulary';

type Current = Omit<JobQuery, 'page' | 'notices' | 'invalid'>;

/**
 * The job history's filters: Status, Trigger, "Started by" (the actors that started jobs), From/To
 * (UTC days) and "Learner" (every job that touched a learner: id, email or name). Every change
 * goes into the URL (page back to 1), so a link reproduces the view; it is a plain GET form
 * without JavaScript. `clearable`: the URL names any filter, even one that was refused.
 */
export function JobFilters({ actors, current, clearable }: { actors: readonly string[]; current: Current; clearable: boolean }) {
  const { form, go, select, searchField } = useFilterNavigation({ base: '/jobs', current, query: jobQueryString, search: 'learner' });

  return (
    <FilterForm label="Filter sync jobs" clearable={clearable} {...form}>
      <FilterSelect id="job-filter-status" label="Status" allLabel="All statuses" options={SYNC_JOB_STATUSES} {...select('status')} />
      <FilterSelect id="job-filter-trigger" label="Trigger" allLabel="All triggers" options={SYNC_TRIGGERS} {...select('trigger')} />
      {/* An actor whose jobs were all pruned meanwhile stays selectable while the URL names it. */}
      <FilterSelect id="job-filter-actor" label="Started by" allLabel="Anyone" options={actors} keepValue {...select('actor')} />
      <DayRangeFields
        idPrefix="job-filter"
        current={{ from: current.from, to: current.to }}
        onChange={(range) => go({ ...current, ...range })}
      />
      <SearchField id="job-filter-learner" label="Learner" placeholder="ID, name or email" {...searchField} />
    </FilterForm>
  );
}
