import type { Browser, BrowserContext, Page } from '@playwright/test';
import type { ConsoleGuard } from './console-guard';
import { STAFF, type StaffRole } from './run';

/** Staff of the run's seed, signing in, and pages signed in as them. */

/** Signs in through the real form. */
export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export function staff(role: StaffRole) {
  return STAFF[role];
}

/**
 * A page in a new browser context with `storageState` (a setup project's signed-in state, or
 * signed out when undefined), watched by `guard`; the context is pushed to `contexts` to be closed.
 */
export async function pageIn(
  browser: Browser,
  guard: ConsoleGuard,
  storageState: string | undefined,
  baseURL: string,
  contexts: BrowserContext[],
) {
  const context = await browser.newContext({
    baseURL,
    locale: 'en-US',
    storageState: storageState ?? { cookies: [], origins: [] },
  });
  contexts.push(context);
  const page = await context.newPage();
  guard.watch(page);
  return page;
}
