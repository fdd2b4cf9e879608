import pg from 'pg';

/** A plain pg client on this test file's database, for raw SQL the app would never write. */
export async function rawClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  return client;
}

/** Runs `sql` and returns the PostgreSQL error it raised (SQLSTATE code and constraint). */
export async function expectRefused(client: pg.Client, sql: string, params: unknown[] = []) {
  try {
    await client.query(sql, params);
  } catch (err) {
    const e = err as { code: string; constraint?: string; message: string };
    return { code: e.code, constraint: e.constraint, message: e.message };
  }
  throw new Error(`Expected PostgreSQL to refuse: ${sql}`);
}
