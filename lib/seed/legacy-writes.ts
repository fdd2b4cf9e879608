import type pg from 'pg';

export type Queryable = pg.Client | pg.PoolClient;

/**
 * Breaks about `rate` of the pairs in each way the academy saw, with raw SQL as legacy code
 * would: a license edited by hand (level mismatch), a license never written (progress without
 * license), progress lost (license without progress).
 */
export async function breakPairs(client: Queryable, rand: () => number, rate: number) {
  const { rows } = await client.query<{ user_id: number; specialization_id: string; current_level: number; max_level: number }>(
    `SELECT p.user_id, p.specialization_id, p.current_level, s.max_level
     FROM specialization_progress p JOIN user_licenses l USING (user_id, specialization_id)
     JOIN specializations s ON s.id = p.specialization_id
     WHERE p.current_level = l.current_level ORDER BY p.user_id, p.specialization_id`,
  );
  const picks = { LEVEL_MISMATCH: [] as typeof rows, MISSING_LICENSE: [] as typeof rows, MISSING_PROGRESS: [] as typeof rows };
  for (const r of rows) {
    const roll = rand();
    if (roll < rate) picks.LEVEL_MISMATCH.push(r);
    else if (roll < 2 * rate) picks.MISSING_LICENSE.push(r);
    else if (roll < 3 * rate) picks.MISSING_PROGRESS.push(r);
  }
  const mismatchLevel = (r: (typeof rows)[number]) =>
    r.current_level === 1 ? 2 : r.current_level === r.max_level || rand() < 0.7 ? r.current_level - 1 : r.current_level + 1;
  const arrays = (list: typeof rows) => [list.map((r) => r.user_id), list.map((r) => r.specialization_id)];
  // Each way of breaking a pair is one legacy writer, attributed at commit as "sql:<application_name>".
  const { rows: app } = await client.query<{ name: string }>(`SELECT current_setting('application_name') AS name`);
  const as = (name: string) => client.query(`SELECT set_config('application_name', $1, false)`, [name]);
  await as('legacy-license-editor');
  await client.query(
    `UPDATE user_licenses l SET current_level = t.lvl FROM unnest($1::int[], $2::text[], $3::int[]) AS t(u, s, lvl)
     WHERE l.user_id = t.u AND l.specialization_id = t.s`,
    [...arrays(picks.LEVEL_MISMATCH), picks.LEVEL_MISMATCH.map(mismatchLevel)],
  );
  await as('legacy-import');
  await client.query(
    `DELETE FROM user_licenses l USING unnest($1::int[], $2::text[]) AS t(u, s) WHERE l.user_id = t.u AND l.specialization_id = t.s`,
    arrays(picks.MISSING_LICENSE),
  );
  await as('legacy-cleanup');
  await client.query(
    `DELETE FROM specialization_progress p USING unnest($1::int[], $2::text[]) AS t(u, s)
     WHERE p.user_id = t.u AND p.specialization_id = t.s`,
    arrays(picks.MISSING_PROGRESS),
  );
  await as(app[0]?.name ?? '');
  return {
    LEVEL_MISMATCH: picks.LEVEL_MISMATCH.length,
    MISSING_LICENSE: picks.MISSING_LICENSE.length,
    MISSING_PROGRESS: picks.MISSING_PROGRESS.length,
  };
}
