import { z } from 'zod';
import { learnerIdSchema, MAX_WRITER_LENGTH, writerSchema } from '@/lib/sync/validation';
import { AUDIT_ACTIONS, DESYNC_KINDS, type DesyncKind } from '@/lib/vocabulary';

/**
 * Query-string parsing for the list pages and their CSV exports. Bad input never reaches the
 * engine and never causes a 500: numbers are clamped, overlong text is cut, and an unknown
 * filter value yields a readable notice and an empty list.
 */

export type SearchParams = Record<string, string | string[] | undefined>;

export const PAGE_SIZE = 50;
export const MAX_SEARCH_LENGTH = 100;
/** Beyond any real page count; keeps offset arithmetic far from overflow. */
const MAX_PAGE = 1_000_000;

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

const pageSchema = z.coerce
  .number()
  .int()
  .catch(1)
  .transform((n) => Math.min(Math.max(n, 1), MAX_PAGE));

export function parsePage(params: SearchParams): number {
  return pageSchema.parse(first(params.page) ?? 1);
}

/** Clamps a requested page into [1, pageCount] once the total is known. */
export function clampPage(requested: number, total: number, size = PAGE_SIZE) {
  const pageCount = Math.max(1, Math.ceil(total / size));
  const page = Math.min(Math.max(requested, 1), pageCount);
  return { page, pageCount, offset: (page - 1) * size };
}

function cleanText(raw: string | undefined, notices: string[], label: string): string | undefined {
  if (raw === undefined) return undefined;
  // Control characters have no place in a search; dropping them keeps logs and SQL params clean.
  // eslint-disable-next-line no-control-regex
  let text = raw.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  if (text.length > MAX_SEARCH_LENGTH) {
    text = text.slice(0, MAX_SEARCH_LENGTH);
    notices.push(`The ${label} was shortened to its first ${MAX_SEARCH_LENGTH} characters.`);
  }
  return text || undefined;
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

export interface AuditQuery {
  actor?: string;
  action?: string;
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
  return q;
}

export function auditQueryString(q: { actor?: string; action?: string; page?: number }): string {
  const p = new URLSearchParams();
  if (q.actor) p.set('actor', q.actor);
  if (q.action) p.set('action', q.action);
  if (q.page && q.page > 1) p.set('page', String(q.page));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function pageQueryString(page: number): string {
  return page > 1 ? `?page=${page}` : '';
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
