import type { QueryKey } from '@tanstack/react-query';
import { queryKeys } from '@/components/query-keys';
import type { EventTopic } from '@/lib/events/topics';

/** The react-query keys that read what a topic's changes touch. */
const KEYS_OF: Record<EventTopic, readonly QueryKey[]> = {
  desyncs: [queryKeys.dashboard],
  checks: [queryKeys.dashboard, queryKeys.trend],
  // The trend marks the jobs; the job history chart shows the finished ones.
  jobs: [queryKeys.runningJob, queryKeys.dashboard, queryKeys.trend, queryKeys.jobHistory],
  incidents: [queryKeys.openIncidents],
};

export function queryKeysFor(topics: readonly EventTopic[]): QueryKey[] {
  const keys = new Map<string, QueryKey>();
  for (const topic of topics) for (const key of KEYS_OF[topic]) keys.set(JSON.stringify(key), key);
  return [...keys.values()];
}

/**
 * Server-rendered pages that show what a topic changes, refreshed (router.refresh) when it does.
 * A learner's page shows their pairs (desyncs, repaired by jobs) and their history (audit rows).
 * The incident pages show the incidents, their timelines and their deliveries.
 */
const PAGES: { pattern: RegExp; topics: readonly EventTopic[] }[] = [
  { pattern: /^\/desyncs\/?$/, topics: ['desyncs', 'checks'] },
  { pattern: /^\/jobs(\/\d+)?\/?$/, topics: ['jobs'] },
  { pattern: /^\/learners\/\d+\/?$/, topics: ['desyncs', 'jobs', 'checks'] },
  { pattern: /^\/incidents(\/\d+)?\/?$/, topics: ['incidents'] },
];

export function pageRefreshesOn(pathname: string | null, topics: readonly EventTopic[]): boolean {
  if (!pathname) return false;
  const page = PAGES.find((p) => p.pattern.test(pathname));
  return !!page && topics.some((t) => page.topics.includes(t));
}
