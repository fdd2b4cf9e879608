'use client';

import { DayRangeFields } from '@/components/ui/day-range-fields';
import { FilterForm } from '@/components/ui/filter-form';
import { FilterSelect } from '@/components/ui/filter-select';
import { SearchField } from '@/components/ui/search-field';
import { useFilterNavigation } from '@/components/ui/use-filter-navigation';
import { auditQueryString, type AuditQuery } from '@/lib/data/query-params';

type Current = Omit<AuditQuery, 'page' | 'notices' | 'invalid'>;

/**
 * Actor, Action, From/To (UTC days) and "Learner" (the events about a learner: id, email or name)
 * of the audit log. Every change goes into the URL (page back to 1), so a link reproduces the view;
 * it is a plain GET form without JavaScript. `clearable`: the URL names any filter.
 */
export function AuditFilters({
  actors,
  actions,
  current,
  clearable,
}: {
  actors: string[];
  actions: readonly string[];
  current: Current;
  clearable: boolean;
}) {
  const { form, go, select, searchField } = useFilterNavigation({ base: '/audit', current, query: auditQueryString, search: 'learner' });

  return (
    <FilterForm label="Filter the audit log" clearable={clearable} {...form}>
      <FilterSelect id="filter-actor" label="Actor" allLabel="All actors" options={actors} keepValue {...select('actor')} />
      <FilterSelect id="filter-action" label="Action" allLabel="All actions" options={actions} {...select('action')} />
      <DayRangeFields
        idPrefix="audit-filter"
        current={{ from: current.from, to: current.to }}
        onChange={(range) => go({ ...current, ...range })}
      />
      <SearchField id="audit-filter-learner" label="Learner" placeholder="ID, name or email" {...searchField} />
    </FilterForm>
  );
}
