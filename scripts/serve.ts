/**
 * npm run serve (or `syncwatch serve`): SyncWatch in production, on your own PostgreSQL.
 *   1. validates the whole configuration as production, secrets included, before touching the
 *      database: DATABASE_URL, NEXTAUTH_SECRET and MONITOR_TOKEN must be set (demo values refused)
 *   2. applies pending migrations, or with --no-migrate refuses to start while any is pending
 *   3. never seeds demo data (create the first admin with `syncwatch users add`)
 *   4. builds only when there is no build, then serves (next start) until SIGTERM/SIGINT
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, parseEnv } from '../lib/env';
import { checkConnection } from '../lib/db/connection';
import { applyMigrations } from '../lib/db/migrations';
import { createDb } from '../lib/db/prisma';
import { readiness } from '../lib/db/readiness';
import { isPortFree } from '../tooling/build';
import { exitOnKnownError } from './lib/database';
import { buildApp, serveNext } from './lib/next-process';

const USAGE = 'Usage: npm run serve [-- --no-migrate]';

async function main(argv: string[]) {
  const unknown = argv.filter((a) => a !== '--no-migrate');
  if (unknown.length) throw new ConfigError(`unknown option ${unknown[0]}. ${USAGE}`);
  const migrate = !argv.includes('--no-migrate');
  const config = parseEnv({ ...process.env, NODE_ENV: 'production', SYNCWATCH_DEMO: undefined });
  if (!config.DATABASE_URL) {
    throw new ConfigError('DATABASE_URL must be set: the production command runs on your PostgreSQL (npm start is the demo).');
  }
  if (!(await isPortFree(config.PORT))) throw new ConfigError(`Port ${config.PORT} is already in use. Set PORT to a free port.`);
  const log = (m: string) => console.log(`[syncwatch] ${m}`);

  const url = config.DATABASE_URL;
  await checkConnection(url);
  if (migrate) {
    const applied = await applyMigrations(url);
    log(applied.length ? `Applied ${applied.length} migration(s)` : 'Migrations: up to date');
  } else {
    const db = createDb(url, { poolSize: 1 });
    const state = await readiness(db).finally(() => db.$disconnect());
    if (state.pendingMigrations) {
      throw new ConfigError(`${state.pendingMigrations} migration(s) pending: run without --no-migrate, or npm run db:migrate.`);
    }
  }

  const { SYNCWATCH_DEMO: _demo, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    NODE_ENV: 'production',
    DATABASE_URL: url,
    PORT: String(config.PORT),
    NEXT_TELEMETRY_DISABLED: '1',
  };
  const distDir = process.env.NEXT_DIST_DIR || '.next';
  if (!existsSync(path.join(process.cwd(), distDir, 'BUILD_ID'))) {
    log('No build yet: building the app (next build)...');
    if (!buildApp(env)) process.exit(1);
  }
  serveNext({
    port: config.PORT,
    env,
    onReady: () => log(`SyncWatch is serving on port ${config.PORT} (${config.NEXTAUTH_URL ?? 'set NEXTAUTH_URL to its public address'}).`),
  });
}

main(process.argv.slice(2)).catch(exitOnKnownError);
