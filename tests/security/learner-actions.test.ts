import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as NextAuth from 'next-auth';
import type pg from 'pg';
import { db, rawClient } from '../support/db';
import { createLearner, createPair, readPairRaw } from '../support/factories';

/**
 * The learner page's server actions (enroll, record progress, advance and demote a license):
 * ADMIN only, every refusal audited; hostile input is a VALIDATION error that writes nothing; a
 * stale version is a CONFLICT that writes nothing. Only the next-auth session lookup is faked
 * (as in authorization-matrix.test.ts); roles come from the real database.
 */
const session = vi.hoisted(() => ({ current: null as null | { user: { id: string; email: string; role: string } } }));
vi.mock('next-auth', async (importOriginal) => ({
  ...(await importOriginal<typeof NextAuth>()),
  getServerSession: async () => session.current,
}));
vi.mock('next/cache', () => ({ revalidatePath: () => {} }));
vi.mock('next/headers', () => ({ headers: async () => new Headers(), cookies: async () => ({ get: () => undefined, getAll: () => [] }) }));

const { enrollAction } = await import('@/lib/actions/enroll');
const { recordProgressAction } = await import('@/lib/actions/record-progress');
const { advanceLicenseAction } = await import('@/lib/actions/advance-license');
const { demoteLicenseAction } = await import('@/lib/actions/demote-license');

type Result = { ok: boolean; error?: { code: string; message: string } };
type Action = (input?: unknown) => Promise<Result>;

let c: pg.Client;
/** A learner with a consistent PLAYER pair at level 2, and one enrolled in nothing. */
let learner: number;
let newcomer: number;
const staff = new Map<'VIEWER' | 'ADMIN', { id: number; email: string }>();

function as(who: 'VIEWER' | 'ADMIN' | 'signed-out') {
  const u = who === 'signed-out' ? undefined : staff.get(who);
  session.current = u ? { user: { id: String(u.id), email: u.email, role: who } } : null;
}

async function versions() {
  const pair = await readPairRaw(c, learner, 'PLAYER');
  return { progress: pair.progress!.version as number, license: pair.license!.version as number };
}

/** Valid inputs for each action, against the pair as it is now. */
async function validInputs(): Promise<Record<string, Record<string, unknown>>> {
  const v = await versions();
  return {
    enroll: { userId: newcomer, specializationId: 'COACH' },
    recordProgress: { userId: learner, specializationId: 'PLAYER', xpGained: 10, sessionsCompleted: 1, expectedVersion: v.progress },
    advanceLicense: { userId: learner, specializationId: 'PLAYER', targetLevel: 3, reason: 'earned', expectedVersion: v.license },
    demoteLicense: { userId: learner, specializationId: 'PLAYER', targetLevel: 1, reason: 'mistake', expectedVersion: v.license },
  };
}

const ACTIONS: Record<string, [Action, string]> = {
  enroll: [enrollAction, 'ENROLL'],
  recordProgress: [recordProgressAction, 'RECORD_PROGRESS'],
  advanceLicense: [advanceLicenseAction, 'ADVANCE_LICENSE'],
  demoteLicense: [demoteLicenseAction, 'DEMOTE_LICENSE'],
};

/** Everything these actions could write: the pair rows and every audit event but refusals. */
async function fingerprint() {
  const { rows } = await c.query(`
    SELECT (SELECT md5(coalesce(string_agg(p::text, ',' ORDER BY user_id, specialization_id), ''))
            FROM specialization_progress p) AS progress,
           (SELECT md5(coalesce(string_agg(l::text, ',' ORDER BY user_id, specialization_id), '')) FROM user_licenses l) AS licenses,
           (SELECT count(*) FROM audit_events WHERE action <> 'ACCESS_DENIED') AS audit`);
  return rows[0];
}

async function denials(attempted: string): Promise<number> {
  const { rows } = await c.query<{ n: string }>(
    `SELECT count(*) AS n FROM audit_events WHERE action = 'ACCESS_DENIED' AND after->>'attempted' = $1`,
    [attempted],
  );
  return Number(rows[0]!.n);
}

beforeAll(async () => {
  c = await rawClient();
  learner = (await createPair(c, { spec: 'PLAYER', progressLevel: 2, licenseLevel: 2 })).userId;
  newcomer = await createLearner(c, 'Newcomer');
  for (const role of ['VIEWER', 'ADMIN'] as const) {
    const u = await db.user.create({
      data: { email: `${role.toLowerCase()}@learner-actions.test`, name: role, role, passwordHash: 'unused' },
      select: { id: true, email: true },
    });
    staff.set(role, u);
  }
});
afterAll(async () => {
  session.current = null;
  await c.end();
});

const MB = 'x'.repeat(1 << 20);
/** Values no number field of these actions accepts (ids, XP, sessions, levels, versions). */
const BAD_NUMBERS: [string, unknown][] = [
  ['negative', -1],
  ['negative fraction', -0.5],
  ['fraction', 1.5],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-Infinity', Number.NEGATIVE_INFINITY],
  ['past 2^31', 2 ** 31],
  ['past MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER + 2],
  ['1e308', 1e308],
  ['numeric string', '3'],
  ['empty string', ''],
  ['text', 'abc'],
  ['NUL byte', '1\u0000'],
  ['1 MB string', MB],
  ['null', null],
  ['true', true],
  ['array', [1]],
  ['object', { $gt: 0 }],
];
const BAD_SPECIALIZATIONS: [string, unknown][] = [
  ['unknown', 'CHEF'],
  ['lower-case', 'player'],
  ['with NUL', 'PLAYER\u0000'],
  ['padded', ' PLAYER '],
  ['empty', ''],
  ['1 MB string', MB],
  ['number', 1],
  ['null', null],
  ['missing', undefined],
];
const BAD_REASONS: [string, unknown][] = [
  ['NUL byte', 'because\u0000'],
  ['1 MB string', MB],
  ['501 characters', 'r'.repeat(501)],
  ['number', 42],
  ['array', ['why']],
  ['object', { why: 1 }],
];
const BAD_WHOLE: [string, unknown][] = [
  ['nothing', undefined],
  ['null', null],
  ['string', 'PLAYER'],
  ['number', 1],
  ['array', []],
  ['date', new Date()],
  ['null prototype', Object.assign(Object.create(null) as object, { userId: 1, specializationId: 'PLAYER' })],
];

/** Every hostile call, as [description, action, input]: one bad field at a time on a valid input. */
function hostileCalls(valid: Record<string, Record<string, unknown>>): [string, Action, unknown][] {
  const calls: [string, Action, unknown][] = [];
  const field = (name: string, key: string, values: [string, unknown][]) => {
    for (const [what, v] of values) calls.push([`${name}.${key} <- ${what}`, ACTIONS[name]![0], { ...valid[name], [key]: v }]);
  };
  for (const name of Object.keys(ACTIONS)) {
    field(name, 'userId', [...BAD_NUMBERS, ['zero', 0], ['missing', undefined]]);
    field(name, 'specializationId', BAD_SPECIALIZATIONS);
    for (const [what, v] of BAD_WHOLE) calls.push([`${name} <- ${what}`, ACTIONS[name]![0], v]);
    calls.push([`${name} <- extra field`, ACTIONS[name]![0], { ...valid[name], role: 'ADMIN' }]);
    calls.push([`${name} <- proto pollution`, ACTIONS[name]![0], { ...valid[name], ...JSON.parse('{"__proto__": {"admin": true}}') }]);
    if (name !== 'enroll') field(name, 'expectedVersion', [...BAD_NUMBERS, ['zero', 0]]);
  }
  const huge: [string, unknown][] = [['over the per-update maximum', 1_000_001]];
  field('recordProgress', 'xpGained', [...BAD_NUMBERS, ...huge, ['missing', undefined]]);
  field('recordProgress', 'sessionsCompleted', [...BAD_NUMBERS, ['over the per-update maximum', 10_001], ['missing', undefined]]);
  calls.push(['recordProgress <- nothing gained', recordProgressAction, { ...valid.recordProgress, xpGained: 0, sessionsCompleted: 0 }]);
  for (const name of ['advanceLicense', 'demoteLicense']) {
    // 99 passes the schema's bounds and is refused as a level PLAYER lacks: VALIDATION too.
    field(name, 'targetLevel', [...BAD_NUMBERS, ['zero', 0], ['no such level', 99], ['missing', undefined]]);
    field(name, 'reason', BAD_REASONS);
  }
  field('advanceLicense', 'targetLevel', [['below what the progress earns', 1]]);
  field('demoteLicense', 'targetLevel', [['not below the current level', 2]]);
  field('demoteLicense', 'reason', [
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', '   '],
  ]);
  return calls;
}

describe('learner actions', () => {
  it('refuse a VIEWER and a signed-out caller with FORBIDDEN, audited as ACCESS_DENIED, and write nothing', async () => {
    const valid = await validInputs();
    const before = await fingerprint();
    for (const who of ['VIEWER', 'signed-out'] as const) {
      for (const [name, [action, attempted]] of Object.entries(ACTIONS)) {
        as(who);
        const denied = await denials(attempted);
        const result = await action(valid[name]);
        expect(result, `${who} ${name}`).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
        expect(await denials(attempted), `${who} ${name} is audited`).toBe(denied + 1);
      }
    }
    expect(await fingerprint()).toEqual(before);
  });

  it('answer every hostile input with VALIDATION and write nothing', async () => {
    as('ADMIN');
    const calls = hostileCalls(await validInputs());
    expect(calls.length).toBeGreaterThan(300);
    const before = await fingerprint();
    for (const [what, action, input] of calls) {
      const result = await action(input);
      expect(result, what).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
      expect(result.error!.message.length, `${what}: a short sentence`).toBeLessThan(400);
    }
    expect(await fingerprint()).toEqual(before);
  });

  it('answer a stale expectedVersion with CONFLICT and write nothing', async () => {
    as('ADMIN');
    const valid = await validInputs();
    const before = await fingerprint();
    for (const name of ['recordProgress', 'advanceLicense', 'demoteLicense']) {
      const input = valid[name]!;
      const result = await ACTIONS[name]![0]({ ...input, expectedVersion: (input.expectedVersion as number) + 7 });
      expect(result, name).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
      expect(result.error!.message).toMatch(/changed by someone else.*reload/i);
    }
    // Enrolling a pair that exists is a CONFLICT too.
    expect(await enrollAction({ userId: learner, specializationId: 'PLAYER' })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await fingerprint()).toEqual(before);
  });

  it('run for an ADMIN with the versions the page showed, each write audited once', async () => {
    as('ADMIN');
    const audited = async (action: string) =>
      Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events WHERE action = $1`, [action])).rows[0]!.n);
    for (const name of ['enroll', 'recordProgress', 'advanceLicense', 'demoteLicense']) {
      const [action, event] = ACTIONS[name]!;
      const count = await audited(event);
      const result = await action((await validInputs())[name]);
      expect(result, name).toMatchObject({ ok: true });
      expect(await audited(event), `${name} writes one ${event} event`).toBe(count + 1);
    }
    expect(await readPairRaw(c, newcomer, 'COACH')).toMatchObject({ progress: { current_level: 1 }, license: { current_level: 1 } });
    expect(await readPairRaw(c, learner, 'PLAYER')).toMatchObject({ progress: { current_level: 1 }, license: { current_level: 1 } });
  });
});
