'use client';

import { FilterForm } from '@/components/ui/filter-form';
import { FilterSelect } from '@/components/ui/filter-select';
import { useFilterNavigation } from '@/components/ui/use-filter-navigation';
import { INCIDENT_STATE_LABELS, INCIDENT_STATES, incidentQueryString, type IncidentQuery } from '@/lib/data/incident-query';
import { CONDITION_LABELS, INCIDENT_CONDITIONS } from '@/lib/vocabulary';

type Current = Pick<IncidentQuery, 'state' | 'condition'>;

/** The incident list's filters, State (open, resolved or all) and Condition, in the URL like every list's. */
export function IncidentFilters({ current, clearable }: { current: Current; clearable: boolean }) {
  const { form, select } = useFilterNavigation({ base: '/incidents', current, query: incidentQueryString });
  return (
    <FilterForm label="Filter incidents" clearable={clearable} {...form}>
      <FilterSelect
        id="incident-filter-state"
        label="State"
        allLabel="All states"
        options={INCIDENT_STATES}
        labels={INCIDENT_STATE_LABELS}
        {...select('state')}
      />
      <FilterSelect
        id="incident-filter-condition"
        label="Condition"
        allLabel="All conditions"
        options={INCIDENT_CONDITIONS}
        labels={CONDITION_LABELS}
        {...select('condition')}
      />
    </FilterForm>
  );
}
