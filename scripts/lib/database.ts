import { ConfigError, env } from '../../lib/env';
import { DatabaseConnectError, resolveDatabase, type ResolvedDatabase } from '../../lib/db/connection';
import { DatabaseStartError } from '../../lib/db/embedded';

/** Prints one line and exits non-zero for the failures a user can fix by configuration. */
export function exitOnKnownError(err: unknown): never {
  if (err instanceof ConfigError || err instanceof DatabaseStartError || err instanceof DatabaseConnectError) {
    console.error(`syncwatch: ${err.message}`);
    process.exit(1);
  }
  throw err;
}

/** Runs `fn` with the configured database (embedded when DATABASE_URL is unset), then stops it. */
export async function withDatabase<T>(fn: (db: ResolvedDatabase) => Promise<T>): Promise<T> {
  let db: ResolvedDatabase | undefined;
  try {
    const e = env();
    db = await resolveDatabase({
      databaseUrl: e.DATABASE_URL,
      embeddedDir: e.EMBEDDED_PG_DIR,
      embeddedPort: e.EMBEDDED_PG_PORT,
    });
    return await fn(db);
  } catch (err) {
    await db?.stop().catch(() => {});
    db = undefined;
    return exitOnKnownError(err);
  } finally {
    await db?.stop();
  }
}
