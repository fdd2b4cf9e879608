import { isSyncError, type SyncErrorCode } from '../sync/errors';
import { log } from '../log';

/**
 * The write API's one error shape: RFC 9457 problem details, `application/problem+json`.
 * `type` is a stable URN per kind of problem (documented in README.md and the OpenAPI
 * document); `detail` is a sentence for people; `errors` lists each invalid field.
 */

export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

export const PROBLEM_TYPES = {
  'bad-request': { status: 400, title: 'Bad request' },
  validation: { status: 400, title: 'Invalid request' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  'in-progress': { status: 409, title: 'Request in progress' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'idempotency-mismatch': { status: 422, title: 'Idempotency key reused' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  unavailable: { status: 503, title: 'Service unavailable' },
} as const;
export type ProblemKind = keyof typeof PROBLEM_TYPES;

export const problemType = (kind: ProblemKind) => `urn:syncwatch:problem:${kind}`;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problem(kind: ProblemKind, detail: string, errors?: FieldError[]): Problem {
  const { status, title } = PROBLEM_TYPES[kind];
  return { type: problemType(kind), title, status, detail, ...(errors?.length ? { errors } : {}) };
}

/** A problem+json answer that no cache keeps. */
export function problemResponse(
  kind: ProblemKind,
  detail: string,
  opts: { errors?: FieldError[]; headers?: Record<string, string> } = {},
): Response {
  const body = problem(kind, detail, opts.errors);
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, 'Cache-Control': 'no-store', ...opts.headers },
  });
}

const KIND_OF: Record<SyncErrorCode, ProblemKind> = {
  VALIDATION: 'validation',
  NOT_FOUND: 'not-found',
  CONFLICT: 'conflict',
  ALREADY_RUNNING: 'conflict',
  FORBIDDEN: 'forbidden',
  UNAVAILABLE: 'unavailable',
};

/** Engine field names as the API names them (`targetLevel` is the body's `level`, ...). */
const FIELD_NAMES: Record<string, string> = { targetLevel: 'level', userId: 'id', specializationId: 'specialization' };
const renameField = (path: string) =>
  path
    .split('.')
    .map((p) => FIELD_NAMES[p] ?? p)
    .join('.');

export const UNAVAILABLE_DETAIL = 'SyncWatch cannot answer right now. Try again in a moment.';

/**
 * Anything a handler threw, as a problem: an engine error keeps its sentence and its field
 * errors; anything else is logged here and answered 503 with Retry-After, never a 500 and
 * never the exception's text.
 */
export function problemFromError(err: unknown, where: string): Response {
  if (isSyncError(err)) {
    const errors = err.details?.issues?.map((i) => ({ path: renameField(i.path), message: i.message }));
    const detail = err.code === 'VALIDATION' && errors?.length ? describeErrors(errors) : err.message;
    return problemResponse(KIND_OF[err.code], detail, {
      errors,
      headers: err.code === 'UNAVAILABLE' ? { 'Retry-After': '5' } : {},
    });
  }
  log.error({ err, where }, 'api route failed');
  return problemResponse('unavailable', UNAVAILABLE_DETAIL, { headers: { 'Retry-After': '5' } });
}

/** One sentence naming every invalid field, for `detail`. */
export const describeErrors = (errors: FieldError[]) => `Invalid request: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`;

/** Zod issues as the problem's `errors` (path joined with dots; `(body)` for the whole body). */
export function zodErrors(issues: readonly { path: readonly PropertyKey[]; message: string }[], root = '(body)'): FieldError[] {
  return issues.map((i) => ({ path: i.path.length ? i.path.map(String).join('.') : root, message: i.message }));
}
