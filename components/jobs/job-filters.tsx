'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useTransition, type FormEvent } from 'react';
import { DayRangeFields } from '@/components/ui/day-range-fields';
import { SearchField, searchOf } from '@/components/ui/search-field';
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
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const go = (next: Current) => startTransition(() => router.push(`/jobs${jobQueryString({ ...next, learner: next.learner?.trim() })}`));
  const typed = (form: HTMLFormElement | null) => ({ ...current, learner: searchOf(form, 'learner') });
  const onSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    go(typed(e.currentTarget));
  };
  // An actor whose jobs were all pruned meanwhile stays selectable while the URL names it.
  const actorOptions = current.actor && !actors.includes(current.actor) ? [current.actor, ...actors] : actors;

  return (
    <form
      role="search"
      aria-label="Filter sync jobs"
      className="filters"
      action="/jobs"
      method="get"
      onSubmit={onSubmit}
      data-pending={pending || undefined}
    >
      <div className="field">
        <label htmlFor="job-filter-status">Status</label>
        <select
          id="job-filter-status"
          name="status"
          value={current.status ?? ''}
          onChange={(e) => go({ ...typed(e.currentTarget.form), status: (e.currentTarget.value || undefined) as Current['status'] })}
        >
          <option value="">All statuses</option>
          {SYNC_JOB_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="job-filter-trigger">Trigger</label>
        <select
          id="job-filter-trigger"
          name="trigger"
          value={current.trigger ?? ''}
          onChange={(e) => go({ ...typed(e.currentTarget.form), trigger: (e.currentTarget.value || undefined) as Current['trigger'] })}
        >
          <option value="">All triggers</option>
          {SYNC_TRIGGERS.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="job-filter-actor">Started by</label>
        <select
          id="job-filter-actor"
          name="actor"
          value={current.actor ?? ''}
          onChange={(e) => go({ ...typed(e.currentTarget.form), actor: e.currentTarget.value || undefined })}
        >
          <option value="">Anyone</option>
          {actorOptions.map((a) => (
            <option key={a} value={a}>
              {a}
            </option>
          ))}
        </select>
      </div>
      <DayRangeFields
        idPrefix="job-filter"
        current={{ from: current.from, to: current.to }}
        onChange={(range) => go({ ...current, ...range, learner: current.learner })}
      />
      <SearchField
        id="job-filter-learner"
        name="learner"
        label="Learner"
        placeholder="ID, name or email"
        current={current.learner}
        onSearch={(learner) => go({ ...current, learner })}
      />
      <button type="submit" className="button">
        Search
      </button>
      {clearable ? (
        <Link href="/jobs" className="button subtle">
          Clear filters
        </Link>
      ) : null}
    </form>
  );
}
