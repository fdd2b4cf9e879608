import { z } from 'zod';
import type { AuditEventFilters } from '@/lib/sync/audit';
import { learnerIdSchema, MAX_WRITER_LENGTH, writerSchema } from '@/lib/sync/validation';
import type { SyncJobFilters } from '@/lib/sync/job-search';
import {
  AUDIT_ACTIONS,
  DESYNC_KINDS,
  SYNC_ITEM_OUTCOMES,
  SYNC_JOB_STATUSES,
  SYNC_TRIGGERS,
  type DesyncKind,
  type SyncItemOutcome,
  type SyncJobStatus,
  type SyncTrigger,
} from '@/lib/vocabulary';
import {
  cleanText,
  dayRangeBounds,
  first,
  MAX_SEARCH_LENGTH,
  parseDayRange,
  parseLearnerParam,
  queryString,
  type DayRange,
} from './query-filters';

/**
 * Query-string parsing for the list pages and their CSV exports. Bad input never reaches the
 * engine and never causes a 500: numbers are clamped, overlong text is cut, and an unknown
 * filter value yields a readable notice and an empty list.
 */

export type SearchParams = Record<string, string | string[] | undefined>;

export const PAGE_SIZE = 50;
export { MAX_SEARCH_LENGTH };
/** Beyond any real page count; keeps offset arithmetic far from overflow. */
const MAX_PAGE = 1_000_000;

const pageSchema = z.coerce
  .number()
  .int()
  .catch(1)
  .transform((n) => Math.min(Math.max(n, 1), MAX_PAGE));

/** Whether a list's URL names any filter (anything but the page), valid or not: "Clear filters" is then offered. */
export function hasFilters(params: SearchParams): boolean {
  return Object.entries(params).some(([k, v]) => k !== 'page' && first(v)?.trim());
}

export function parsePage(params: SearchParams): number {
  return pageSchema.parse(first(params.page) ?? 1);
}

/** Clamps a requested page into [1, pageCount] once the total is known. */
export function clampPage(requested: number, total: number, size = PAGE_SIZE) {
  const pageCount = Math.max(1, Math.ceil(total / size));
  const page = Math.min(Math.max(requested, 1), pageCount);
  return { page, pageCount, offset: (page - 1) * size };
}

export interface DesyncQuery {
  kind?: DesyncKind;
  specialization?: string;
  search?: string;
  /** One writer, exactly as recorded (`?causedBy=`). */
  causedBy?: string;
  page: number;
  /** Readable notes about input that was adjusted. */
  notices: string[];
  /** Set when a filter value is unknown: the list is empty, with this sentence. */
  invalid?: string;
}

export function parseDesyncQuery(params: SearchParams, specializations: readonly string[]): DesyncQuery {
  const notices: string[] = [];
  const q: DesyncQuery = { page: parsePage(params), notices };
  const kind = first(params.kind)?.trim();
  if (kind) {
    if ((DESYNC_KINDS as readonly string[]).includes(kind)) q.kind = kind as DesyncKind;
    else q.invalid = `Unknown kind “${kind.slice(0, 40)}”. Choose one of: ${DESYNC_KINDS.join(', ')}.`;
  }
  const spec = first(params.specialization)?.trim();
  if (spec) {
    if (specializations.includes(spec)) q.specialization = spec;
    else q.invalid ??= `Unknown specialization “${spec.slice(0, 40)}”. Choose one of: ${specializations.join(', ')}.`;
  }
  q.search = cleanText(first(params.q), notices, 'search');
  // An exact writer, not a search: never cut or cleaned (a changed name would match another writer).
  const causedBy = first(params.causedBy);
  if (causedBy) {
    if (writerSchema.safeParse(causedBy).success) q.causedBy = causedBy;
    else q.invalid ??= `The “Caused by” filter is not a writer's name (at most ${MAX_WRITER_LENGTH} characters, no NUL).`;
  }
  return q;
}

/** The URL query that reproduces a desync view (page omitted when 1). */
export function desyncQueryString(q: {
  kind?: string;
  specialization?: string;
  search?: string;
  causedBy?: string;
  page?: number;
}): string {
  const p = new URLSearchParams();
  if (q.kind) p.set('kind', q.kind);
  if (q.specialization) p.set('specialization', q.specialization);
  if (q.search) p.set('q', q.search);
  if (q.causedBy) p.set('causedBy', q.causedBy);
  if (q.page && q.page > 1) p.set('page', String(q.page));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export interface AuditQuery extends DayRange {
  actor?: string;
  action?: string;
  /** `?learner=`: an id, or part of an email or name. */
  learner?: string;
  page: number;
  notices: string[];
  invalid?: string;
}

export function parseAuditQuery(params: SearchParams, knownActions: readonly string[] = AUDIT_ACTIONS): AuditQuery {
  const notices: string[] = [];
  const q: AuditQuery = { page: parsePage(params), notices };
  q.actor = cleanText(first(params.actor), notices, 'actor filter');
  const action = first(params.action)?.trim();
  if (action) {
    if (knownActions.includes(action)) q.action = action;
    else q.invalid = `Unknown action “${action.slice(0, 40)}”. Choose one of: ${knownActions.join(', ')}.`;
  }
  q.learner = parseLearnerParam(params, notices);
  Object.assign(q, parseDayRange(params, notices));
  return q;
}

export function auditQueryString(q: {
  actor?: string;
  action?: string;
  learner?: string;
  from?: string;
  to?: string;
  page?: number;
}): string {
  return queryString([
    ['actor', q.actor],
    ['action', q.action],
    ['learner', q.learner],
    ['from', q.from],
    ['to', q.to],
    ['page', q.page && q.page > 1 ? String(q.page) : undefined],
  ]);
}

/** The engine's filters for an audit view (listAuditEvents). */
export function auditFilters(q: AuditQuery): AuditEventFilters {
  return { actor: q.actor, action: q.action, learner: q.learner, ...dayRangeBounds(q) };
}

export interface LearnerQuery {
  search?: string;
  page: number;
  notices: string[];
}

/** The learner list's query: `?q=` (name or email) and `?page=`. */
export function parseLearnerQuery(params: SearchParams): LearnerQuery {
  const notices: string[] = [];
  return { page: parsePage(params), search: cleanText(first(params.q), notices, 'search'), notices };
}

export function learnerQueryString(q: { search?: string; page?: number }): string {
  const p = new URLSearchParams();
  if (q.search) p.set('q', q.search);
  if (q.page && q.page > 1) p.set('page', String(q.page));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** A learner page's own history paging, `?hpage=`, clamped as `?page=` is. */
export function parseHistoryPage(params: SearchParams): number {
  return pageSchema.parse(first(params.hpage) ?? 1);
}

/** A learner id from the URL: digits only, no sign, no exponent, within the id column's range; null otherwise. */
const learnerIdParam = z
  .string()
  .regex(/^[1-9]\d{0,9}$/)
  .transform(Number)
  .pipe(learnerIdSchema);

export function parseLearnerId(raw: string | undefined): number | null {
  const parsed = learnerIdParam.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/** Checks a query value against a vocabulary list; an unknown one is the view's `invalid` sentence. */
export function pick<T extends string>(
  raw: string | undefined,
  known: readonly T[],
  label: string,
  q: { invalid?: string },
): T | undefined {
  const v = raw?.trim();
  if (!v) return undefined;
  if ((known as readonly string[]).includes(v)) return v as T;
  q.invalid ??= `Unknown ${label} “${v.slice(0, 40)}”. Choose one of: ${known.join(', ')}.`;
  return undefined;
}

export interface JobQuery extends DayRange {
  status?: SyncJobStatus;
  trigger?: SyncTrigger;
  /** Who started the job, exactly as recorded (`?actor=`). */
  actor?: string;
  learner?: string;
  page: number;
  notices: string[];
  invalid?: string;
}

/** The job history's query: status, trigger, actor, from/to (UTC days), learner and page. */
export function parseJobQuery(params: SearchParams): JobQuery {
  const notices: string[] = [];
  const q: JobQuery = { page: parsePage(params), notices };
  q.status = pick(first(params.status), SYNC_JOB_STATUSES, 'status', q);
  q.trigger = pick(first(params.trigger), SYNC_TRIGGERS, 'trigger', q);
  // An exact name, not a search: never cut or cleaned (a changed name would match another actor).
  const actor = first(params.actor);
  if (actor) {
    if (writerSchema.safeParse(actor).success) q.actor = actor;
    else q.invalid ??= `The “Started by” filter is not an actor's name (at most ${MAX_WRITER_LENGTH} characters, no NUL).`;
  }
  q.learner = parseLearnerParam(params, notices);
  Object.assign(q, parseDayRange(params, notices));
  return q;
}

export function jobQueryString(q: Omit<Partial<JobQuery>, 'notices'>): string {
  return queryString([
    ['status', q.status],
    ['trigger', q.trigger],
    ['actor', q.actor],
    ['learner', q.learner],
    ['from', q.from],
    ['to', q.to],
    ['page', q.page && q.page > 1 ? String(q.page) : undefined],
  ]);
}

/** The engine's filters for a job-history view (listSyncJobs). */
export function jobFilters(q: JobQuery): SyncJobFilters {
  return { status: q.status, trigger: q.trigger, actor: q.actor, learner: q.learner, ...dayRangeBounds(q) };
}

export interface JobItemsQuery {
  outcome?: SyncItemOutcome;
  kind?: DesyncKind;
  learner?: string;
  page: number;
  notices: string[];
  invalid?: string;
}

/** A job page's items query: outcome, kind, learner and page. */
export function parseJobItemsQuery(params: SearchParams): JobItemsQuery {
  const notices: string[] = [];
  const q: JobItemsQuery = { page: parsePage(params), notices };
  q.outcome = pick(first(params.outcome), SYNC_ITEM_OUTCOMES, 'outcome', q);
  q.kind = pick(first(params.kind), DESYNC_KINDS, 'kind', q);
  q.learner = parseLearnerParam(params, notices);
  return q;
}

export function jobItemsQueryString(q: Omit<Partial<JobItemsQuery>, 'notices'>): string {
  return queryString([
    ['outcome', q.outcome],
    ['kind', q.kind],
    ['learner', q.learner],
    ['page', q.page && q.page > 1 ? String(q.page) : undefined],
  ]);
}
