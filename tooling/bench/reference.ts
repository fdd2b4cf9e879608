import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createDb, type Db } from '../../lib/db/prisma';
import { applyMigrations } from '../../lib/db/migrations';
import type { BenchServer } from './database';
import { desyncState, totalDesyncs } from './dataset';
import { log } from './log';

/**
 * The 10M run's yardstick for what should not grow with the pairs (the health figures, a sync job
 * of 12,000 desyncs): the 1M data set, measured in the same run when its database
 * (syncwatch_bench_1000000, kept by the 1M run) is still there and intact, else the figures of
 * the latest 1M results file.
 */

export const REFERENCE_PAIRS = 1_000_000;

export interface Reference {
  pairs: number;
  label: string;
  url: string;
  db: Db;
  c: pg.Client;
  close(): Promise<void>;
}

/** The reference database, migrated and checked (12,000 desyncs in the tables and in the set), or null. */
export async function openReference(server: BenchServer, pairs: number): Promise<Reference | null> {
  if (pairs <= REFERENCE_PAIRS) return null;
  const database = `syncwatch_bench_${REFERENCE_PAIRS}`;
  const admin = new pg.Client({ connectionString: server.urlFor('postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [database]);
    if (!rowCount) {
      log(`  no ${database} on this server: the 1M figures come from the latest 1M results file`);
      return null;
    }
  } finally {
    await admin.end();
  }
  const url = server.urlFor(database);
  await applyMigrations(url);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const state = await desyncState(c);
  const { rows } = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE role = 'STUDENT'`);
  const expected = totalDesyncs(REFERENCE_PAIRS);
  if (rows[0]!.n !== REFERENCE_PAIRS || state.tables !== expected || state.set !== expected) {
    log(
      `  ${database} is not the 1M data set as built (${rows[0]!.n} learners, ${state.tables} desyncs in the tables, ` +
        `${state.set} in the set): the 1M figures come from the latest 1M results file`,
    );
    await c.end();
    return null;
  }
  const db = createDb(url, { poolSize: 8 });
  log(`  reference: ${database} (1,000,000 pairs, ${expected} desyncs), measured in this run beside this data set`);
  return {
    pairs: REFERENCE_PAIRS,
    label: '1M',
    url,
    db,
    c,
    close: async () => {
      await c.end().catch(() => {});
      await db.$disconnect().catch(() => {});
    },
  };
}

/** Figures of the latest results file of the reference size written by this version of the suite, or null. */
export function latestReferenceResults(
  version: number,
): { file: string; readHealthMs: number | null; syncJobMs: number | null; buildMs: number | null } | null {
  const dir = path.join(process.cwd(), 'bench', 'results');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json') && f.includes(`-${REFERENCE_PAIRS}`));
  } catch {
    return null;
  }
  const found = files
    .map((f) => {
      try {
        const r = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as {
          version?: number;
          startedAt?: string;
          pairs?: number;
          healthFigures?: { readMs?: number };
          sync?: { jobMs?: number };
          dataset?: { buildMs?: number };
        };
        return r.version === version && r.pairs === REFERENCE_PAIRS ? { f, r } : null;
      } catch {
        return null;
      }
    })
    .filter((x) => x !== null)
    .sort((a, b) => String(a.r.startedAt).localeCompare(String(b.r.startedAt)));
  const last = found.at(-1);
  if (!last) return null;
  return {
    file: path.join('bench', 'results', last.f),
    readHealthMs: last.r.healthFigures?.readMs ?? null,
    syncJobMs: last.r.sync?.jobMs ?? null,
    buildMs: last.r.dataset?.buildMs ?? null,
  };
}
