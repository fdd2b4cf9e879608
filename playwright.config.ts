import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';
import { storageStateFor } from './e2e/support/run';

/**
 * The E2E suite: real Chromium against the production build, on a PostgreSQL prepared for the
 * run by e2e/global-setup.ts (which also starts the app and tears everything down).
 *
 * Chromium: PLAYWRIGHT_CHROMIUM_PATH, else Debian's /usr/bin/chromium (these machines, CI via
 * .ci/run), else Playwright's own browser (`npx playwright install chromium`).
 */
const chromium = process.env.PLAYWRIGHT_CHROMIUM_PATH || (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

const ci = !!process.env.CI;

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results/e2e',
  globalSetup: './e2e/global-setup.ts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: ci,
  retries: ci ? 1 : 0,
  // Two cores: the server, PostgreSQL and the browsers share them.
  workers: 2,
  fullyParallel: false,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    // baseURL comes from the run (a free port): see the baseURL fixture in e2e/fixtures.ts.
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    locale: 'en-US',
    launchOptions: {
      executablePath: chromium,
      // Without the networking flags Chromium keeps calling home on a closed network.
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  projects: [
    { name: 'setup', testMatch: /auth\.setup\.ts$/ },
    {
      // Tests that count the whole database, run full audits or sync everything, or watch the
      // figures move live: one at a time, so no test sees another's data move under it.
      name: 'shared-data',
      testMatch: /(a11y|alerts|api-keys|audit|dashboard|desyncs|history|jobs|learners|live|operator-control|staff|viewer|xss)\.spec\.ts$/,
      dependencies: ['setup'],
      workers: 1,
      use: { storageState: storageStateFor('admin') },
    },
    {
      // Tests that assert nothing about global figures; they run beside the others.
      name: 'independent',
      testMatch: /(auth|session|stale|security)\.spec\.ts$/,
      dependencies: ['setup'],
      use: { storageState: storageStateFor('admin') },
    },
    {
      // The server's log after every other test of the run wrote to it (e2e/logs.spec.ts).
      name: 'logs',
      testMatch: /logs\.spec\.ts$/,
      dependencies: ['shared-data', 'independent'],
      workers: 1,
      use: { storageState: storageStateFor('admin') },
    },
    {
      // Two more servers of the build on a database of their own (created and dropped by the
      // spec, staff and data of its own): it shares no data with the other projects.
      name: 'instances',
      testMatch: /instances\.spec\.ts$/,
      workers: 1,
    },
  ],
});
