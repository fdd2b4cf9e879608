import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';

/**
 * Every test file runs on its own database, cloned from the migrated template, so a test may
 * count whole tables. tests/support/db.ts builds this file's clients from the URL left here;
 * nothing is passed through process.env.
 */
const baseUrl = inject('pgBaseUrl');
const template = inject('pgTemplate');
const name = `${template.replace('_tpl_', '_f_')}_${randomBytes(4).toString('hex')}`;

const admin = new pg.Client({ connectionString: `${baseUrl}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
await admin.end();

(globalThis as { syncwatchTestDatabaseUrl?: string }).syncwatchTestDatabaseUrl = `${baseUrl}/${name}`;

afterAll(async () => {
  const { closeTestDb } = await import('./db');
  await closeTestDb();
});
