import type { NextApp } from '../../tooling/next-server';

/**
 * What the E2E run shares between its global setup (which prepares the database and the
 * server) and the tests (which read the same values from the environment: Playwright starts
 * its workers with the environment global setup left behind).
 */

/** Staff seeded into the run's database; the setup project signs in as each. */
export const STAFF = {
  admin: { email: 'e2e-admin@syncwatch.test', password: 'e2e-admin-password', role: 'ADMIN' },
  viewer: { email: 'e2e-viewer@syncwatch.test', password: 'e2e-viewer-password', role: 'VIEWER' },
} as const;

export type StaffRole = keyof typeof STAFF;

/** Where the setup project writes each role's signed-in storage state (git-ignored). */
export const AUTH_DIR = 'e2e/.auth';
export const storageStateFor = (role: StaffRole) => `${AUTH_DIR}/${role}.json`;

/** Learners in the run's demo seed: small enough to seed in a second, with desyncs of each kind. */
export const E2E_LEARNERS = 300;

/** The run's production build: its own distDir, type-checked with its own tsconfig (see next.config.ts). */
export const E2E_APP: NextApp = { distDir: '.next-e2e', tsconfig: 'tsconfig.e2e.json' };

/**
 * The server's DASHBOARD_POLL_SECONDS: the pages' default "Refresh every", how often they poll
 * while the event stream is down. Not the app's default (10), so that a test that needs fast
 * polling selects it, and one that sees changes within seconds sees them pushed, not polled.
 */
export const E2E_POLL_SECONDS = 60;

/** The application_name of the tests' own SQL connections: their writes are caused by "sql:e2e-tests". */
export const E2E_SQL_APPLICATION_NAME = 'e2e-tests';

export const ENV = {
  /** The app under test, e.g. http://127.0.0.1:41234 */
  baseUrl: 'SYNCWATCH_E2E_BASE_URL',
  /** The run's database, for fixtures that check the app's figures with their own SQL. */
  databaseUrl: 'SYNCWATCH_E2E_DATABASE_URL',
  /** The server's log file, printed when it fails to start. */
  serverLog: 'SYNCWATCH_E2E_SERVER_LOG',
  /**
   * The variables global setup gives the app on top of the environment (JSON), so a test can
   * start another server of the same build on the same database (e2e/live.spec.ts).
   */
  appEnv: 'SYNCWATCH_E2E_APP_ENV',
} as const;

export function runValue(name: keyof typeof ENV): string {
  const value = process.env[ENV[name]];
  if (!value) {
    throw new Error(`${ENV[name]} is not set: run the suite with \`npm run test:e2e\` (playwright test), whose global setup sets it.`);
  }
  return value;
}

/** The app's variables of this run (secrets included), for another server of the same build. */
export function appEnvOfRun(): Record<string, string> {
  return JSON.parse(runValue('appEnv')) as Record<string, string>;
}
