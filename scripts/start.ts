/**
 * npm start: the one command that runs SyncWatch on a fresh machine.
 *   1. validates configuration (lib/env.ts)
 *   2. uses DATABASE_URL, or starts the embedded PostgreSQL (data under .data/, reused)
 *   3. applies pending migrations offline
 *   4. seeds demo data into an empty database
 *   5. builds the app when the build is missing or older than the sources
 *   6. serves it (next start) until Ctrl-C, then stops the embedded database cleanly
 * `--dev` runs `next dev` instead of building.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { env } from '../lib/env';
import { resolveDatabase, type ResolvedDatabase } from '../lib/db/connection';
import { applyMigrations } from '../lib/db/migrations';
import { createDb } from '../lib/db/prisma';
import { seedDemoData } from '../lib/seed/demo';
import { exitOnKnownError } from './lib/database';
import { buildIsStale as isStale, isPortFree } from '../tooling/build';

const dev = process.argv.includes('--dev');
const root = process.cwd();
const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');

function buildIsStale(): boolean {
  return isStale(root, process.env.NEXT_DIST_DIR || '.next');
}

async function main() {
  const config = env();
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

  let child: ReturnType<typeof spawn> | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await db.stop().catch(() => {});
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

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
      const build = spawnSync(process.execPath, [nextBin, 'build'], { stdio: 'inherit', env: { ...childEnv, NODE_ENV: 'production' } });
      if (build.status !== 0) {
        console.error('syncwatch: next build failed (see above).');
        return shutdown(1);
      }
    }

    child = spawn(process.execPath, [nextBin, dev ? 'dev' : 'start', '-p', String(config.PORT)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: childEnv,
    });
    let announced = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      if (!announced && /Ready in|Local:/.test(chunk.toString())) {
        announced = true;
        log(`SyncWatch is running at http://localhost:${config.PORT}`);
        log(`Demo admin:  ${config.SEED_ADMIN_EMAIL} / ${config.SEED_ADMIN_PASSWORD}`);
        log(`Demo viewer: ${config.SEED_VIEWER_EMAIL} / ${config.SEED_VIEWER_PASSWORD}`);
        log('Press Ctrl-C to stop.');
      }
    });
    child.on('exit', (code) => {
      if (!stopping) {
        console.error(`syncwatch: the server exited (code ${code}).`);
        void shutdown(code ?? 1);
      }
    });
  } catch (err) {
    await db.stop().catch(() => {});
    throw err;
  }
}

main().catch(exitOnKnownError);
