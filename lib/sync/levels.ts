import type { DbTx } from '../db/prisma';
import { SyncError } from './errors';
import { requirementFor, type LevelTable, type SpecializationId } from './level-rules';

/**
 * The level_requirements table, read from the database at every call, on purpose: no cache.
 * An admin may change a threshold at any time, and the next dry run, sync job or license
 * advance must use it (a cache kept them on the old thresholds for up to a minute). The table is
 * tiny (about 20 rows) and read in primary-key order, a fraction of a millisecond, once per
 * sync job or per call, so invalidation (a version counter kept by a trigger) would buy nothing
 * but a migration. Called inside a transaction, it reads that transaction's snapshot.
 */
export async function getLevelTables(db: DbTx): Promise<Map<string, LevelTable>> {
  const rows = await db.levelRequirement.findMany({ orderBy: [{ specializationId: 'asc' }, { level: 'asc' }] });
  const tables = new Map<string, { level: number; xpRequired: number; sessionsRequired: number }[]>();
  for (const r of rows) {
    const list = tables.get(r.specializationId) ?? [];
    list.push({ level: r.level, xpRequired: r.xpRequired, sessionsRequired: r.sessionsRequired });
    tables.set(r.specializationId, list);
  }
  return tables;
}

export async function getLevelTable(db: DbTx, specializationId: SpecializationId | string): Promise<LevelTable> {
  const table = (await getLevelTables(db)).get(specializationId);
  if (!table) throw new Error(`No level requirements for ${specializationId}`);
  return table;
}

/** A level of a specialization with its requirement and the whole table; VALIDATION when it does not exist. */
export async function requireLevel(db: DbTx, specializationId: string, level: number) {
  const table = await getLevelTable(db, specializationId);
  const requirement = requirementFor(table, level);
  if (!requirement) {
    throw new SyncError('VALIDATION', `Level ${level} does not exist for ${specializationId} (levels 1 to ${table.length}).`, {
      issues: [{ path: 'targetLevel', message: `must be between 1 and ${table.length}` }],
    });
  }
  return { table, requirement };
}
