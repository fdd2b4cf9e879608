import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, latestSnapshot, MIGRATIONS_DIR, migrationNames, readSchema } from '../../lib/db/migrations';
import { diffSchemas } from '../../lib/db/schema-engine';
import { testDatabaseUrl } from '../support/db';

/**
 * No drift between prisma/schema.prisma and the migrations. The WebAssembly engine cannot
 * introspect a live database through the driver adapter, so the check compares PostgreSQL's
 * own catalogs: this file's database (built by the migrations) against a scratch database built
 * from `diff(empty -> schema.prisma)`. Hand-written SQL (CHECKs, triggers, functions, indexes
 * Prisma cannot express) exists only in the migrations, by design: it sits below a
 * "Hand-written" marker line in each migration.sql, and the indexes it creates are read from there.
 */
const HAND_WRITTEN_INDEXES = new Set(
  migrationNames().flatMap((name) => {
    const sql = readFileSync(path.join(MIGRATIONS_DIR, name, 'migration.sql'), 'utf8');
    const marker = sql.search(/^--.*Hand-written/m);
    if (marker < 0) return [];
    return [...sql.slice(marker).matchAll(/CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)"?/gi)].map((m) => m[1]!);
  }),
);

const url = () => testDatabaseUrl;
let scratchUrl: string;
let scratchName: string;

beforeAll(async () => {
  const u = new URL(url());
  scratchName = `${u.pathname.slice(1)}_schema`;
  const admin = new pg.Client({ connectionString: url() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${scratchName}"`);
  await admin.end();
  u.pathname = `/${scratchName}`;
  scratchUrl = u.toString();
  const sql = await diffSchemas(scratchUrl, null, readSchema());
  const scratch = new pg.Client({ connectionString: scratchUrl });
  await scratch.connect();
  await scratch.query(sql);
  await scratch.end();
});

afterAll(async () => {
  const admin = new pg.Client({ connectionString: url() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${scratchName}" WITH (FORCE)`);
  await admin.end();
});

async function catalog(connectionString: string) {
  const c = new pg.Client({ connectionString });
  await c.connect();
  try {
    const columns = await c.query(`
      SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, character_maximum_length, datetime_precision
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
      ORDER BY table_name, column_name`);
    const indexes = await c.query(`
      SELECT tablename, indexname, indexdef FROM pg_indexes
      WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY indexname`);
    const constraints = await c.query(`
      SELECT conrelid::regclass::text AS tbl, conname, contype, pg_get_constraintdef(oid) AS def
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype IN ('p', 'u', 'f')
        AND conrelid::regclass::text <> '_prisma_migrations'
      ORDER BY conname`);
    const enums = await c.query(`
      SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY t.typname`);
    return {
      columns: columns.rows,
      indexes: indexes.rows.filter((r) => !HAND_WRITTEN_INDEXES.has(r.indexname)),
      constraints: constraints.rows,
      enums: enums.rows,
    };
  } finally {
    await c.end();
  }
}

describe('migrations and schema.prisma', () => {
  it('build the same tables, columns, keys, indexes and enums', async () => {
    const [fromMigrations, fromSchema] = await Promise.all([catalog(url()), catalog(scratchUrl)]);
    expect(fromMigrations.columns).toEqual(fromSchema.columns);
    expect(fromMigrations.constraints).toEqual(fromSchema.constraints);
    expect(fromMigrations.indexes).toEqual(fromSchema.indexes);
    expect(fromMigrations.enums).toEqual(fromSchema.enums);
  });

  it('leave nothing to migrate from the newest migration snapshot', async () => {
    const sql = await diffSchemas(scratchUrl, latestSnapshot(), readSchema());
    expect(sql.replace(/--.*$/gm, '').trim()).toBe('');
  });

  it('are recorded in _prisma_migrations as `prisma migrate deploy` records them', async () => {
    const c = new pg.Client({ connectionString: url() });
    await c.connect();
    const { rows } = await c.query(
      `SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name`,
    );
    await c.end();
    const names = migrationNames();
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    for (const r of rows) {
      const sql = readFileSync(path.join(MIGRATIONS_DIR, r.migration_name, 'migration.sql'));
      expect(r.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(r.finished_at).not.toBeNull();
      expect(r.rolled_back_at).toBeNull();
      expect(r.applied_steps_count).toBe(1);
    }
  });

  it('apply idempotently: a second run applies nothing', async () => {
    expect(await applyMigrations(url())).toEqual([]);
  });
});
