import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client';

/**
 * Builds a Prisma client on the pg driver adapter. Password hashes are omitted from every
 * query unless a caller asks for them with `omit: { passwordHash: false }`.
 */
export function createPrismaClient(connectionString: string, opts: { poolSize?: number } = {}) {
  const adapter = new PrismaPg({
    connectionString,
    max: opts.poolSize ?? 20,
    // A dropped connection must surface as an error to the caller, not crash the process.
    connectionTimeoutMillis: 10_000,
  });
  return new PrismaClient({ adapter, omit: { user: { passwordHash: true } } });
}

export type Db = ReturnType<typeof createPrismaClient>;

/** What an interactive transaction receives; the client itself fits too. */
export type DbTx = Omit<Db, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;
