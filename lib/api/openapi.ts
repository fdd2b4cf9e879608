import { z } from 'zod';
import { learnerIdSchema, specializationSchema } from '../sync/validation';
import { API_SCOPES, type ApiScope } from '../vocabulary';
import { idempotencyKeySchema, IDEMPOTENCY_HEADER, REPLAYED_HEADER } from './idempotency';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, problemType } from './problem';
import {
  createLearnerBody,
  learnerDtoSchema,
  learnerRecordDtoSchema,
  pairDtoSchema,
  problemSchema,
  recordProgressBody,
  setLicenseBody,
} from './schemas';

/**
 * The OpenAPI 3.1 document of /api/v1, built from the zod schemas the handlers parse with
 * (z.toJSONSchema: requests as their input, answers as their output), so it cannot drift.
 */

type Json = Record<string, unknown>;

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function componentSchemas(entries: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(entries)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` });
  // Each component is embedded in one document: no $schema or $id of its own.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, s]) => {
      const { $schema: _s, $id: _i, ...rest } = s as Json;
      return [id, rest];
    }),
  );
}

const inline = (schema: z.ZodType) => {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
};

const problemAnswer = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } } });
const jsonAnswer = (description: string, schema: string) => ({ description, content: { 'application/json': { schema: ref(schema) } } });

const COMMON_ERRORS = {
  400: problemAnswer('Invalid path, body or header; `errors` lists each field'),
  401: problemAnswer('No API key, or an unknown or revoked one'),
  403: problemAnswer('The API key lacks the scope'),
  429: problemAnswer('Rate limit reached; see Retry-After'),
  503: problemAnswer('Temporarily unavailable; see Retry-After'),
};

const WRITE_ERRORS = {
  413: problemAnswer('Body larger than 64 KiB'),
  415: problemAnswer('Body not application/json'),
  422: problemAnswer('Idempotency-Key already used for a different request'),
};

const pathParam = (name: string, schema: z.ZodType, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: inline(schema),
});

const ID = pathParam('id', learnerIdSchema, 'The learner id');
const SPEC = pathParam('specialization', specializationSchema, 'The specialization');
const IDEMPOTENCY = {
  name: IDEMPOTENCY_HEADER,
  in: 'header',
  required: false,
  description:
    'Makes the request safe to retry: the first request with a key applies, later ones with the same key and body replay ' +
    `its answer (header ${REPLAYED_HEADER}: true); the same key with another request gives 422. Kept at least 24 hours.`,
  schema: inline(idempotencyKeySchema),
};

function operation(
  scope: ApiScope,
  op: { operationId: string; summary: string; params: Json[]; body?: string; ok: Record<number, Json>; errors: Record<number, Json> },
) {
  const write = op.body !== undefined || op.operationId === 'enroll';
  return {
    operationId: op.operationId,
    summary: op.summary,
    security: [{ apiKey: [scope] }],
    parameters: write ? [...op.params, IDEMPOTENCY] : op.params,
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(op.body) } } } } : {}),
    responses: { ...op.ok, ...COMMON_ERRORS, ...(write ? WRITE_ERRORS : {}), ...op.errors },
  };
}

export function openApiDocument(): Json {
  const schemas = {
    ...componentSchemas(
      { CreateLearnerRequest: createLearnerBody, RecordProgressRequest: recordProgressBody, SetLicenseRequest: setLicenseBody },
      'input',
    ),
    ...componentSchemas(
      { LearnerRecord: learnerRecordDtoSchema, Learner: learnerDtoSchema, Pair: pairDtoSchema, Problem: problemSchema },
      'output',
    ),
  };
  const notFound = problemAnswer('No such learner (or not enrolled, for a demotion)');
  const conflict = (what: string) => problemAnswer(what);
  const pair = '/learners/{id}/specializations/{specialization}';
  return {
    openapi: '3.1.0',
    info: {
      title: 'SyncWatch write API',
      version: '1',
      description:
        'Learners, enrolment, progress and licenses for the academy systems. Errors are RFC 9457 problem details; ' +
        `their types: ${Object.keys(PROBLEM_TYPES)
          .map((k) => problemType(k as keyof typeof PROBLEM_TYPES))
          .join(', ')}.`,
    },
    servers: [{ url: '/api/v1' }],
    security: [{ apiKey: [] }],
    paths: {
      '/learners': {
        post: operation('learners:write', {
          operationId: 'createLearner',
          summary: 'Create a learner',
          params: [],
          body: 'CreateLearnerRequest',
          ok: { 201: jsonAnswer('The learner', 'LearnerRecord') },
          errors: { 409: conflict('A user with this email exists, or the Idempotency-Key is in use') },
        }),
      },
      '/learners/{id}': {
        get: operation('learners:read', {
          operationId: 'getLearner',
          summary: 'A learner with the state of each pair',
          params: [ID],
          ok: { 200: jsonAnswer('The learner', 'Learner') },
          errors: { 404: notFound },
        }),
      },
      [pair]: {
        post: operation('learners:write', {
          operationId: 'enroll',
          summary: 'Enroll a learner in a specialization (no body, or {})',
          params: [ID, SPEC],
          ok: { 201: jsonAnswer('The new pair, at level 1', 'Pair') },
          errors: { 404: notFound, 409: conflict('Already enrolled, or the Idempotency-Key is in use') },
        }),
      },
      [`${pair}/progress`]: {
        post: operation('progress:write', {
          operationId: 'recordProgress',
          summary: 'Add XP and sessions; levels follow (a first progress enrolls)',
          params: [ID, SPEC],
          body: 'RecordProgressRequest',
          ok: { 200: jsonAnswer('The pair after the write', 'Pair') },
          errors: { 404: notFound, 409: conflict('Stale expectedVersion, or the Idempotency-Key is in use') },
        }),
      },
      [`${pair}/license`]: {
        put: operation('licenses:write', {
          operationId: 'setLicenseLevel',
          summary: 'Set the license level: an advance at or above the current level, a demotion (reason required) below it',
          params: [ID, SPEC],
          body: 'SetLicenseRequest',
          ok: { 200: jsonAnswer('The pair after the write', 'Pair') },
          errors: { 404: notFound, 409: conflict('Stale expectedVersion, or the Idempotency-Key is in use') },
        }),
      },
    },
    components: {
      schemas,
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: `An API key (syncwatch api-keys create). Scopes: ${API_SCOPES.join(', ')}.`,
        },
      },
    },
  };
}
