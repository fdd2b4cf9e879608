import { z } from 'zod';
import { SPECIALIZATIONS } from './level-rules';
import { DESYNC_KINDS } from './types';
import { validationError } from './errors';

/**
 * Input schemas shared by the engine and every boundary (server actions, CLI, route handlers).
 * Bounds are generous for real use and far below where integer columns overflow.
 */

export const MAX_XP_PER_UPDATE = 1_000_000;
export const MAX_SESSIONS_PER_UPDATE = 10_000;
export const MAX_REASON_LENGTH = 500;
/** A list search: longer text is cut (lists) or refused (a job's scope). */
export const MAX_SEARCH_LENGTH = 200;

const id = z
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .positive('must be positive')
  .max(2_147_483_647, 'is too large');

export const specializationSchema = z.enum(SPECIALIZATIONS, { error: `must be one of ${SPECIALIZATIONS.join(', ')}` });
export const desyncKindSchema = z.enum(DESYNC_KINDS, { error: `must be one of ${DESYNC_KINDS.join(', ')}` });

/** Free text that reaches the database: no NUL bytes (PostgreSQL refuses them in text). */
export const reasonSchema = z
  .string()
  .trim()
  .max(MAX_REASON_LENGTH, `must be at most ${MAX_REASON_LENGTH} characters`)
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
  .transform((s) => (s === '' ? null : s))
  .nullish();

/** Only plain objects (as JSON or a form would send): a Date, Map or class instance is refused. */
export function plainObject<T extends z.ZodType>(schema: T) {
  return z.preprocess(
    (v) => (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype ? v : NOT_PLAIN),
    schema,
  );
}
const NOT_PLAIN = Symbol('not a plain object');

export const pairSchema = plainObject(z.strictObject({ userId: id, specializationId: specializationSchema }));

/** For calls that take no input: nothing, or an empty object; anything else is refused. */
export const noInputSchema = z.union([z.undefined(), z.null(), plainObject(z.strictObject({}))], { error: 'This action takes no input.' });

export const recordProgressSchema = z
  .strictObject({
    userId: id,
    specializationId: specializationSchema,
    xpGained: z
      .number()
      .int('must be a whole number')
      .min(0, 'must not be negative')
      .max(MAX_XP_PER_UPDATE, `must be at most ${MAX_XP_PER_UPDATE}`),
    sessionsCompleted: z
      .number()
      .int('must be a whole number')
      .min(0, 'must not be negative')
      .max(MAX_SESSIONS_PER_UPDATE, `must be at most ${MAX_SESSIONS_PER_UPDATE}`),
    expectedVersion: id.optional(),
  })
  .refine((v) => v.xpGained > 0 || v.sessionsCompleted > 0, { message: 'must record some XP or sessions', path: ['xpGained'] });

export const emailSchema = z
  .string({ error: 'must be text' })
  .trim()
  .toLowerCase()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email({ error: 'must be an email address' }));

export const createLearnerSchema = plainObject(
  z.strictObject({
    email: emailSchema,
    name: z
      .string({ error: 'must be text' })
      .trim()
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters'),
  }),
);

export const learnerIdSchema = id;
export const jobIdSchema = id;

/** A writer's name as recorded by the judge at commit (current_desyncs.caused_by, pair_events.writer). */
export const MAX_WRITER_LENGTH = 320;
export const writerSchema = z
  .string({ error: 'must be text' })
  .min(1, 'must not be empty')
  .max(MAX_WRITER_LENGTH, `must be at most ${MAX_WRITER_LENGTH} characters`)
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

export const listLearnersSchema = z.strictObject({
  search: z.string().max(10_000).optional(),
  offset: z.number().int().min(0).max(1_000_000_000).optional(),
  limit: z.number().int().min(1).max(500).optional(),
});

export const demoteLicenseSchema = z.strictObject({
  userId: id,
  specializationId: specializationSchema,
  targetLevel: z.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'is out of range'),
  reason: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required: say why the level goes down')
    .max(MAX_REASON_LENGTH, `must be at most ${MAX_REASON_LENGTH} characters`)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters'),
  expectedVersion: id.optional(),
});

export const advanceLicenseSchema = z.strictObject({
  userId: id,
  specializationId: specializationSchema,
  targetLevel: z.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'is out of range'),
  reason: reasonSchema,
  expectedVersion: id.optional(),
});

/** Parses or throws SyncError VALIDATION listing every problem. Nothing has been written yet. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.') || '(input)', message: i.message }));
  throw validationError(`Invalid input: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
}
