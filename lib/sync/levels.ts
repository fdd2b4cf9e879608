import type { DbTx } from '../db/prisma';
import type { LevelTable, SpecializationId } from './level-rules';

/** The level_requirements table, read once a minute at most per client: it is reference data. */
const caches = new WeakMap<object, { at: number; tables: Map<string, LevelTable> }>();

export async function getLevelTables(db: DbTx): Promise<Map<string, LevelTable>> {
  const cache = caches.get(db);
  if (cache && Date.now() - cache.at < 60_000) return cache.tables;
  const rows = await db.levelRequirement.findMany({ orderBy: [{ specializationId: 'asc' }, { level: 'asc' }] });
  const tables = new Map<string, { level: number; xpRequired: number; sessionsRequired: number }[]>();
  for (const r of rows) {
    const list = tables.get(r.specializationId) ?? [];
    list.push({ level: r.level, xpRequired: r.xpRequired, sessionsRequired: r.sessionsRequired });
    tables.set(r.specializationId, list);
  }
  caches.set(db, { at: Date.now(), tables });
  return tables;
}

export async function getLevelTable(db: DbTx, specializationId: SpecializationId | string): Promise<LevelTable> {
  const table = (await getLevelTables(db)).get(specializationId);
  if (!table) throw new Error(`No level requirements for ${specializationId}`);
  return table;
}
