import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../lib/db/embedded';
import { freePort } from '../../tooling/build';
import { applyMigrations } from '../../lib/db/migrations';

/**
 * One PostgreSQL for the run: DATABASE_URL's server when set, otherwise an embedded one in a
 * temporary directory. Migrations are applied once to a template database; every test file
 * then gets its own copy (tests/support/database-per-file.ts).
 */

declare module 'vitest' {
  export interface ProvidedContext {
    pgBaseUrl: string;
    pgTemplate: string;
  }
}

export function refuseNonLocal(url: string) {
  const host = new URL(url).hostname;
  if (!['localhost', '127.0.0.1', '::1', '[::1]'].includes(host) && process.env.SYNCWATCH_TEST_ALLOW_REMOTE !== '1') {
    throw new Error(
      `Refusing to run tests against non-local database host ${host}: tests create and drop databases. ` +
        'Set SYNCWATCH_TEST_ALLOW_REMOTE=1 if this server is disposable.',
    );
  }
}

export default async function setup(project: TestProject) {
  let baseUrl: string;
  let stop = async () => {};
  let tmp: string | undefined;
  if (process.env.DATABASE_URL) {
    refuseNonLocal(process.env.DATABASE_URL);
    const u = new URL(process.env.DATABASE_URL);
    u.pathname = '';
    baseUrl = u.toString().replace(/\/$/, '');
  } else {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'syncwatch-test-'));
    chmodSync(tmp, 0o755); // as root, PostgreSQL runs as an unprivileged user that must reach it
    const server = await startEmbeddedPostgres({ dataDir: path.join(tmp, 'pg'), port: await freePort() });
    baseUrl = server.baseUrl;
    stop = () => server.stop();
  }

  const run = `${process.pid}_${Date.now().toString(36)}`;
  const template = `syncwatch_test_tpl_${run}`;
  const admin = new pg.Client({ connectionString: `${baseUrl}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${template}"`);
  await applyMigrations(`${baseUrl}/${template}`);

  project.provide('pgBaseUrl', baseUrl);
  project.provide('pgTemplate', template);

  return async () => {
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
      `syncwatch_test_%${run}%`,
    ]);
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    await admin.end();
    await stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  };
}
