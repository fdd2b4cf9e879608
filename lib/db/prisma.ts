import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

/**
 * The one factory of database clients: a Prisma client on the pg driver adapter. The app builds
 * its client from the validated configuration (lib/db/server.ts); scripts, the scheduler, the
 * benchmark and tests build theirs from the URL they resolved and hand it to the engine.
 * Password hashes are omitted from every query unless a caller asks for them with
 * `omit: { passwordHash: false }`.
 */
export function createDb(connectionString: string, opts: { poolSize?: number } = {}) {
  const adapter = new PrismaPg({
    connectionString,
    max: opts.poolSize ?? 20,
    // A dropped connection must surface as an error to the caller, not crash the process.
    connectionTimeoutMillis: 10_000,
  });
  return new PrismaClient({ adapter, omit: { user: { passwordHash: true } } });
}

export type Db = ReturnType<typeof createDb>;

/** What an interactive transaction receives; the client itself fits too. */
export type DbTx = Omit<Db, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;
