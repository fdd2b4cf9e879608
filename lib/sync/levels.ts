import { getDb } from '../db/client';
import type { LevelTable, SpecializationId } from './level-rules';

/** The level_requirements table, read once a minute at most: it is reference data. */
let cache: { at: number; tables: Map<string, LevelTable> } | undefined;

export async function getLevelTables(): Promise<Map<string, LevelTable>> {
  if (cache && Date.now() - cache.at < 60_000) return cache.tables;
  const rows = await getDb().levelRequirement.findMany({ orderBy: [{ specializationId: 'asc' }, { level: 'asc' }] });
  const tables = new Map<string, { level: number; xpRequired: number; sessionsRequired: number }[]>();
  for (const r of rows) {
    const list = tables.get(r.specializationId) ?? [];
    list.push({ level: r.level, xpRequired: r.xpRequired, sessionsRequired: r.sessionsRequired });
    tables.set(r.specializationId, list);
  }
  cache = { at: Date.now(), tables };
  return tables;
}

export async function getLevelTable(specializationId: SpecializationId | string): Promise<LevelTable> {
  const table = (await getLevelTables()).get(specializationId);
  if (!table) throw new Error(`No level requirements for ${specializationId}`);
  return table;
}
