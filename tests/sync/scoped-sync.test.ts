import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listDesyncs, MAX_SELECTED_PAIRS, runSyncJob, startSyncJob, type JobScope } from '../../lib/sync';
import type { DesyncFilters } from '../../lib/sync/desyncs';
import { db, rawClient, testDatabaseUrl } from '../support/db';
import { createPair, testActor } from '../support/factories';
import { codeOf, countRows, installGate, itemsOf, jobRow, keyOf, removeGate, waitUntil } from '../support/jobs';

/**
 * A scoped sync job repairs exactly the desyncs the filtered /desyncs list shows (the same WHERE,
 * lib/sync/desyncs.ts#desyncWhere), or one learner's, or the pairs picked, and nothing else; its
 * scope is stored on the job; a pair that became consistent before its batch locked it is SKIPPED.
 */

let c: pg.Client;
let legacy: pg.Client;
beforeAll(async () => {
  c = await rawClient();
  legacy = new pg.Client({ connectionString: testDatabaseUrl, application_name: 'legacy-x' });
  await legacy.connect();
});
afterAll(async () => {
  await legacy.end();
  await c.end();
});
beforeEach(async () => {
  await c.query(`TRUNCATE current_desyncs, sync_job_items, sync_jobs, audit_events, specialization_progress, user_licenses`);
  await c.query(`DELETE FROM users WHERE email LIKE '%@scope.test'`);
});
afterEach(async () => {
  await removeGate(c);
});

async function learner(client: pg.Client, email: string, name = 'Scoped Learner'): Promise<number> {
  const { rows } = await client.query<{ id: number }>(`INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id`, [email, name]);
  return rows[0]!.id;
}

/** Desyncs of several kinds in several specializations, by two writers, for learners worth searching for. */
async function world() {
  const ann = await learner(c, 'ann_50%@scope.test', 'Ann Percent');
  const decoy = await learner(c, 'annx50y@scope.test', 'Ann Decoy'); // matches n_50% only as a LIKE pattern
  const bob = await learner(c, 'bob@scope.test', 'Bob Back\\slash');
  const cy = await learner(legacy, 'cy@scope.test', 'Cy Legacy');
  await createPair(c, { userId: ann, progressLevel: 3, licenseLevel: 1 }); // PLAYER LEVEL_MISMATCH
  await createPair(c, { userId: ann, spec: 'COACH', progressLevel: 2, licenseLevel: null }); // COACH MISSING_LICENSE
  await createPair(c, { userId: decoy, progressLevel: 2, licenseLevel: 1 }); // PLAYER LEVEL_MISMATCH
  await createPair(c, { userId: decoy, spec: 'COACH', progressLevel: 4, licenseLevel: 2 }); // COACH LEVEL_MISMATCH
  await createPair(c, { userId: bob, spec: 'COACH', progressLevel: null, licenseLevel: 3 }); // COACH MISSING_PROGRESS
  await createPair(c, { userId: bob, spec: 'INTERNSHIP', progressLevel: 2, licenseLevel: 2, xp: 1 }); // INVALID_PROGRESS
  await createPair(c, { userId: bob, progressLevel: 1, licenseLevel: 1 }); // consistent
  await createPair(legacy, { userId: cy, progressLevel: 4, licenseLevel: 2 }); // PLAYER LEVEL_MISMATCH by sql:legacy-x
  await createPair(legacy, { userId: cy, spec: 'COACH', progressLevel: 1, licenseLevel: null }); // COACH MISSING_LICENSE by legacy
  for (let i = 0; i < 4; i++) await createPair(c, { progressLevel: 2 + (i % 2), licenseLevel: 1 }); // more PLAYER mismatches
  await createPair(c, { spec: 'INTERNSHIP', progressLevel: 3, licenseLevel: 2 }); // INTERNSHIP LEVEL_MISMATCH
  return { ann, decoy, bob, cy };
}

/** Every desync listed (all pages) as key -> kind. */
async function listed(filters: Omit<DesyncFilters, 'learner' | 'pairs'> = {}) {
  const out = new Map<string, string>();
  for (let cursor: string | null = null, first = true; first || cursor; first = false) {
    const page: Awaited<ReturnType<typeof listDesyncs>> = await listDesyncs(db, { ...filters, limit: 3, cursor });
    for (const d of page.items) out.set(keyOf(d.userId, d.specializationId), d.kind);
    cursor = page.nextCursor;
  }
  return out;
}

/**
 * Runs a job with `scope` and checks it against `expected` (key -> kind): the preview and the
 * job find exactly those, the job repairs exactly those, every other desync is still listed, and
 * the scope is stored on the job and in its SYNC_JOB_STARTED event.
 */
async function expectRepairsExactly(scope: JobScope, expected: Map<string, string>, stored: unknown = scope) {
  expect(expected.size).toBeGreaterThan(0);
  const before = await listed();
  const preview = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor, scope, dryRun: true });
  expect(preview.found).toBe(expected.size);
  expect(preview.scope).toEqual(stored);
  expect(new Set(preview.items.map((i) => keyOf(i.userId, i.specializationId)))).toEqual(new Set(expected.keys()));
  expect(Object.values(preview.byKind).reduce((a, b) => a + b, 0)).toBe(expected.size);
  const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor, scope, batchSize: 2 });
  expect(job).toMatchObject({ status: 'SUCCEEDED', found: expected.size, synced: expected.size, failed: 0, scope: stored });
  const items = await itemsOf(c, job.id);
  expect(new Map(items.map((i) => [keyOf(i.user_id, i.spec), i.kind]))).toEqual(expected);
  expect(items.every((i) => i.outcome === 'SYNCED')).toBe(true);
  const rest = new Map([...before].filter(([k]) => !expected.has(k)));
  expect(await listed()).toEqual(rest);
  expect((await jobRow(c, job.id)).scope).toEqual(stored);
  const started = await c.query(`SELECT after FROM audit_events WHERE action = 'SYNC_JOB_STARTED' AND sync_job_id = $1`, [job.id]);
  expect(started.rows[0].after).toEqual(stored === null ? { found: expected.size } : { found: expected.size, scope: stored });
  return job;
}

describe('a scoped sync job repairs exactly the filtered desyncs', () => {
  it('kind and specialization: what listDesyncs shows for them, nothing else', async () => {
    await world();
    const filters = { kind: 'LEVEL_MISMATCH', specialization: 'PLAYER' } as const;
    const expected = await listed(filters);
    expect(expected.size).toBe(7);
    await expectRepairsExactly(filters, expected);
    expect((await listDesyncs(db, filters)).total).toBe(0);
    expect((await listDesyncs(db, { kind: 'LEVEL_MISMATCH' })).total).toBe(2); // COACH and INTERNSHIP still there
  });

  it('search by email or name: LIKE wildcards and backslashes match literally, as in the list', async () => {
    const w = await world();
    const literal = await listed({ search: 'n_50%' });
    expect([...literal.keys()].map((k) => Number(k.split(':')[0]))).toEqual([w.ann, w.ann]);
    await expectRepairsExactly({ search: 'n_50%' }, literal);
    const byName = await listed({ search: 'back\\SLASH' });
    expect([...byName.keys()].every((k) => k.startsWith(`${w.bob}:`))).toBe(true);
    await expectRepairsExactly({ search: '  back\\SLASH ' }, byName, { search: 'back\\SLASH' });
    // A search that matches nothing repairs nothing, SQL or not.
    for (const search of ["'; DROP TABLE users; --", '%', '_', '\\']) {
      expect((await listDesyncs(db, { search })).total).toBe(0);
      const job = await runSyncJob(db, { trigger: 'MANUAL', actor: testActor, scope: { search } });
      expect(job).toMatchObject({ status: 'SUCCEEDED', found: 0, synced: 0 });
    }
    expect(await countRows(c, 'sync_jobs')).toBe(6);
  });

  it('caused by one writer (a raw connection named legacy-x)', async () => {
    const w = await world();
    const expected = await listed({ causedBy: 'sql:legacy-x' });
    expect([...expected.keys()].sort()).toEqual([keyOf(w.cy, 'COACH'), keyOf(w.cy, 'PLAYER')].sort());
    await expectRepairsExactly({ causedBy: 'sql:legacy-x' }, expected);
    const combined = await listed({ kind: 'LEVEL_MISMATCH', specialization: 'COACH', search: 'annx' });
    expect(combined.size).toBe(1);
    await expectRepairsExactly({ kind: 'LEVEL_MISMATCH', specialization: 'COACH', search: 'annx' }, combined);
  });

  it('one learner, or the pairs picked: only those that are desyncs', async () => {
    const w = await world();
    const all = await listed();
    const ofBob = new Map([...all].filter(([k]) => k.startsWith(`${w.bob}:`)));
    expect(ofBob.size).toBe(2); // his PLAYER pair is consistent
    await expectRepairsExactly({ learner: w.bob }, ofBob);
    const picked = [
      { userId: w.ann, specializationId: 'COACH' as const },
      { userId: w.decoy, specializationId: 'PLAYER' as const },
      { userId: w.bob, specializationId: 'PLAYER' as const }, // consistent: nothing to do
      { userId: 2_000_000_000, specializationId: 'PLAYER' as const }, // no such pair
    ];
    const expected = new Map([...all].filter(([k]) => [keyOf(w.ann, 'COACH'), keyOf(w.decoy, 'PLAYER')].includes(k)));
    await expectRepairsExactly({ pairs: picked }, expected);
    // As many as may be picked: all but one name no pair.
    const maxed = Array.from({ length: MAX_SELECTED_PAIRS - 1 }, (_, i) => ({
      userId: 1_000_000 + i,
      specializationId: 'PLAYER' as const,
    }));
    maxed.push({ userId: w.cy, specializationId: 'PLAYER' });
    const one = new Map([...all].filter(([k]) => k === keyOf(w.cy, 'PLAYER')));
    await expectRepairsExactly({ pairs: maxed }, one);
  });

  it('an empty scope (or one of blank keys) is every desync, stored as none', async () => {
    await world();
    const all = await listed();
    const job = await expectRepairsExactly({ search: '   ' }, all, null);
    expect(job.scope).toBeNull();
  });
});

describe('pairs are re-decided under lock', () => {
  it('a pair in scope that became consistent before its batch is SKIPPED; one that changed kind is repaired as it is now', async () => {
    const w = await world();
    const scope = { specialization: 'PLAYER', kind: 'LEVEL_MISMATCH' } as const;
    const planned = [...(await listed(scope)).keys()].sort((a, b) => Number(a.split(':')[0]) - Number(b.split(':')[0]));
    const [first, second, third] = planned.map((k) => Number(k.split(':')[0]));
    const gate = await installGate(c, [first!]);
    await gate.close();
    const job = await startSyncJob(db, { trigger: 'MANUAL', actor: testActor, scope, batchSize: 1 });
    await waitUntil(async () => (await gate.waiting()) > 0);
    // While the first batch is held: the second pair is mended by hand, the third loses its license.
    await c.query(
      `UPDATE user_licenses l SET current_level = p.current_level FROM specialization_progress p
                   WHERE p.user_id = l.user_id AND p.specialization_id = l.specialization_id
                     AND l.user_id = $1 AND l.specialization_id = 'PLAYER'`,
      [second],
    );
    await c.query(`DELETE FROM user_licenses WHERE user_id = $1 AND specialization_id = 'PLAYER'`, [third]);
    await gate.open();
    await waitUntil(async () => (await jobRow(c, job.id)).status !== 'RUNNING');
    const row = await jobRow(c, job.id);
    expect(row).toMatchObject({ status: 'SUCCEEDED', found: planned.length, done: planned.length, synced: planned.length - 1 });
    const items = new Map((await itemsOf(c, job.id)).map((i) => [i.user_id, i]));
    expect(items.get(second!)).toMatchObject({ outcome: 'SKIPPED', kind: 'LEVEL_MISMATCH' });
    expect(items.get(third!)).toMatchObject({ outcome: 'SYNCED', kind: 'MISSING_LICENSE' });
    const repairs = await c.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'SYNC_JOB_REPAIR' AND user_id = $1`, [
      second,
    ]);
    expect(repairs.rows[0].n).toBe(0);
    expect((await listDesyncs(db, scope)).total).toBe(0);
    expect([...(await listed({ search: 'ann_50%' })).keys()]).toEqual([keyOf(w.ann, 'COACH')]); // out of scope: left alone
  });
});

describe('a NUL byte in a search', () => {
  it('is refused in a scope, and in the list matches nothing, as desyncWhere documents', async () => {
    await world();
    expect(await codeOf(runSyncJob(db, { trigger: 'MANUAL', actor: testActor, scope: { search: 'n_5\u00000%' } }))).toBe('VALIDATION');
    expect((await listDesyncs(db, { search: 'n_5\u00000%' })).total).toBe(0);
  });
});

describe('hostile scopes are refused before anything is written', () => {
  it('unknown keys, wrong types, huge arrays, NUL bytes, SQL, bad ids: VALIDATION, no job row', async () => {
    await world();
    const pair = { userId: 1, specializationId: 'PLAYER' };
    const nullProto = Object.assign(Object.create(null) as object, { kind: 'LEVEL_MISMATCH' });
    const hostile: unknown[] = [
      'PLAYER',
      42,
      true,
      [],
      [{ kind: 'LEVEL_MISMATCH' }],
      new Date(),
      new Map([['kind', 'LEVEL_MISMATCH']]),
      nullProto,
      { extra: 1 },
      { kind: 'LEVEL_MISMATCH', where: '1=1' },
      JSON.parse('{"__proto__": {"kind": "LEVEL_MISMATCH"}}'),
      ...['NOPE', 'level_mismatch', "LEVEL_MISMATCH' OR 1=1 --", 1, null, ['LEVEL_MISMATCH']].map((kind) => ({ kind })),
      ...['player', "PLAYER'; DROP TABLE users; --", '', ['PLAYER'], 7].map((specialization) => ({ specialization })),
      ...['a\u0000b', 'x'.repeat(201), 42, {}, ['ann'], null].map((search) => ({ search })),
      ...['', 'sql:\u0000', 'x'.repeat(321), 42, { $ne: '' }].map((causedBy) => ({ causedBy })),
      ...[0, -1, NaN, Infinity, 2 ** 31, 1.5, '5', null, 10n, [1]].map((learner) => ({ learner })),
      { pairs: [] },
      { pairs: Array.from({ length: MAX_SELECTED_PAIRS + 1 }, (_, i) => ({ userId: i + 1, specializationId: 'PLAYER' })) },
      { pairs: [{ userId: 1 }] },
      { pairs: [{ ...pair, extra: 1 }] },
      { pairs: [{ ...pair, userId: '1' }] },
      { pairs: [{ ...pair, userId: 0 }] },
      { pairs: [{ ...pair, userId: 2 ** 31 }] },
      { pairs: [{ ...pair, specializationId: "PLAYER' --" }] },
      { pairs: [null] },
      { pairs: 'all' },
      { pairs: { 0: pair, length: 1 } },
    ];
    const jobs = await countRows(c, 'sync_jobs');
    const audits = await countRows(c, 'audit_events');
    const desyncs = await listed();
    for (const scope of hostile) {
      const s = scope as JobScope;
      const label = String(JSON.stringify(scope, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)))?.slice(0, 80);
      expect(await codeOf(runSyncJob(db, { trigger: 'MANUAL', actor: testActor, scope: s })), label).toBe('VALIDATION');
      expect(await codeOf(startSyncJob(db, { trigger: 'MANUAL', actor: testActor, scope: s })), label).toBe('VALIDATION');
      expect(await codeOf(() => runSyncJob(db, { trigger: 'MANUAL', actor: testActor, scope: s, dryRun: true })), label).toBe('VALIDATION');
    }
    for (const batchSize of [0, -1, 1.5, 10_001, NaN]) {
      expect(await codeOf(runSyncJob(db, { trigger: 'MANUAL', actor: testActor, batchSize }))).toBe('VALIDATION');
    }
    expect(await countRows(c, 'sync_jobs')).toBe(jobs);
    expect(await countRows(c, 'audit_events')).toBe(audits);
    expect(await listed()).toEqual(desyncs);
  });
});
