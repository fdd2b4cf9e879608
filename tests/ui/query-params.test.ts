import { describe, expect, it } from 'vitest';
import { clampPage, desyncQueryString, MAX_SEARCH_LENGTH, parseAuditQuery, parseDesyncQuery } from '@/lib/data/query-params';
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

describe('formatRate', () => {
  it('shows one decimal and never claims 100.0% while a pair is out of sync', () => {
    expect(formatRate(0.9251)).toBe('92.5%');
    expect(formatRate(1, 10, 10)).toBe('100.0%');
    expect(formatRate(0.99996, 99_996, 100_000)).toBe('99.9%');
  });
});
