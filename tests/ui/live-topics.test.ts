import { describe, expect, it } from 'vitest';
import { refreshChoices } from '../../components/dashboard/refresh-controls';
import { pageRefreshesOn, queryKeysFor } from '../../components/live/live-topics';
import { queryKeys } from '../../components/query-keys';
import { invalidateDataSchema, liveDataSchema, parseEventData } from '../../lib/events/topics';

describe('what an event refreshes in the browser', () => {
  it('maps topics to the react-query keys that read them, each key once', () => {
    expect(queryKeysFor(['desyncs'])).toEqual([queryKeys.dashboard]);
    expect(queryKeysFor(['checks'])).toEqual([queryKeys.dashboard, queryKeys.trend]);
    expect(queryKeysFor(['jobs'])).toEqual([queryKeys.runningJob, queryKeys.dashboard, queryKeys.trend, queryKeys.jobHistory]);
    expect(queryKeysFor(['desyncs', 'jobs', 'checks'])).toEqual([
      queryKeys.dashboard,
      queryKeys.runningJob,
      queryKeys.trend,
      queryKeys.jobHistory,
    ]);
    expect(queryKeysFor(['incidents'])).toEqual([queryKeys.openIncidents]);
    // The prefix keys reach every range's query when invalidated.
    expect(queryKeys.trendOf('7d').slice(0, 1)).toEqual(queryKeys.trend);
    expect(queryKeys.jobHistoryOf('90d').slice(0, 1)).toEqual(queryKeys.jobHistory);
    expect(queryKeysFor([])).toEqual([]);
  });

  it('refreshes the server-rendered lists that show a topic, and no other page', () => {
    expect(pageRefreshesOn('/desyncs', ['desyncs'])).toBe(true);
    expect(pageRefreshesOn('/desyncs', ['checks'])).toBe(true);
    expect(pageRefreshesOn('/desyncs', ['jobs'])).toBe(false);
    expect(pageRefreshesOn('/jobs', ['jobs'])).toBe(true);
    expect(pageRefreshesOn('/jobs/12', ['jobs'])).toBe(true);
    expect(pageRefreshesOn('/jobs', ['desyncs', 'checks'])).toBe(false);
    expect(pageRefreshesOn('/learners/7', ['desyncs'])).toBe(true);
    expect(pageRefreshesOn('/learners/7', ['jobs'])).toBe(true);
    expect(pageRefreshesOn('/incidents', ['incidents'])).toBe(true);
    expect(pageRefreshesOn('/incidents/3', ['incidents'])).toBe(true);
    expect(pageRefreshesOn('/incidents', ['desyncs', 'jobs', 'checks'])).toBe(false);
    for (const path of ['/', '/learners', '/audit', '/settings/api-keys', '/settings/notifications', '/desyncs/export', null]) {
      expect(pageRefreshesOn(path, ['desyncs', 'jobs', 'checks', 'incidents'])).toBe(false);
    }
  });

  it('validates the stream data, dropping topics it does not know', () => {
    expect(parseEventData(invalidateDataSchema, '{"topics":["jobs","later-topic","desyncs"]}')).toEqual({ topics: ['desyncs', 'jobs'] });
    expect(parseEventData(invalidateDataSchema, '{"topics":"jobs"}')).toBeNull();
    expect(parseEventData(invalidateDataSchema, 'not json')).toBeNull();
    expect(parseEventData(liveDataSchema, '{"live":false}')).toEqual({ live: false });
    expect(parseEventData(liveDataSchema, '{"live":"yes"}')).toBeNull();
    expect(parseEventData(liveDataSchema, undefined)).toBeNull();
  });

  it('offers the configured default interval in "Refresh every"', () => {
    expect(refreshChoices(10)).toEqual([5, 10, 30, 60]);
    expect(refreshChoices(15)).toEqual([5, 10, 15, 30, 60]);
    expect(refreshChoices(120)).toEqual([5, 10, 30, 60, 120]);
  });
});
