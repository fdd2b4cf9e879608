import type { z } from 'zod';
import type { Db } from '../db/prisma';
import type { Prisma } from '../generated/prisma/client';
import type { DesyncKind } from '../vocabulary';
import { classifyPair } from './classify';
import { requirementFor, type LevelRequirement } from './level-rules';
import { getLevelTables } from './levels';
import type { LicenseState, ProgressState } from './types';
import { learnerIdSchema, listLearnersSchema, parseInput } from './validation';

/** Reads of learners with the state of each of their pairs, for the learner pages and the API. */

export interface LearnerPair {
  specializationId: string;
  progress: ProgressState | null;
  license: LicenseState | null;
  /** Null when the pair is consistent (by the one classifier, lib/sync/classify.ts). */
  kind: DesyncKind | null;
  /** When the desync list first saw the pair out of sync, if it is listed. */
  since: Date | null;
  /** What the next level needs, null at the top level. */
  nextLevel: LevelRequirement | null;
}

export interface Learner {
  id: number;
  email: string;
  name: string;
  createdAt: Date;
  pairs: LearnerPair[];
}

interface PairRow {
  user_id: number;
  spec: string;
  pl: number | null;
  xp: number | null;
  se: number | null;
  pv: number | null;
  ll: number | null;
  ls: Date | null;
  la: Date | null;
  lv: number | null;
  since: Date | null;
}

async function pairsOf(db: Db, userIds: number[]): Promise<Map<number, LearnerPair[]>> {
  const out = new Map<number, LearnerPair[]>();
  if (!userIds.length) return out;
  const tables = await getLevelTables(db);
  const rows = await db.$queryRaw<PairRow[]>`
      SELECT coalesce(p.user_id, l.user_id) AS user_id, coalesce(p.specialization_id, l.specialization_id) AS spec,
             p.current_level AS pl, p.total_xp AS xp, p.completed_sessions AS se, p.version AS pv,
             l.current_level AS ll, l.started_at AS ls, l.last_advanced_at AS la, l.version AS lv,
             (SELECT min(d.since) FROM current_desyncs d
              WHERE d.user_id = coalesce(p.user_id, l.user_id) AND d.specialization_id = coalesce(p.specialization_id, l.specialization_id))
               AS since
      FROM (SELECT * FROM specialization_progress WHERE user_id = ANY (${userIds}::int[])) p
      FULL OUTER JOIN (SELECT * FROM user_licenses WHERE user_id = ANY (${userIds}::int[])) l
        ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
      ORDER BY 1, 2`;
  const now = Date.now();
  for (const r of rows) {
    const progress = r.pl === null ? null : { level: r.pl, totalXp: r.xp!, completedSessions: r.se!, version: r.pv! };
    const license = r.ll === null ? null : { level: r.ll, startedAt: r.ls!, lastAdvancedAt: r.la, version: r.lv! };
    const table = tables.get(r.spec);
    const kind = classifyPair(
      {
        progress,
        license: license && { level: license.level, startedInFuture: license.startedAt.getTime() > now },
        orphan: !table,
      },
      table,
    );
    const next = progress && table ? (requirementFor(table, progress.level + 1) ?? null) : null;
    const pair: LearnerPair = { specializationId: r.spec, progress, license, kind, since: kind ? r.since : null, nextLevel: next };
    out.set(r.user_id, [...(out.get(r.user_id) ?? []), pair]);
  }
  return out;
}

/** One learner (role STUDENT) with every pair; null when there is none with this id. */
export async function getLearner(db: Db, userId: number): Promise<Learner | null> {
  const parsed = learnerIdSchema.safeParse(userId);
  if (!parsed.success) return null;
  const user = await db.user.findFirst({
    where: { id: parsed.data, role: 'STUDENT' },
    select: { id: true, email: true, name: true, createdAt: true },
  });
  if (!user) return null;
  return { ...user, pairs: (await pairsOf(db, [user.id])).get(user.id) ?? [] };
}

/** A page of learners, by name, with their pairs; `search` matches name or email. */
export async function listLearners(db: Db, opts: z.input<typeof listLearnersSchema> = {}) {
  const v = parseInput(listLearnersSchema, opts);
  const search = v.search?.replaceAll('\u0000', '').trim().slice(0, 200);
  const where: Prisma.UserWhereInput = {
    role: 'STUDENT',
    ...(search ? { OR: [{ name: { contains: search, mode: 'insensitive' } }, { email: { contains: search, mode: 'insensitive' } }] } : {}),
  };
  const [users, total] = await Promise.all([
    db.user.findMany({
      where,
      select: { id: true, email: true, name: true, createdAt: true },
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
      skip: v.offset ?? 0,
      take: v.limit ?? 50,
    }),
    db.user.count({ where }),
  ]);
  const pairs = await pairsOf(
    db,
    users.map((u) => u.id),
  );
  return { items: users.map((u): Learner => ({ ...u, pairs: pairs.get(u.id) ?? [] })), total };
}
