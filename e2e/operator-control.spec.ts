import type { Locator, Page } from '@playwright/test';
import { desyncKeys, expect, staff, tableRows, test, type Learner, type Sql } from './fixtures';
import { E2E_SQL_APPLICATION_NAME } from './support/run';
import { accessDenied, captureNextAction, replayHeaders, type CapturedAction } from './support/replay';

/**
 * Operators in control (issue 14): cancel a running job from the dashboard, repair exactly the
 * filtered or the selected desyncs from /desyncs, undo a job from its page, and none of it for a
 * VIEWER, on screen or by a direct POST of the server actions.
 */

const ADMIN_ONLY = 'Requires the ADMIN role';

/** How long the slowed statements on user_licenses sleep; a batch writes user_licenses in three statements. */
const SLOW_SECONDS = 2;

/** One fact of a job page's summary ("Scope", "Trigger", "Cancelled by", ...): its <dd>. */
function summary(page: Page, term: string): Locator {
  return page
    .locator('.summary-grid > div')
    .filter({ has: page.locator('dt', { hasText: new RegExp(`^${term}$`) }) })
    .locator('dd');
}

function jobIdOf(page: Page): number {
  const m = /\/jobs\/(\d+)$/.exec(new URL(page.url()).pathname);
  expect(m, `a job page: ${page.url()}`).not.toBeNull();
  return Number(m![1]);
}

type Job = {
  id: number;
  status: string;
  trigger: string;
  actor: string;
  reason: string | null;
  found: number;
  total: number;
  done: number;
  synced: number;
  failed: number;
  conflicts: number;
  error: string | null;
  scope: unknown;
  undoes_job_id: number | null;
  cancelled_by: string | null;
};

async function jobRow(sql: Sql, id: number): Promise<Job> {
  const [job] = await sql<Job>(
    `SELECT id, status, trigger, actor, reason, found, total, done, synced, failed, conflicts, error, scope, undoes_job_id, cancelled_by
     FROM sync_jobs WHERE id = $1`,
    [id],
  );
  expect(job, `sync job #${id}`).toBeDefined();
  return job!;
}

/** Waits until the job has ended (SQL), and returns it. */
async function endedJob(sql: Sql, id: number, timeout = 60_000): Promise<Job> {
  await expect.poll(async () => (await jobRow(sql, id)).status, { message: `job #${id} ends`, timeout }).not.toBe('RUNNING');
  return jobRow(sql, id);
}

/** What a job page shows once the job ended: the page refreshes itself when the job's event arrives. */
async function expectJobPageStatus(page: Page, id: number, status: string) {
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(new RegExp(`Sync job #${id}\\s*${status}`), { timeout: 30_000 });
}

/** Every pair of these learners as it is, both rows, keyed `userId:SPEC`. */
async function pairsOf(sql: Sql, learners: Learner[]): Promise<Record<string, string>> {
  const rows = await sql<{ key: string; state: string }>(
    `SELECT coalesce(p.user_id, l.user_id) || ':' || coalesce(p.specialization_id, l.specialization_id) AS key,
            concat_ws(' ', 'progress', coalesce(p.current_level::text, '-'), coalesce(p.total_xp::text, '-'),
                      coalesce(p.completed_sessions::text, '-'),
                      'license', coalesce(l.current_level::text, '-'), coalesce(l.started_at::text, '-'),
                      coalesce(l.last_advanced_at::text, '-')) AS state
     FROM specialization_progress p
     FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
     WHERE coalesce(p.user_id, l.user_id) = ANY($1)`,
    [learners.map((l) => l.id)],
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.state]));
}

/** Levels only ("3/2", "-" for a missing row), keyed `userId:SPEC`. */
async function levelsOf(sql: Sql, learners: Learner[]): Promise<Record<string, string>> {
  const rows = await sql<{ key: string; levels: string }>(
    `SELECT coalesce(p.user_id, l.user_id) || ':' || coalesce(p.specialization_id, l.specialization_id) AS key,
            coalesce(p.current_level::text, '-') || '/' || coalesce(l.current_level::text, '-') AS levels
     FROM specialization_progress p
     FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
     WHERE coalesce(p.user_id, l.user_id) = ANY($1)`,
    [learners.map((l) => l.id)],
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.levels]));
}

/** The job's items as `userId:SPEC:KIND:OUTCOME`, sorted. */
async function itemsOf(sql: Sql, jobId: number): Promise<string[]> {
  const rows = await sql<{ k: string }>(
    `SELECT user_id || ':' || specialization_id || ':' || kind || ':' || outcome AS k FROM sync_job_items WHERE job_id = $1 ORDER BY 1`,
    [jobId],
  );
  return rows.map((r) => r.k);
}

/** Opens the preview of a bulk action on /desyncs, confirms it with `reason`; returns the job id of the job page it lands on. */
async function confirmScopedSync(page: Page, button: Locator, reason: string, check: (dialog: Locator) => Promise<void>): Promise<number> {
  await button.click();
  const dialog = page.getByRole('dialog', { name: 'Sync preview' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Confirm sync' })).toBeEnabled();
  await check(dialog);
  await dialog.getByRole('textbox', { name: 'Reason' }).fill(reason);
  await dialog.getByRole('button', { name: 'Confirm sync' }).click();
  await expect(page).toHaveURL((url) => /^\/jobs\/\d+$/.test(url.pathname), { timeout: 15_000 });
  return jobIdOf(page);
}

// --- direct POSTs of server actions (as e2e/viewer.spec.ts) -----------------------------------

async function replay(page: Page, action: CapturedAction) {
  const res = await page.request.fetch(action.url, {
    method: 'POST',
    headers: replayHeaders(action.headers),
    data: action.body ?? undefined,
    maxRedirects: 0,
  });
  return { status: res.status(), text: await res.text() };
}

/** A RUNNING job row of nobody's process (as e2e/jobs.spec.ts): the slot held, its progress shown. */
async function insertRunningJob(sql: Sql, actor: string): Promise<number> {
  const [row] = await sql<{ id: number }>(
    `INSERT INTO sync_jobs (status, trigger, actor, reason, started_at, heartbeat_at, found, total, done)
     VALUES ('RUNNING', 'MANUAL', $1, 'e2e: a long job', now() - interval '1 minute', now(), 200, 200, 50) RETURNING id`,
    [actor],
  );
  return row!.id;
}

/** Ends such a job as a crashed one would be ended (a deleted job would leave open pages asking for it). */
async function endRunningJob(sql: Sql, id: number) {
  await sql(
    `UPDATE sync_jobs SET status = 'ABANDONED', finished_at = now(), error = 'e2e: ended by the test' WHERE id = $1 AND status = 'RUNNING'`,
    [id],
  );
}

test.describe('operator control', () => {
  test('an admin cancels a running "Sync now" job from the dashboard: CANCELLED at once, the slot free, the job page says by whom', async ({
    page,
    sql,
    factory,
  }) => {
    test.setTimeout(120_000);
    const admin = staff('admin');
    // More than one batch (1,000 pairs) of desyncs, on top of whatever else is out of sync.
    await factory.learners(1_100, () => [{ spec: 'PLAYER', progressLevel: 2, licenseLevel: 1 }]);
    // Every statement of the app on user_licenses sleeps: a batch writes it in three statements,
    // so the job is still in its first batch when the test clicks.
    const slow = `e2e_slow_${factory.tag}`;
    await sql(
      `CREATE FUNCTION ${slow}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF current_setting('application_name') <> '${E2E_SQL_APPLICATION_NAME}' THEN PERFORM pg_sleep(${SLOW_SECONDS}); END IF;
         RETURN NULL;
       END $$`,
    );
    await sql(`CREATE TRIGGER ${slow} BEFORE INSERT OR UPDATE ON user_licenses FOR EACH STATEMENT EXECUTE FUNCTION ${slow}()`);
    const dropSlowTrigger = async () => {
      // Waits for the batch in flight to end (it holds a lock on the table).
      await sql(`DROP TRIGGER IF EXISTS ${slow} ON user_licenses`);
      await sql(`DROP FUNCTION IF EXISTS ${slow}()`);
    };
    try {
      const reason = `E2E cancel ${factory.tag}`;
      await page.goto('/');
      const syncNow = page.getByRole('button', { name: 'Sync now' });
      await syncNow.click();
      const dialog = page.getByRole('dialog', { name: 'Sync preview' });
      await expect(dialog.getByRole('button', { name: 'Confirm sync' })).toBeEnabled({ timeout: 20_000 });
      await dialog.getByRole('textbox', { name: 'Reason' }).fill(reason);
      await dialog.getByRole('button', { name: 'Confirm sync' }).click();
      await expect(dialog).toBeHidden();

      // The progress area, with "Cancel job", while the job runs.
      const progress = page.getByRole('progressbar', { name: 'Sync progress' });
      await expect(progress).toBeVisible();
      await expect(syncNow).toBeDisabled();
      const cancel = page.getByRole('button', { name: 'Cancel job' });
      await expect(cancel).toBeEnabled();
      const [running] = await sql<{ id: number }>(`SELECT id FROM sync_jobs WHERE reason = $1 AND status = 'RUNNING'`, [reason]);
      expect(running, 'the job is still running when the test clicks').toBeDefined();
      const jobId = running!.id;

      const clickedAt = Date.now();
      await cancel.click();
      // At once: well within one (slowed) batch, which takes at least 3 x SLOW_SECONDS.
      await expect(page.getByText(new RegExp(`^Sync job #${jobId} cancelled after [\\d,]+ of [\\d,]+ pairs`))).toBeVisible({
        timeout: 3 * SLOW_SECONDS * 1000,
      });
      const cancelledIn = Date.now() - clickedAt;
      test.info().annotations.push({ type: 'cancel took', description: `${cancelledIn} ms` });
      const cancelled = await jobRow(sql, jobId);
      expect(cancelled).toMatchObject({ status: 'CANCELLED', cancelled_by: admin.email, error: `cancelled by ${admin.email}` });
      // The batch in flight was still sleeping: the cancel did not wait for it.
      const [{ n: sleeping } = { n: '0' }] = await sql<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND application_name <> $1`,
        [E2E_SQL_APPLICATION_NAME],
      );
      test.info().annotations.push({ type: 'batches sleeping at the cancel', description: sleeping });
      expect(Number(sleeping), 'a batch was still in flight when the cancel was answered').toBeGreaterThan(0);

      // The progress bar goes, "Sync now" is back.
      await expect(progress).toBeHidden({ timeout: 5_000 });
      await expect(cancel).toBeHidden();
      await expect(syncNow).toBeEnabled({ timeout: 5_000 });

      // The slot is free; the batch in flight rolls back, the committed ones (if any) stay with their items.
      await dropSlowTrigger();
      const after = await jobRow(sql, jobId);
      expect(after.status).toBe('CANCELLED');
      const [{ n: items } = { n: '0' }] = await sql<{ n: string }>(`SELECT count(*) AS n FROM sync_job_items WHERE job_id = $1`, [jobId]);
      expect(Number(items), 'every item of a committed batch is kept, none of the rolled-back one').toBe(after.done);
      expect(after.done, 'the job stopped before its end').toBeLessThan(1_100);
      expect(await sql(`SELECT id FROM sync_jobs WHERE status = 'RUNNING'`)).toEqual([]);
      const [audit] = await sql<{ actor: string }>(
        `SELECT actor FROM audit_events WHERE action = 'SYNC_JOB_CANCELLED' AND sync_job_id = $1`,
        [jobId],
      );
      expect(audit?.actor).toBe(admin.email);

      // The job's page: CANCELLED, by whom, and nothing left to cancel.
      await page.goto(`/jobs/${jobId}`);
      await expectJobPageStatus(page, jobId, 'CANCELLED');
      await expect(summary(page, 'Cancelled by')).toHaveText(admin.email);
      await expect(summary(page, 'Error')).toHaveText(`cancelled by ${admin.email}`);
      await expect(summary(page, 'Reason')).toHaveText(reason);
      await expect(page.getByRole('button', { name: 'Cancel job' })).toHaveCount(0);
    } finally {
      await dropSlowTrigger();
    }
  });

  test('/desyncs filtered to one specialization and kind: "Sync these N" repairs exactly those, and the job page shows its scope', async ({
    page,
    sql,
    factory,
  }) => {
    // Three desyncs in the filter (COACH, missing progress), three outside it.
    const inside = await factory.learners(3, () => [{ spec: 'COACH', progressLevel: null, licenseLevel: 2 }]);
    const outside = await factory.learners(3, (i) => [
      i === 0
        ? { spec: 'COACH', progressLevel: 3, licenseLevel: 2 } // same specialization, other kind
        : i === 1
          ? { spec: 'PLAYER', progressLevel: null, licenseLevel: 2 } // same kind, other specialization
          : { spec: 'INTERNSHIP', progressLevel: 2, licenseLevel: null }, // neither
    ]);
    // What the filter shows, from SQL: every COACH license without progress (a learner that exists).
    const [{ n } = { n: '0' }] = await sql<{ n: string }>(
      `SELECT count(*) AS n FROM user_licenses l JOIN users u ON u.id = l.user_id
       WHERE l.specialization_id = 'COACH'
         AND NOT EXISTS (SELECT 1 FROM specialization_progress p WHERE p.user_id = l.user_id AND p.specialization_id = 'COACH')`,
    );
    const expected = Number(n);
    expect(expected).toBeGreaterThanOrEqual(3);
    const keysBefore = await desyncKeys(sql);

    await page.goto('/desyncs');
    const kind = page.getByLabel('Kind', { exact: true });
    await kind.selectOption('MISSING_PROGRESS');
    await expect(page).toHaveURL((url) => url.searchParams.get('kind') === 'MISSING_PROGRESS');
    await expect(kind).toHaveValue('MISSING_PROGRESS');
    await page.getByLabel('Specialization', { exact: true }).selectOption('COACH');
    await expect(page).toHaveURL(
      (url) => url.searchParams.get('kind') === 'MISSING_PROGRESS' && url.searchParams.get('specialization') === 'COACH',
    );
    const filteredUrl = page.url();

    const syncThese = page.getByRole('button', { name: `Sync these ${expected}`, exact: true });
    await expect(syncThese).toBeVisible();
    const reason = `E2E filtered ${factory.tag}`;
    const jobId = await confirmScopedSync(page, syncThese, reason, async (dialog) => {
      await expect(dialog).toContainText('Scope: Missing progress · COACH. Only these desyncs are repaired.');
      await expect(dialog).toContainText(`A sync would address ${expected} out-of-sync pairs`);
      const counts = Object.fromEntries(await tableRows(dialog.getByRole('table', { name: 'Preview counts by kind' })));
      for (const [k, v] of Object.entries(counts)) expect(v, k).toBe(k === 'MISSING_PROGRESS' ? String(expected) : '0');
    });

    // The job page: its scope, and how it ended (pushed: the page refreshes itself).
    await expect(summary(page, 'Scope')).toHaveText('Missing progress · COACH');
    await expectJobPageStatus(page, jobId, 'SUCCEEDED');
    await expect(summary(page, 'Synced')).toHaveText(String(expected));
    const job = await endedJob(sql, jobId);
    expect(job).toMatchObject({ status: 'SUCCEEDED', trigger: 'MANUAL', reason, synced: expected, failed: 0 });
    expect(job.scope).toEqual({ kind: 'MISSING_PROGRESS', specialization: 'COACH' });
    const items = await itemsOf(sql, jobId);
    expect(items).toHaveLength(expected);
    for (const item of items) expect(item).toMatch(/^\d+:COACH:MISSING_PROGRESS:SYNCED$/);

    // The database: those repaired, every other desync still there.
    expect(await levelsOf(sql, inside)).toEqual(Object.fromEntries(inside.map((l) => [`${l.id}:COACH`, '2/2'])));
    expect(await desyncKeys(sql, { userIds: outside.map((l) => l.id) })).toEqual(
      new Set([
        `${outside[0]!.id}:COACH:LEVEL_MISMATCH`,
        `${outside[1]!.id}:PLAYER:MISSING_PROGRESS`,
        `${outside[2]!.id}:INTERNSHIP:MISSING_LICENSE`,
      ]),
    );
    const keysAfter = await desyncKeys(sql);
    for (const key of keysBefore) {
      if (!/:COACH:MISSING_PROGRESS$/.test(key)) expect(keysAfter.has(key), `${key} is still out of sync`).toBe(true);
    }
    expect([...keysAfter].filter((k) => /:COACH:MISSING_PROGRESS$/.test(k))).toEqual([]);

    // The filtered list is empty; the others are listed.
    await page.goto(filteredUrl);
    await expect(page.getByRole('main')).toContainText('No desyncs match these filters.');
    await expect(page.getByRole('button', { name: /^Sync these/ })).toHaveCount(0);
    await page.goto(`/desyncs?q=${factory.tag}`);
    const table = page.getByRole('table', { name: 'Desyncs' });
    await expect(table.getByRole('row').filter({ hasText: factory.tag })).toHaveCount(3);
    const shown = (await tableRows(table)).map((r) => r.join(' '));
    for (const [learner, spec] of [
      [outside[0]!, 'COACH'],
      [outside[1]!, 'PLAYER'],
      [outside[2]!, 'INTERNSHIP'],
    ] as const) {
      expect(
        shown.some((r) => r.includes(learner.email) && r.includes(spec)),
        `${learner.email} ${spec} listed`,
      ).toBe(true);
    }
  });

  test('"Sync selected": two ticked rows are previewed and repaired, exactly those two', async ({ page, sql, factory }) => {
    const learners = await factory.learners(3, (i) => [
      i === 0
        ? { spec: 'PLAYER', progressLevel: 3, licenseLevel: 2 }
        : i === 1
          ? { spec: 'COACH', progressLevel: 2, licenseLevel: null }
          : { spec: 'INTERNSHIP', progressLevel: null, licenseLevel: 2 },
    ]);
    const [a, b, c] = learners as [Learner, Learner, Learner];
    await page.goto(`/desyncs?q=${factory.tag}`);
    const table = page.getByRole('table', { name: 'Desyncs' });
    await expect(table.getByRole('row').filter({ hasText: factory.tag })).toHaveCount(3);

    const selected = page.getByRole('button', { name: /^Sync selected/ });
    await expect(selected).toHaveText('Sync selected');
    await expect(selected).toBeDisabled();
    await page.getByRole('checkbox', { name: `Select ${a.email} PLAYER`, exact: true }).check();
    await expect(selected).toHaveText('Sync selected (1)');
    await page.getByRole('checkbox', { name: `Select ${c.email} INTERNSHIP`, exact: true }).check();
    await expect(selected).toHaveText('Sync selected (2)');
    await expect(selected).toBeEnabled();

    const reason = `E2E selected ${factory.tag}`;
    const jobId = await confirmScopedSync(page, selected, reason, async (dialog) => {
      await expect(dialog).toContainText('Scope: 2 selected pairs. Only these desyncs are repaired.');
      await expect(dialog).toContainText('A sync would address 2 out-of-sync pairs');
      const planned = (await tableRows(dialog.getByRole('table', { name: 'Planned repairs' }))).map((r) => `${r[0]} ${r[1]}`).sort();
      expect(planned).toEqual([`${a.email} PLAYER`, `${c.email} INTERNSHIP`].sort());
    });
    await expect(summary(page, 'Scope')).toHaveText('2 selected pairs');
    await expectJobPageStatus(page, jobId, 'SUCCEEDED');

    const job = await endedJob(sql, jobId);
    expect(job).toMatchObject({ status: 'SUCCEEDED', reason, synced: 2, failed: 0 });
    expect(await itemsOf(sql, jobId)).toEqual(
      [`${a.id}:PLAYER:LEVEL_MISMATCH:SYNCED`, `${c.id}:INTERNSHIP:MISSING_PROGRESS:SYNCED`].sort(),
    );
    expect(await levelsOf(sql, learners)).toEqual({
      [`${a.id}:PLAYER`]: '3/3',
      [`${b.id}:COACH`]: '2/-', // not selected: as it was
      [`${c.id}:INTERNSHIP`]: '2/2',
    });
  });

  test('"Undo job" puts every pair back as it was, except one changed since: a conflict, left as it is', async ({ page, sql, factory }) => {
    const learners = await factory.learners(4, (i) => [
      i === 0
        ? { spec: 'PLAYER', progressLevel: 3, licenseLevel: 2 }
        : i === 1
          ? { spec: 'COACH', progressLevel: 2, licenseLevel: null }
          : i === 2
            ? { spec: 'INTERNSHIP', progressLevel: null, licenseLevel: 2 }
            : { spec: 'PLAYER', progressLevel: 2, licenseLevel: 1 },
    ]);
    const changed = learners[3]!;
    const before = await pairsOf(sql, learners);

    // The job to undo: "Sync these 4" on the list searched for this test's learners.
    await page.goto(`/desyncs?q=${factory.tag}`);
    const jobId = await confirmScopedSync(
      page,
      page.getByRole('button', { name: 'Sync these 4', exact: true }),
      `E2E to undo ${factory.tag}`,
      async () => {},
    );
    await expectJobPageStatus(page, jobId, 'SUCCEEDED');
    expect(await endedJob(sql, jobId)).toMatchObject({ status: 'SUCCEEDED', synced: 4 });
    expect(await levelsOf(sql, learners)).toEqual({
      [`${learners[0]!.id}:PLAYER`]: '3/3',
      [`${learners[1]!.id}:COACH`]: '2/2',
      [`${learners[2]!.id}:INTERNSHIP`]: '2/2',
      [`${changed.id}:PLAYER`]: '2/2',
    });

    // One pair changes after the job (a legacy write).
    await sql(`UPDATE user_licenses SET current_level = 3 WHERE user_id = $1 AND specialization_id = 'PLAYER'`, [changed.id]);
    const changedState = (await pairsOf(sql, [changed]))[`${changed.id}:PLAYER`];

    // The preview: 3 of the 4 go back, 1 conflict; "Confirm undo" needs a reason.
    await page.getByRole('button', { name: 'Undo job' }).click();
    const dialog = page.getByRole('dialog', { name: 'Undo preview' });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText(`Undoing job #${jobId} would put back 3 of the 4 pairs it changed.`);
    await expect(dialog).toContainText('1 changed since and would be left as they are (conflicts)');
    const planned = dialog.getByRole('table', { name: 'Planned undo' });
    await expect(planned.getByRole('row').filter({ hasText: changed.email })).toContainText('Conflict: left as it is');
    await expect(planned.locator('tbody').getByRole('row').filter({ hasText: 'Put back' })).toHaveCount(3);
    const confirm = dialog.getByRole('button', { name: 'Confirm undo' });
    await expect(confirm).toBeDisabled();
    const reason = `E2E undo ${factory.tag}`;
    await dialog.getByRole('textbox', { name: 'Reason' }).fill('   ');
    await expect(confirm).toBeDisabled();
    await dialog.getByRole('textbox', { name: 'Reason' }).fill(reason);
    await expect(confirm).toBeEnabled();
    await confirm.click();

    // The undo job's page.
    await expect(page).toHaveURL((url) => /^\/jobs\/\d+$/.test(url.pathname) && url.pathname !== `/jobs/${jobId}`, { timeout: 15_000 });
    const undoId = jobIdOf(page);
    await expect(summary(page, 'Trigger')).toHaveText(`UNDO of job #${jobId}`);
    await expect(summary(page, 'Scope')).toHaveText('The pairs the undone job changed');
    await expectJobPageStatus(page, undoId, 'SUCCEEDED');
    await expect(summary(page, 'Conflicts')).toHaveText('1');
    await expect(summary(page, 'Synced')).toHaveText('3');
    await expect(summary(page, 'Reason')).toHaveText(reason);

    const undo = await endedJob(sql, undoId);
    expect(undo).toMatchObject({ status: 'SUCCEEDED', trigger: 'UNDO', undoes_job_id: jobId, reason, synced: 3, conflicts: 1, failed: 0 });
    expect((await itemsOf(sql, undoId)).map((k) => k.replace(/^\d+:\w+:\w+:/, '')).sort()).toEqual([
      'CONFLICT',
      'SYNCED',
      'SYNCED',
      'SYNCED',
    ]);
    expect((await itemsOf(sql, undoId)).filter((k) => k.endsWith(':CONFLICT'))).toEqual([`${changed.id}:PLAYER:LEVEL_MISMATCH:CONFLICT`]);

    // The database: the three back exactly as before the job (rows, levels, XP, license dates), the changed one as it is.
    const now = await pairsOf(sql, learners);
    expect(now).toEqual({ ...before, [`${changed.id}:PLAYER`]: changedState });
    expect(await levelsOf(sql, learners)).toEqual({
      [`${learners[0]!.id}:PLAYER`]: '3/2',
      [`${learners[1]!.id}:COACH`]: '2/-',
      [`${learners[2]!.id}:INTERNSHIP`]: '-/2',
      [`${changed.id}:PLAYER`]: '2/3',
    });

    // The original job's page links its undo.
    await page.goto(`/jobs/${jobId}`);
    await expect(summary(page, 'Undone by')).toHaveText(`job #${undoId} (SUCCEEDED)`);
    // Undone once: a second undo is refused, with the way back.
    await page.getByRole('button', { name: 'Undo job' }).click();
    const again = page.getByRole('dialog', { name: 'Undo preview' });
    await expect(again).toContainText(new RegExp(`Sync job #${jobId} was already undone\\b.*job #${undoId}\\b`));
    await expect(again.getByRole('button', { name: 'Confirm undo' })).toBeDisabled();
    await again.getByRole('button', { name: 'Cancel' }).click();
    await expect(again).toBeHidden();

    // The undo can be undone: the three pairs it put back get the job's repairs again; the conflict stays as it is.
    await summary(page, 'Undone by')
      .getByRole('link', { name: `job #${undoId}` })
      .click();
    await expect(page).toHaveURL((url) => url.pathname === `/jobs/${undoId}`);
    await page.getByRole('button', { name: 'Undo job' }).click();
    const redo = page.getByRole('dialog', { name: 'Undo preview' });
    await expect(redo).toContainText(`Undoing job #${undoId} would put back 3 of the 3 pairs it changed.`);
    await redo.getByRole('textbox', { name: 'Reason' }).fill(`E2E undo the undo ${factory.tag}`);
    await redo.getByRole('button', { name: 'Confirm undo' }).click();
    await expect(page).toHaveURL((url) => /^\/jobs\/\d+$/.test(url.pathname) && url.pathname !== `/jobs/${undoId}`, { timeout: 15_000 });
    const redoId = jobIdOf(page);
    await expect(summary(page, 'Trigger')).toHaveText(`UNDO of job #${undoId}`);
    await expectJobPageStatus(page, redoId, 'SUCCEEDED');
    expect(await endedJob(sql, redoId)).toMatchObject({ status: 'SUCCEEDED', undoes_job_id: undoId, synced: 3, conflicts: 0 });
    expect(await levelsOf(sql, learners)).toEqual({
      [`${learners[0]!.id}:PLAYER`]: '3/3',
      [`${learners[1]!.id}:COACH`]: '2/2',
      [`${learners[2]!.id}:INTERNSHIP`]: '2/2',
      [`${changed.id}:PLAYER`]: '2/3',
    });
    // The original again: the way on is now the newest job of the chain.
    await page.goto(`/jobs/${jobId}`);
    await page.getByRole('button', { name: 'Undo job' }).click();
    await expect(page.getByRole('dialog', { name: 'Undo preview' })).toContainText(
      new RegExp(`Sync job #${jobId} was already undone\\b.*job #${redoId}\\b`),
    );
  });

  test('a VIEWER sees "Cancel job" and "Undo job" disabled, and why, and no bulk actions on /desyncs', async ({
    viewerPage,
    adminPage,
    sql,
    factory,
  }) => {
    const learner = await factory.learner([{ spec: 'PLAYER', progressLevel: 3, licenseLevel: 2 }]);
    const [finished] = await sql<{ id: number }>(
      `INSERT INTO sync_jobs (status, trigger, actor, reason, started_at, finished_at, heartbeat_at, duration_ms,
                              found, total, done, synced)
       VALUES ('SUCCEEDED', 'MANUAL', $1, 'e2e: a finished job', now() - interval '2 minutes', now() - interval '1 minute', now(),
               60000, 1, 1, 1, 1)
       RETURNING id`,
      [`other-admin-${factory.tag}@syncwatch.test`],
    );
    const runningId = await insertRunningJob(sql, `other-admin-${factory.tag}@syncwatch.test`);
    try {
      // The dashboard: the running job's progress, and its "Cancel job" disabled.
      await viewerPage.goto('/');
      await expect(viewerPage.getByRole('progressbar', { name: 'Sync progress' })).toBeVisible();
      const dashboardCancel = viewerPage.getByRole('button', { name: 'Cancel job' });
      await expect(dashboardCancel).toBeVisible();
      await expect(dashboardCancel).toBeDisabled();
      await expect(dashboardCancel).toHaveAccessibleDescription(ADMIN_ONLY);

      // The running job's page.
      await viewerPage.goto(`/jobs/${runningId}`);
      const pageCancel = viewerPage.getByRole('button', { name: 'Cancel job' });
      await expect(pageCancel).toBeDisabled();
      await expect(pageCancel).toHaveAccessibleDescription(ADMIN_ONLY);

      // A finished job's page.
      await viewerPage.goto(`/jobs/${finished!.id}`);
      const undo = viewerPage.getByRole('button', { name: 'Undo job' });
      await expect(undo).toBeVisible();
      await expect(undo).toBeDisabled();
      await expect(undo).toHaveAccessibleDescription(ADMIN_ONLY);
      await expect(viewerPage.getByRole('dialog', { name: 'Undo preview' })).toHaveCount(0);

      // /desyncs filtered: no "Sync these N", no "Sync selected", no checkboxes; the admin does see them.
      const filtered = `/desyncs?kind=LEVEL_MISMATCH&specialization=PLAYER&q=${encodeURIComponent(learner.email)}`;
      await adminPage.goto(filtered);
      await expect(adminPage.getByRole('button', { name: 'Sync these 1', exact: true })).toBeVisible();
      await expect(adminPage.getByRole('checkbox', { name: `Select ${learner.email} PLAYER` })).toBeVisible();
      await viewerPage.goto(filtered);
      const row = viewerPage.getByRole('table', { name: 'Desyncs' }).getByRole('row').filter({ hasText: learner.email });
      await expect(row).toHaveCount(1);
      await expect(row.getByRole('button', { name: 'Sync' })).toBeDisabled();
      await expect(viewerPage.getByRole('button', { name: /^Sync these/ })).toHaveCount(0);
      await expect(viewerPage.getByRole('button', { name: /^Sync selected/ })).toHaveCount(0);
      await expect(viewerPage.getByRole('checkbox')).toHaveCount(0);
    } finally {
      await endRunningJob(sql, runningId);
      await sql(`DELETE FROM sync_jobs WHERE id = $1`, [finished!.id]);
    }
  });

  test("a direct POST of cancel, undo preview and undo with the viewer's session, or with none, changes nothing", async ({
    adminPage,
    viewerPage,
    anonPage,
    sql,
    factory,
    consoleGuard,
  }) => {
    test.setTimeout(90_000);
    // The admin's captured requests are cut off before they reach the server.
    consoleGuard.allow(/Failed to fetch|ERR_ABORTED|ERR_FAILED|Failed to load resource|network|unexpected response/i);
    const viewer = staff('viewer');
    const admin = staff('admin');
    const learner = await factory.learner([{ spec: 'PLAYER', progressLevel: 3, licenseLevel: 2 }]);

    // A real job that repaired the learner's pair, to undo.
    await adminPage.goto(`/desyncs?q=${encodeURIComponent(learner.email)}`);
    const jobId = await confirmScopedSync(
      adminPage,
      adminPage.getByRole('button', { name: 'Sync these 1', exact: true }),
      `E2E direct POST ${factory.tag}`,
      async () => {},
    );
    expect(await endedJob(sql, jobId)).toMatchObject({ status: 'SUCCEEDED', synced: 1 });
    const runningId = await insertRunningJob(sql, `other-admin-${factory.tag}@syncwatch.test`);
    try {
      // What the admin's browser posts for each, recorded and not delivered.
      const actions: Record<string, CapturedAction> = {};
      await adminPage.goto(`/jobs/${runningId}`);
      actions['Cancel job'] = await captureNextAction(adminPage, () => adminPage.getByRole('button', { name: 'Cancel job' }).click());
      await adminPage.goto(`/jobs/${jobId}`);
      actions['Undo preview'] = await captureNextAction(adminPage, () => adminPage.getByRole('button', { name: 'Undo job' }).click());
      await adminPage.goto(`/jobs/${jobId}`);
      await adminPage.getByRole('button', { name: 'Undo job' }).click();
      const dialog = adminPage.getByRole('dialog', { name: 'Undo preview' });
      await expect(dialog).toContainText('would put back 1 of the 1 pairs it changed');
      await dialog.getByRole('textbox', { name: 'Reason' }).fill('e2e: replayed by the admin only');
      actions['Confirm undo'] = await captureNextAction(adminPage, () => dialog.getByRole('button', { name: 'Confirm undo' }).click());

      const state = async () => ({
        jobs: await sql(`SELECT id, status, done, synced, cancelled_by FROM sync_jobs WHERE id = ANY($1) ORDER BY id`, [
          [jobId, runningId],
        ]),
        undos: await sql(`SELECT id FROM sync_jobs WHERE undoes_job_id = $1`, [jobId]),
        jobCount: (await sql(`SELECT count(*) AS n FROM sync_jobs`))[0],
        audit: (await sql(`SELECT count(*) AS n FROM audit_events WHERE action <> 'ACCESS_DENIED'`))[0],
        pair: await pairsOf(sql, [learner]),
      });
      const before = await state();
      expect(before.jobs).toEqual([
        expect.objectContaining({ id: jobId, status: 'SUCCEEDED' }),
        expect.objectContaining({ id: runningId, status: 'RUNNING' }),
      ]);
      const deniedBefore = { viewer: await accessDenied(sql, viewer.email), all: await accessDenied(sql) };

      for (const [who, client] of [
        ['viewer', viewerPage],
        ['signed-out client', anonPage],
      ] as const) {
        for (const [name, action] of Object.entries(actions)) {
          const res = await replay(client, action);
          expect(res.status, `${who} posting "${name}"`).toBeLessThan(500);
          expect(res.text, `${who} posting "${name}" is not reported as a success`).not.toMatch(/"ok":true/);
          expect(res.text, 'no stack trace reaches the client').not.toMatch(/\n\s+at \S+ \(/);
        }
      }
      // Nothing changed: the running job runs, no undo job, no audit line but the refusals, the pair as it was.
      expect(await state()).toEqual(before);
      expect(await accessDenied(sql, viewer.email)).toBeGreaterThanOrEqual(deniedBefore.viewer + 3);
      expect(await accessDenied(sql)).toBeGreaterThanOrEqual(deniedBefore.all + 3);

      // Control: the same requests with the admin's session work, so the refusals came from the authorization.
      const preview = await replay(adminPage, actions['Undo preview']!);
      expect(preview.status).toBe(200);
      expect(preview.text).toMatch(/"ok":true/);
      const cancelled = await replay(adminPage, actions['Cancel job']!);
      expect(cancelled.status).toBe(200);
      expect(await jobRow(sql, runningId)).toMatchObject({ status: 'CANCELLED', cancelled_by: admin.email });
      // A cancel of a job that already ended says so.
      const again = await replay(adminPage, actions['Cancel job']!);
      expect(again.text).toContain(`Sync job #${runningId} already ended (CANCELLED`);
      expect(again.text).not.toMatch(/"ok":true/);
      const undone = await replay(adminPage, actions['Confirm undo']!);
      expect(undone.status).toBe(200);
      await expect.poll(async () => (await sql(`SELECT id FROM sync_jobs WHERE undoes_job_id = $1`, [jobId])).length).toBe(1);
      const [{ id: undoId } = { id: 0 }] = await sql<{ id: number }>(`SELECT id FROM sync_jobs WHERE undoes_job_id = $1`, [jobId]);
      expect(await endedJob(sql, undoId)).toMatchObject({
        status: 'SUCCEEDED',
        synced: 1,
        actor: admin.email,
        reason: 'e2e: replayed by the admin only',
      });
      expect(await levelsOf(sql, [learner])).toEqual({ [`${learner.id}:PLAYER`]: '3/2' });
    } finally {
      await endRunningJob(sql, runningId);
    }
  });
});
