/** npm run db:migrate: applies pending migrations offline (WebAssembly schema engine). */
import { withDatabase } from './lib/database';
import { applyMigrations } from '../lib/db/migrations';

await withDatabase(async ({ url }) => {
  const applied = await applyMigrations(url);
  console.log(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}` : 'Database is up to date.');
});
