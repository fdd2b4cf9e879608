/** npm run db:seed: seeds demo data into an empty database (never touches one with data). */
import pg from 'pg';
import { createDb } from '../lib/db/prisma';
import { env } from '../lib/env';
import { applyMigrations } from '../lib/db/migrations';
import { seedDemoData } from '../lib/seed/demo';
import { withDatabase } from './lib/database';

await withDatabase(async ({ url }) => {
  await applyMigrations(url);
  const config = env();
  const db = createDb(url, { poolSize: config.DATABASE_POOL_SIZE });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await seedDemoData(db, client, {
      learners: config.SEED_LEARNERS,
      admin: { email: config.SEED_ADMIN_EMAIL, password: config.SEED_ADMIN_PASSWORD },
      viewer: { email: config.SEED_VIEWER_EMAIL, password: config.SEED_VIEWER_PASSWORD },
    });
    console.log(
      result.seeded
        ? `Seeded ${result.learners} learners, ${result.pairs} pairs; desyncs: ${JSON.stringify(result.desyncs)}`
        : 'The database already has data; nothing seeded.',
    );
  } finally {
    await client.end();
    await db.$disconnect();
  }
});
