import { describe, expect, it } from 'vitest';
import { dayRangeBounds, parseDay } from '@/lib/data/query-filters';
import {
  auditFilters,
  auditQueryString,
  clampPage,
  desyncQueryString,
  hasFilters,
  jobFilters,
  jobItemsQueryString,
  jobQueryString,
  MAX_SEARCH_LENGTH,
  parseAuditQuery,
  parseDesyncQuery,
  parseJobItemsQuery,
  parseJobQuery,
} from '@/lib/data/query-params';
import { formatRate } from '@/lib/format';

const SPECS = ['COACH', 'INTERNSHIP', 'PLAYER'];

describe('desync query parameters', () => {
  it('accepts known filters and keeps them in the URL', () => {
    const q = parseDesyncQuery({ kind: 'LEVEL_MISMATCH', specialization: 'PLAYER', q: ' ana ', page: '3' }, SPECS);
    expect(q).toMatchObject({ kind: 'LEVEL_MISMATCH', specialization: 'PLAYER', search: 'ana', page: 3 });
    expect(q.invalid).toBeUndefined();
    expect(desyncQueryString({ ...q })).toBe('?kind=LEVEL_MISMATCH&specialization=PLAYER&q=ana&page=3');
  });

  it('keeps "Caused by" exactly as given, in the URL too, and refuses what no writer can be named', () => {
    const q = parseDesyncQuery({ causedBy: 'sql:legacy-x', kind: 'LEVEL_MISMATCH' }, SPECS);
    expect(q).toMatchObject({ causedBy: 'sql:legacy-x', kind: 'LEVEL_MISMATCH' });
    expect(q.invalid).toBeUndefined();
    expect(desyncQueryString({ ...q, page: 2 })).toBe('?kind=LEVEL_MISMATCH&causedBy=sql%3Alegacy-x&page=2');
    expect(parseDesyncQuery({ causedBy: ' a b ' }, SPECS).causedBy).toBe(' a b ');
    expect(parseDesyncQuery({ causedBy: 'x'.repeat(10_000) }, SPECS).invalid).toMatch(/Caused by/);
    expect(parseDesyncQuery({ causedBy: 'a\u0000b' }, SPECS).invalid).toMatch(/Caused by/);
  });

  it('turns unknown filter values into a readable notice, not an error', () => {
    expect(parseDesyncQuery({ kind: 'NOPE' }, SPECS).invalid).toMatch(/Unknown kind/);
    expect(parseDesyncQuery({ specialization: '<b>x</b>' }, SPECS).invalid).toMatch(/Unknown specialization/);
  });

  it('clamps pages and cuts overlong searches', () => {
    for (const page of ['-1', '0', 'abc', '1.5', '']) expect(parseDesyncQuery({ page }, SPECS).page).toBe(1);
    expect(parseDesyncQuery({ page: '1000000000' }, SPECS).page).toBe(1_000_000);
    const long = parseDesyncQuery({ q: 'x'.repeat(10_000) }, SPECS);
    expect(long.search).toHaveLength(MAX_SEARCH_LENGTH);
    expect(long.notices[0]).toMatch(/shortened/);
    expect(clampPage(1_000_000, 120)).toEqual({ page: 3, pageCount: 3, offset: 100 });
    expect(clampPage(5, 0)).toEqual({ page: 1, pageCount: 1, offset: 0 });
  });

  it('checks audit actions against the known list', () => {
    expect(parseAuditQuery({ action: 'SYNC_PAIR', actor: 'admin@x' })).toMatchObject({ action: 'SYNC_PAIR', actor: 'admin@x' });
    expect(parseAuditQuery({ action: 'DROP TABLE' }).invalid).toMatch(/Unknown action/);
  });
});

describe('job, job item and audit query parameters', () => {
  it('accepts every job filter, new statuses and triggers too, and keeps them in the URL', () => {
    const params = {
      status: 'CANCELLED',
      trigger: 'UNDO',
      actor: 'admin@x.test',
      learner: ' #42 ',
      from: '2026-03-01',
      to: '2026-03-02',
      page: '2',
    };
    const q = parseJobQuery(params);
    expect(q).toMatchObject({
      status: 'CANCELLED',
      trigger: 'UNDO',
      actor: 'admin@x.test',
      learner: '#42',
      from: '2026-03-01',
      to: '2026-03-02',
      page: 2,
    });
    expect(q.notices).toEqual([]);
    expect(q.invalid).toBeUndefined();
    const qs = jobQueryString(q);
    expect(qs).toBe('?status=CANCELLED&trigger=UNDO&actor=admin%40x.test&learner=%2342&from=2026-03-01&to=2026-03-02&page=2');
    expect(parseJobQuery(Object.fromEntries(new URLSearchParams(qs)))).toEqual(q);
    expect(jobFilters(q)).toEqual({
      status: 'CANCELLED',
      trigger: 'UNDO',
      actor: 'admin@x.test',
      learner: '#42',
      from: new Date('2026-03-01T00:00:00Z'),
      before: new Date('2026-03-03T00:00:00Z'),
    });
  });

  it('turns unknown statuses, triggers, outcomes and kinds into a readable sentence and an empty list', () => {
    expect(parseJobQuery({ status: 'cancelled' }).invalid).toMatch(/Unknown status “cancelled”.*CANCELLED/);
    expect(parseJobQuery({ trigger: "MANUAL' OR 1=1" }).invalid).toMatch(/Unknown trigger/);
    expect(parseJobQuery({ actor: 'a\u0000b' }).invalid).toMatch(/Started by/);
    expect(parseJobQuery({ actor: 'x'.repeat(1000) }).invalid).toMatch(/Started by/);
    expect(parseJobItemsQuery({ outcome: 'DONE' }).invalid).toMatch(/Unknown outcome.*CONFLICT/);
    expect(parseJobItemsQuery({ kind: '<b>' }).invalid).toMatch(/Unknown kind/);
    const items = parseJobItemsQuery({ outcome: 'CONFLICT', kind: 'LEVEL_MISMATCH', learner: 'ada', page: '3' });
    expect(items).toMatchObject({ outcome: 'CONFLICT', kind: 'LEVEL_MISMATCH', learner: 'ada', page: 3 });
    expect(items.invalid).toBeUndefined();
    expect(jobItemsQueryString({ outcome: 'CONFLICT', learner: '50%_', page: 1 })).toBe('?outcome=CONFLICT&learner=50%25_');
  });

  it('drops dates that are not days, with a notice, and swaps a reversed range', () => {
    for (const bad of [
      '2026-13-01',
      '2026-02-30',
      '2026-2-3',
      '1899-12-31',
      '0002-01-01',
      '20260301',
      'tomorrow',
      "2026-03-01' --",
      '+275760-09-13',
    ]) {
      const q = parseJobQuery({ from: bad });
      expect(q.from, bad).toBeUndefined();
      expect(q.notices, bad).toEqual([expect.stringMatching(/“From” .* is not a date/)]);
    }
    expect(parseDay('2024-02-29')).toBe('2024-02-29');
    expect(parseDay('2025-02-29')).toBeUndefined();
    const swapped = parseAuditQuery({ from: '2026-03-05', to: '2026-03-01' });
    expect(swapped).toMatchObject({ from: '2026-03-01', to: '2026-03-05' });
    expect(swapped.notices).toEqual([expect.stringMatching(/swapped/)]);
    // The last day is whole (up to the next day's midnight, UTC); the year 9999 stays in range.
    expect(dayRangeBounds({ from: '2026-03-01', to: '2026-03-01' })).toEqual({
      from: new Date('2026-03-01T00:00:00Z'),
      before: new Date('2026-03-02T00:00:00Z'),
    });
    expect(dayRangeBounds({ to: '9999-12-31' }).before!.getUTCFullYear()).toBe(9999);
    expect(parseJobQuery({ from: 'a\u0000\u0007b' }).notices[0]).toContain('(a  b)');
  });

  it('cleans and cuts the learner search, never refuses it', () => {
    const q = parseAuditQuery({ learner: `a\u0000b${'x'.repeat(10_000)}`, actor: 'admin@x.test', action: 'SYNC_PAIR' });
    expect(q.learner).toHaveLength(MAX_SEARCH_LENGTH);
    expect(q.learner!.startsWith('a b')).toBe(true);
    expect(q.notices).toEqual([expect.stringMatching(/learner search was shortened/)]);
    expect(parseJobQuery({ learner: '   ' }).learner).toBeUndefined();
    expect(parseJobQuery({ learner: ["' OR 1=1 --", 'second'] }).learner).toBe("' OR 1=1 --");
  });

  it('keeps the audit log’s learner and dates in its URL and its engine filters', () => {
    const q = parseAuditQuery({ actor: 'cli', learner: 'bob', from: '2026-01-31', to: '2026-02-01', page: '4' });
    expect(auditQueryString(q)).toBe('?actor=cli&learner=bob&from=2026-01-31&to=2026-02-01&page=4');
    expect(auditFilters(q)).toEqual({
      actor: 'cli',
      action: undefined,
      learner: 'bob',
      from: new Date('2026-01-31T00:00:00Z'),
      before: new Date('2026-02-02T00:00:00Z'),
    });
  });

  it('offers "Clear filters" when the URL names any filter, even a refused one', () => {
    expect(hasFilters({})).toBe(false);
    expect(hasFilters({ page: '3' })).toBe(false);
    expect(hasFilters({ learner: ' ' })).toBe(false);
    expect(hasFilters({ status: 'NOPE' })).toBe(true);
    expect(hasFilters({ from: '2026-03-01', page: '2' })).toBe(true);
  });
});

describe('formatRate', () => {
  it('shows one decimal and never claims 100.0% while a pair is out of sync', () => {
    expect(formatRate(0.9251)).toBe('92.5%');
    expect(formatRate(1, 10, 10)).toBe('100.0%');
    expect(formatRate(0.99996, 99_996, 100_000)).toBe('99.9%');
  });
});
