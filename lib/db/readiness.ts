import type { Db } from './prisma';
import { migrationNames } from './migration-files';

/**
 * What the probes answer (GET /api/health, /api/health/ready): whether PostgreSQL answers within
 * a bounded time, and whether every migration this build ships is applied (an instance of a newer
 * version must not take traffic before its migrations ran). Never more: probes are unauthenticated.
 */

export const PROBE_TIMEOUT_MS = 3000;

/** Runs `work`, or rejects after `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function databaseAnswers(db: Db, ms = PROBE_TIMEOUT_MS): Promise<boolean> {
  try {
    await withTimeout(db.$queryRaw`SELECT 1`, ms);
    return true;
  } catch {
    return false;
  }
}

export interface Readiness {
  ready: boolean;
  database: 'up' | 'down';
  /** Migrations of this build not applied to the database (null when the database is down). */
  pendingMigrations: number | null;
}

export async function readiness(db: Db, shipped: string[] = migrationNames(), ms = PROBE_TIMEOUT_MS): Promise<Readiness> {
  try {
    const applied = await withTimeout(
      db.$queryRaw<{ name: string }[]>`
        SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
      ms,
    );
    const done = new Set(applied.map((r) => r.name));
    const pending = shipped.filter((n) => !done.has(n)).length;
    return { ready: pending === 0, database: 'up', pendingMigrations: pending };
  } catch (err) {
    // A database that answers but has no migration table has everything pending.
    if (/_prisma_migrations/.test(String((err as Error)?.message)) && (await databaseAnswers(db, ms))) {
      return { ready: false, database: 'up', pendingMigrations: shipped.length };
    }
    return { ready: false, database: 'down', pendingMigrations: null };
  }
}
