import { z } from 'zod';
import { KIND_LABELS } from '../vocabulary';
import {
  desyncKindSchema,
  learnerIdSchema,
  MAX_SEARCH_LENGTH,
  noInputSchema,
  pairSchema,
  plainObject,
  reasonSchema,
  specializationSchema,
  writerSchema,
} from './validation';

/**
 * What a scoped sync job repairs: exactly the desyncs a filtered /desyncs list shows (kind,
 * specialization, search, "Caused by"), one learner (the CLI's --learner), or pairs picked by
 * checkbox. No scope means every desync. The scope is stored on the job (sync_jobs.scope) and
 * the plan reads the desync set through the same WHERE as the list (lib/sync/desyncs.ts), so
 * "Sync these N" repairs the N rows the list counted, and nothing else.
 */

/** "Sync selected" takes a handful of rows; more is a filter's job. */
export const MAX_SELECTED_PAIRS = 500;

const searchSchema = z
  .string({ error: 'must be text' })
  .max(MAX_SEARCH_LENGTH, `must be at most ${MAX_SEARCH_LENGTH} characters`)
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
  .transform((s) => s.trim() || undefined);

export const jobScopeSchema = plainObject(
  z.strictObject({
    kind: desyncKindSchema.optional(),
    specialization: specializationSchema.optional(),
    search: searchSchema.optional(),
    causedBy: writerSchema.optional(),
    learner: learnerIdSchema.optional(),
    pairs: z
      .array(pairSchema)
      .min(1, 'must name at least one pair')
      .max(MAX_SELECTED_PAIRS, `must name at most ${MAX_SELECTED_PAIRS} pairs`)
      .optional(),
  }),
).transform((s) => {
  // Unset keys are dropped, so an empty scope is recognised (and stored) as "every desync".
  const set = Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as typeof s;
  return Object.keys(set).length ? set : null;
});

export type JobScope = NonNullable<z.output<typeof jobScopeSchema>>;

/** A scope as a page asks for it (the server validates it into a JobScope). */
export interface ScopeRequest {
  kind?: JobScope['kind'];
  specialization?: string;
  search?: string;
  causedBy?: string;
  learner?: number;
  pairs?: { userId: number; specializationId: string }[];
}

/** What starting a sync job takes from a person: an optional reason and scope. */
export const startSyncJobSchema = plainObject(z.strictObject({ reason: reasonSchema, scope: jobScopeSchema.nullish() }));

/** The sync preview: nothing (every desync), or a scope. */
export const previewSyncSchema = z.union([noInputSchema, plainObject(z.strictObject({ scope: jobScopeSchema.nullish() }))], {
  error: 'The preview takes an optional scope.',
});

/** A stored scope, read back; an unreadable one (never written by SyncWatch) is shown as none. */
export function parseStoredScope(raw: unknown): JobScope | null {
  if (raw === null || raw === undefined) return null;
  const parsed = jobScopeSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** One line for a job page, the CLI and the audit log, e.g. `Level mismatch · PLAYER · search "ann"`. */
export function describeScope(scope: ScopeRequest | null): string {
  if (!scope) return 'Every desync';
  const parts: string[] = [];
  if (scope.kind) parts.push(KIND_LABELS[scope.kind]);
  if (scope.specialization) parts.push(scope.specialization);
  if (scope.search) parts.push(`search "${scope.search}"`);
  if (scope.causedBy) parts.push(`caused by ${scope.causedBy}`);
  if (scope.learner) parts.push(`learner #${scope.learner}`);
  if (scope.pairs) parts.push(`${scope.pairs.length} selected pair${scope.pairs.length === 1 ? '' : 's'}`);
  return parts.join(' · ');
}
