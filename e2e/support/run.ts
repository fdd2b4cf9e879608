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

export const ENV = {
  /** The app under test, e.g. http://127.0.0.1:41234 */
  baseUrl: 'SYNCWATCH_E2E_BASE_URL',
  /** The run's database, for fixtures that check the app's figures with their own SQL. */
  databaseUrl: 'SYNCWATCH_E2E_DATABASE_URL',
  /** The server's log file, printed when it fails to start. */
  serverLog: 'SYNCWATCH_E2E_SERVER_LOG',
} as const;

export function runValue(name: keyof typeof ENV): string {
  const value = process.env[ENV[name]];
  if (!value) {
    throw new Error(`${ENV[name]} is not set: run the suite with \`npm run test:e2e\` (playwright test), whose global setup sets it.`);
  }
  return value;
}
