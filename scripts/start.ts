/**
 * npm start: the one command that runs the SyncWatch demo on a fresh machine.
 *   1. validates configuration (lib/env.ts)
 *   2. starts the embedded PostgreSQL (data under .data/, reused); on a DATABASE_URL it refuses
 *      unless given --demo (`npm start -- --demo`: the demo on your own server): production is
 *      `npm run serve` (scripts/serve.ts), which never seeds
 *   3. applies pending migrations offline
 *   4. seeds demo data into an empty database (one with no users, pairs or jobs; never beside real data)
 *   5. builds the app when the build is missing or older than the sources
 *   6. serves it (next start) until Ctrl-C, then stops the embedded database cleanly
 * `--dev` runs `next dev` instead of building.
 */
import pg from 'pg';
import { env } from '../lib/env';
import { resolveDatabase, type ResolvedDatabase } from '../lib/db/connection';
import { applyMigrations } from '../lib/db/migrations';
import { createDb } from '../lib/db/prisma';
import { seedDemoData } from '../lib/seed/demo';
import { exitOnKnownError } from './lib/database';
import { buildApp, serveNext } from './lib/next-process';
import { buildIsStale as isStale, isPortFree } from '../tooling/build';

const dev = process.argv.includes('--dev');
const demoOnOwnDatabase = process.argv.includes('--demo');
const root = process.cwd();

function buildIsStale(): boolean {
  return isStale(root, process.env.NEXT_DIST_DIR || '.next');
}

async function main() {
  const config = env();
  if (config.DATABASE_URL && !demoOnOwnDatabase) {
    console.error(
      'syncwatch: npm start is the demo on the embedded PostgreSQL. With DATABASE_URL, run the production command, ' +
        '`npm run serve` (it never seeds), or `npm start -- --demo` to put the demo into an empty database.',
    );
    process.exit(1);
  }
  if (!(await isPortFree(config.PORT))) {
    console.error(`syncwatch: Port ${config.PORT} is already in use. Set PORT to a free port.`);
    process.exit(1);
  }

  const log = (m: string) => console.log(`[syncwatch] ${m}`);
  const db: ResolvedDatabase = await resolveDatabase({
    databaseUrl: config.DATABASE_URL,
    embeddedDir: config.EMBEDDED_PG_DIR,
    embeddedPort: config.EMBEDDED_PG_PORT,
  });
  log(db.embedded ? `Embedded PostgreSQL on port ${config.EMBEDDED_PG_PORT} (data in ${config.EMBEDDED_PG_DIR})` : 'Using DATABASE_URL');

  // Until the server runs, Ctrl-C still stops the embedded database cleanly.
  const onSignal = () => void db.stop().finally(() => process.exit(0));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const applied = await applyMigrations(db.url);
    if (applied.length) log(`Applied ${applied.length} migration(s)`);

    // The seed drives the real engine (health checks, sync jobs) on its own client.
    const engineDb = createDb(db.url, { poolSize: config.DATABASE_POOL_SIZE });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const seeded = await seedDemoData(engineDb, client, {
        learners: config.SEED_LEARNERS,
        admin: { email: config.SEED_ADMIN_EMAIL, password: config.SEED_ADMIN_PASSWORD },
        viewer: { email: config.SEED_VIEWER_EMAIL, password: config.SEED_VIEWER_PASSWORD },
      });
      if (seeded.seeded) log(`Seeded ${seeded.learners} learners (${seeded.pairs} pairs) with demo desyncs`);
    } finally {
      await client.end();
      await engineDb.$disconnect();
    }

    const childEnv = {
      ...process.env,
      DATABASE_URL: db.url,
      PORT: String(config.PORT),
      NEXTAUTH_URL: config.NEXTAUTH_URL ?? `http://localhost:${config.PORT}`,
      NEXTAUTH_SECRET: config.NEXTAUTH_SECRET,
      NEXT_TELEMETRY_DISABLED: '1',
      // The demo on the embedded database may use the documented demo secrets; a server on a
      // configured DATABASE_URL is production and must have its own (lib/env.ts).
      ...(db.embedded ? { SYNCWATCH_DEMO: '1' } : {}),
      MONITOR_TOKEN: config.MONITOR_TOKEN,
    };
    if (!dev && buildIsStale()) {
      log('Building the app (next build)...');
      if (!buildApp(childEnv)) {
        await db.stop().catch(() => {});
        process.exit(1);
      }
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    serveNext({
      dev,
      port: config.PORT,
      env: childEnv,
      cleanUp: () => db.stop(),
      onReady: () => {
        log(`SyncWatch is running at http://localhost:${config.PORT}`);
        log(`Demo admin:  ${config.SEED_ADMIN_EMAIL} / ${config.SEED_ADMIN_PASSWORD}`);
        log(`Demo viewer: ${config.SEED_VIEWER_EMAIL} / ${config.SEED_VIEWER_PASSWORD}`);
        log('Press Ctrl-C to stop.');
      },
    });
  } catch (err) {
    await db.stop().catch(() => {});
    throw err;
  }
}

main().catch(exitOnKnownError);
