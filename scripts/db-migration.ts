/**
 * npm run db:migration -- <name>
 * Writes a new migration from the latest migration's schema snapshot to prisma/schema.prisma,
 * offline, with Prisma's WebAssembly schema engine. Add hand-written SQL (CHECKs, triggers)
 * below the generated statements; it is kept.
 */
import { withDatabase } from './lib/database';
import { createMigration } from '../lib/db/migrations';

const name = process.argv[2];
if (!name || process.argv.includes('--help')) {
  console.log('Usage: npm run db:migration -- <name>   (name: lowercase letters, digits, _)');
  process.exit(name ? 0 : 2);
}

await withDatabase(async ({ url }) => {
  const folder = await createMigration(url, name);
  console.log(folder ? `Wrote ${folder}/migration.sql` : 'No changes: schema.prisma matches the migrations.');
});
