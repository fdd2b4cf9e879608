import type { Db } from '../db/prisma';
import { Prisma } from '../generated/prisma/client';

/**
 * The distinct values of an indexed text column, in order, by a loose index scan: one index probe
 * per distinct value, however many rows hold each (the filters' option lists: actors, actions,
 * writers). `table` and `column` are identifiers written in the code, never user input.
 */
export async function distinctValues(db: Db, table: string, column: string, limit: number): Promise<string[]> {
  const t = Prisma.raw(`"${table}"`);
  const c = Prisma.raw(`"${column}"`);
  const rows = await db.$queryRaw<{ v: string }[]>`
    WITH RECURSIVE f AS (
      (SELECT ${c} AS v FROM ${t} ORDER BY ${c} LIMIT 1)
      UNION ALL
      SELECT (SELECT x.${c} FROM ${t} x WHERE x.${c} > f.v ORDER BY x.${c} LIMIT 1) FROM f WHERE f.v IS NOT NULL
    )
    SELECT v FROM f WHERE v IS NOT NULL LIMIT ${limit}`;
  return rows.map((r) => r.v);
}
