import { z } from 'zod';
import type { Db } from '../db/prisma';

/**
 * Pieces shared by the searchable histories (sync jobs, a job's items, the audit log): the
 * "Learner" search, resolved once to learner ids so each list then reads its own (user, ...)
 * index, and the date bounds.
 */

/** A learner search resolves to at most this many learners (by id); the caller says so when it is capped. */
export const MAX_LEARNER_MATCHES = 1_000;
/** Longer searches are cut to this (the list pages cut at 100 already). */
export const MAX_LEARNER_SEARCH_LENGTH = 200;

/** Escapes LIKE wildcards so a search for "50%" means those characters. */
export const likePattern = (s: string) => `%${s.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

/** The "Learner" search as the engine takes it: an id (`42` or `#42`), or part of an email or name. */
export const learnerSearchSchema = z.string({ error: 'must be text' }).max(10_000, 'must be at most 10,000 characters');

export const MIN_DATE = new Date('1900-01-01T00:00:00Z');
export const MAX_DATE = new Date('9999-12-31T23:59:59.999Z');

/** A date bound: a valid Date within years 1900-9999 (beyond that, JavaScript's and PostgreSQL's ranges part ways). */
export const dateBoundSchema = z
  .date({ error: 'must be a valid date' })
  .min(MIN_DATE, 'must be in 1900 or later')
  .max(MAX_DATE, 'must be in 9999 or earlier');

/** The page bounds every list shares. */
export const offsetSchema = z.number().int().min(0).max(1_000_000_000);

export interface LearnerMatch {
  /** The learners the search names; empty when it names none (the list is then empty). */
  ids: number[];
  /** More than MAX_LEARNER_MATCHES learners matched: only the first ones (by id) are used. */
  capped: boolean;
}

const MAX_INT = 2_147_483_647;

/**
 * What a "Learner" search means: digits (optionally after "#") are a learner id, anything else
 * is part of an email or name. NUL bytes cannot occur in stored text and are dropped. Null when
 * nothing is left to search for (no filter).
 */
export function parseLearnerSearch(raw: string | undefined): { id: number | null } | { pattern: string } | null {
  const text = raw?.replaceAll('\u0000', '').trim().slice(0, MAX_LEARNER_SEARCH_LENGTH);
  if (!text) return null;
  const digits = /^#?\s*(\d+)$/.exec(text)?.[1];
  if (digits !== undefined) {
    const n = Number(digits);
    // An id past the column's range names no learner: an empty list, not an error.
    return { id: Number.isSafeInteger(n) && n >= 1 && n <= MAX_INT ? n : null };
  }
  return { pattern: likePattern(text) };
}

/**
 * Resolves a "Learner" search to learner ids: one id as given, or the learners whose email or
 * name contains the text (ILIKE, wildcards escaped), at most MAX_LEARNER_MATCHES of them.
 * Null when there is no search.
 */
export async function resolveLearnerSearch(db: Db, raw: string | undefined): Promise<LearnerMatch | null> {
  const term = parseLearnerSearch(raw);
  if (!term) return null;
  if ('id' in term) return { ids: term.id === null ? [] : [term.id], capped: false };
  const rows = await db.$queryRaw<{ id: number }[]>`
    SELECT id FROM users WHERE email ILIKE ${term.pattern} OR name ILIKE ${term.pattern}
    ORDER BY id LIMIT ${MAX_LEARNER_MATCHES + 1}`;
  return { ids: rows.slice(0, MAX_LEARNER_MATCHES).map((r) => r.id), capped: rows.length > MAX_LEARNER_MATCHES };
}
