/**
 * The level rules, as pure functions over a specialization's requirement table. The database
 * holds the same table (level_requirements); these functions never query it.
 */

export const SPECIALIZATIONS = ['PLAYER', 'COACH', 'INTERNSHIP'] as const;
export type SpecializationId = (typeof SPECIALIZATIONS)[number];

export interface LevelRequirement {
  level: number;
  xpRequired: number;
  sessionsRequired: number;
}

/** Requirements of one specialization, sorted by level, starting at level 1. */
export type LevelTable = readonly LevelRequirement[];

export function requirementFor(table: LevelTable, level: number): LevelRequirement | undefined {
  return table.find((r) => r.level === level);
}

/** The highest level whose XP and session thresholds are both met, never past the maximum. */
export function levelEarned(table: LevelTable, totalXp: number, completedSessions: number): number {
  let level = 1;
  for (const r of table) {
    if (totalXp >= r.xpRequired && completedSessions >= r.sessionsRequired) level = r.level;
    else break; // thresholds strictly increase, so no higher level can be met either
  }
  return level;
}

/** Whether a progress row's XP and sessions reach the minimum of the level it claims. */
export function satisfiesLevel(table: LevelTable, progress: { currentLevel: number; totalXp: number; completedSessions: number }): boolean {
  const r = requirementFor(table, progress.currentLevel);
  return !!r && progress.totalXp >= r.xpRequired && progress.completedSessions >= r.sessionsRequired;
}
