import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { closeDb } from '../../lib/db/client';

/**
 * Every test file runs on its own database, cloned from the migrated template, so a test may
 * count whole tables. DATABASE_URL points at it before any test module touches the database.
 */
const baseUrl = inject('pgBaseUrl');
const template = inject('pgTemplate');
const name = `${template.replace('_tpl_', '_f_')}_${randomBytes(4).toString('hex')}`;

const admin = new pg.Client({ connectionString: `${baseUrl}/postgres` });
await admin.connect();
await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
await admin.end();

process.env.DATABASE_URL = `${baseUrl}/${name}`;
process.env.SCHEDULER_ENABLED = 'false';

afterAll(async () => {
  await closeDb();
});
