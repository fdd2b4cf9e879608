import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The migrations this build ships (prisma/migrations/<timestamp>_<name>/migration.sql), oldest first. No engine needed. */

export const MIGRATIONS_DIR = path.join(path.resolve(process.cwd(), 'prisma'), 'migrations');

export function migrationNames(dir = MIGRATIONS_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort();
}
