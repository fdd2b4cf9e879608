/**
 * npm run db:migration -- <name>
 * Writes a new migration from the latest migration's schema snapshot to prisma/schema.prisma,
 * offline, with Prisma's WebAssembly schema engine. Add hand-written SQL (CHECKs, triggers)
 * below the generated statements; it is kept.
 */
import { withDatabase } from './lib/database';
import { createMigration } from '../lib/db/migrations';

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--'));
const allowEmpty = args.includes('--empty');
if (!name || args.includes('--help')) {
  console.log('Usage: npm run db:migration -- <name> [--empty]   (name: lowercase letters, digits, _)');
  console.log('  --empty  write the migration even when schema.prisma has not changed (for hand-written SQL)');
  process.exit(name ? 0 : 2);
}

await withDatabase(async ({ url }) => {
  const folder = await createMigration(url, name, { allowEmpty });
  console.log(folder ? `Wrote ${folder}/migration.sql` : 'No changes: schema.prisma matches the migrations.');
});
