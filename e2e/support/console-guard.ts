import { expect, type Page, type TestInfo } from '@playwright/test';

/**
 * Every page a test opens fails the test on a console error or an uncaught exception, unless the
 * test allows that message.
 */

export interface ConsoleGuard {
  /** Watches a page: console errors and page errors are collected and fail the test. */
  watch(page: Page): void;
  /** Tolerates messages matching `pattern` for the rest of this test (e.g. an expected 401). */
  allow(pattern: RegExp): void;
}

/** A guard for one test, and its verdict once the test has run. */
export function createConsoleGuard(): { guard: ConsoleGuard; verdict: (testInfo: TestInfo) => Promise<void> } {
  const problems: string[] = [];
  const allowed: RegExp[] = [];
  const guard: ConsoleGuard = {
    watch(page) {
      page.on('console', (msg) => {
        if (msg.type() !== 'error') return;
        const where = msg.location().url ? ` (${msg.location().url})` : '';
        problems.push(`console error on ${page.url()}: ${msg.text()}${where}`);
      });
      page.on('pageerror', (err) => problems.push(`uncaught exception on ${page.url()}: ${err.message}`));
    },
    allow(pattern) {
      allowed.push(pattern);
    },
  };
  // A test that passed fails on unexpected messages; one that already failed keeps them as an attachment.
  const verdict = async (testInfo: TestInfo) => {
    const unexpected = problems.filter((p) => !allowed.some((re) => re.test(p)));
    if (testInfo.status === testInfo.expectedStatus) {
      expect(unexpected, 'the browser console must stay free of errors').toEqual([]);
    } else if (unexpected.length) {
      await testInfo.attach('console-errors', { body: unexpected.join('\n'), contentType: 'text/plain' });
    }
  };
  return { guard, verdict };
}
