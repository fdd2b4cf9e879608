import { z } from 'zod';
import { SyncError } from '../sync/errors';
import {
  advanceLicenseSchema,
  createLearnerSchema,
  desyncKindSchema,
  learnerIdSchema,
  noInputSchema,
  recordProgressSchema,
  specializationSchema,
} from '../sync/validation';
import { describeErrors, zodErrors } from './problem';

/**
 * The /api/v1 schemas. Requests are the engine's own schemas (lib/sync/validation.ts), or
 * strict objects made of their fields, so the bounds are declared once; the route handlers
 * parse with them, and lib/api/openapi.ts turns the same schemas into the OpenAPI document.
 * Responses are described here too, and the DTO mappers (lib/api/dto.ts) are typed by them.
 */

// ---- Path parameters -------------------------------------------------------------------------

/** `/learners/{id}`: digits only (no sign, no leading zero, at most 10), then the engine's id bounds. */
export const learnerIdParam = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, 'must be a positive whole number')
  .transform(Number)
  .pipe(learnerIdSchema);

export const learnerPathSchema = z.object({ id: learnerIdParam });
export const pairPathSchema = z.object({ id: learnerIdParam, specialization: specializationSchema });

// ---- Request bodies --------------------------------------------------------------------------

export const createLearnerBody = createLearnerSchema;

/** Enrolling takes no body (or `{}`). */
export const enrollBody = noInputSchema;

export const recordProgressBody = z.strictObject({
  xpGained: recordProgressSchema.shape.xpGained,
  sessionsCompleted: recordProgressSchema.shape.sessionsCompleted,
  /** The progress version the caller last saw; a stale one gives 409. */
  expectedVersion: recordProgressSchema.shape.expectedVersion,
});

export const setLicenseBody = z.strictObject({
  /** At or above the current license level: an advance; below it: a demotion (reason required). */
  level: advanceLicenseSchema.shape.targetLevel,
  reason: advanceLicenseSchema.shape.reason,
  /** The license version the caller last saw; a stale one gives 409. */
  expectedVersion: advanceLicenseSchema.shape.expectedVersion,
});

// ---- Responses -------------------------------------------------------------------------------

const isoDateTime = z.iso.datetime();

export const progressDtoSchema = z.object({
  level: z.int(),
  totalXp: z.int(),
  completedSessions: z.int(),
  version: z.int(),
});

export const licenseDtoSchema = z.object({
  level: z.int(),
  startedAt: isoDateTime,
  lastAdvancedAt: isoDateTime.nullable(),
  version: z.int(),
});

export const pairDtoSchema = z.object({
  learnerId: z.int(),
  specialization: z.string(),
  progress: progressDtoSchema.nullable(),
  license: licenseDtoSchema.nullable(),
  /** Both rows agree and follow the level rules (the health check's classifier). */
  consistent: z.boolean(),
  /** The kind of desync when not consistent. */
  desync: desyncKindSchema.nullable(),
});

export const learnerPairDtoSchema = pairDtoSchema.omit({ learnerId: true }).extend({
  /** Since when the desync list shows the pair out of sync, if it does. */
  since: isoDateTime.nullable(),
  /** What the next level needs; null at the top level or without progress. */
  nextLevel: z.object({ level: z.int(), xpRequired: z.int(), sessionsRequired: z.int() }).nullable(),
});

export const learnerRecordDtoSchema = z.object({
  id: z.int(),
  email: z.string(),
  name: z.string(),
  createdAt: isoDateTime,
});

export const learnerDtoSchema = learnerRecordDtoSchema.extend({ pairs: z.array(learnerPairDtoSchema) });

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export type PairDto = z.infer<typeof pairDtoSchema>;
export type LearnerDto = z.infer<typeof learnerDtoSchema>;
export type LearnerRecordDto = z.infer<typeof learnerRecordDtoSchema>;

// ---- Parsing ---------------------------------------------------------------------------------

/**
 * Parses `value` or throws SyncError VALIDATION with every issue (answered 400 with `errors`).
 * `root` names the whole value in an issue about it (e.g. an unknown field of the body).
 */
export function parseRequest<T extends z.ZodType>(schema: T, value: unknown, root = '(body)'): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = zodErrors(result.error.issues, root);
  throw new SyncError('VALIDATION', describeErrors(issues), { issues });
}
