import { expect, type Page } from '@playwright/test';
import { latestAuditId, type JobRow, type Sql } from './sql';

/** Actions through the UI that several tests need, each waiting until the database shows its effect. */

/**
 * Clicks "Run full audit" on the dashboard and waits until the audit is stored (a health_checks
 * row of kind AUDIT); returns its id. The figures need no audit (they are kept at every commit):
 * tests run one to check the audit itself, or to find what bypassed the triggers.
 */
export async function runFullAudit(page: Page, sql: Sql): Promise<number> {
  const before = await latestAuditId(sql);
  if (new URL(page.url()).pathname !== '/') await page.goto('/');
  await page.getByRole('button', { name: 'Run full audit' }).click();
  await expect.poll(() => latestAuditId(sql), { message: 'a new full audit is stored', timeout: 30_000 }).toBeGreaterThan(before);
  return latestAuditId(sql);
}

/** Opens "Sync now", waits for the dry run, confirms with `reason`; returns the finished job (SQL). */
export async function syncNowViaUi(page: Page, sql: Sql, reason: string): Promise<JobRow> {
  if (new URL(page.url()).pathname !== '/') await page.goto('/');
  const [{ id: lastId } = { id: 0 }] = await sql<{ id: number }>('SELECT coalesce(max(id), 0) AS id FROM sync_jobs');
  await page.getByRole('button', { name: 'Sync now' }).click();
  const dialog = page.getByRole('dialog', { name: 'Sync preview' });
  await expect(dialog.getByRole('button', { name: 'Confirm sync' })).toBeEnabled();
  await dialog.getByRole('textbox', { name: 'Reason' }).fill(reason);
  await dialog.getByRole('button', { name: 'Confirm sync' }).click();
  await expect(dialog).toBeHidden();
  let job: JobRow | undefined;
  await expect
    .poll(
      async () => {
        [job] = await sql<JobRow>(
          'SELECT id, status, trigger, actor, reason, found, synced, failed, reported FROM sync_jobs WHERE id > $1 ORDER BY id LIMIT 1',
          [lastId],
        );
        return job?.status;
      },
      { message: 'the sync job finishes', timeout: 60_000 },
    )
    .toMatch(/^(SUCCEEDED|PARTIAL|FAILED)$/);
  return job!;
}
