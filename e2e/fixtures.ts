import { randomBytes } from 'node:crypto';
import { test as base, expect, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import pg from 'pg';
import { hashPassword } from '../lib/auth/password';
import { runValue, STAFF, storageStateFor, type StaffRole } from './support/run';

/**
 * Fixtures for the E2E suite (STYLE habits 8 and 9):
 * - `sql`: raw SQL on the run's database, to set up data and to check the app's figures with
 *   queries written here, independently of the app's own code;
 * - `factory`: learners and pairs a test needs, each with a unique email, removed after the test;
 * - `adminPage` / `viewerPage` / `anonPage`: pages signed in through the setup project's
 *   storage states (or signed out); the default `page` is the admin's;
 * - `consoleGuard`: every page a test opens fails the test on a console error or an uncaught
 *   exception, unless the test allows that message.
 */

export type Sql = <R extends Record<string, unknown> = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<R[]>;

export type SpecializationId = 'PLAYER' | 'COACH' | 'INTERNSHIP';
export const REPAIRABLE_KINDS = ['LEVEL_MISMATCH', 'MISSING_LICENSE', 'MISSING_PROGRESS'] as const;
export type RepairableKind = (typeof REPAIRABLE_KINDS)[number];

/** A pair to create: a level for each row, or null for a row that must not exist. */
export interface PairSpec {
  spec: SpecializationId;
  progressLevel: number | null;
  licenseLevel: number | null;
}

export interface Learner {
  id: number;
  email: string;
  name: string;
}

export interface Factory {
  /** A short random tag, unique to this test; every email the factory makes contains it. */
  tag: string;
  /** `count` learners, each with the pairs `pairsFor(i)` describes, inserted set-based. */
  learners(count: number, pairsFor: (i: number) => PairSpec[]): Promise<Learner[]>;
  learner(pairs: PairSpec[]): Promise<Learner>;
  /** A user with a password (any role), for sign-in tests. */
  user(opts: { role: 'STUDENT' | 'VIEWER' | 'ADMIN'; password: string }): Promise<Learner>;
}

export interface ConsoleGuard {
  /** Watches a page: console errors and page errors are collected and fail the test. */
  watch(page: Page): void;
  /** Tolerates messages matching `pattern` for the rest of this test (e.g. an expected 401). */
  allow(pattern: RegExp): void;
}

export interface Figures {
  totalPairs: number;
  consistentPairs: number;
  /** consistent / total, a fraction; 1 when there are no pairs. */
  rate: number;
  byKind: Record<RepairableKind, number>;
  orphans: number;
  desyncs: number;
}

type TestFixtures = {
  consoleGuard: ConsoleGuard;
  factory: Factory;
  adminPage: Page;
  viewerPage: Page;
  anonPage: Page;
};
type WorkerFixtures = { sql: Sql; pool: pg.Pool };

async function pageIn(browser: Browser, guard: ConsoleGuard, storageState: string | undefined, baseURL: string, contexts: BrowserContext[]) {
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

export const test = base.extend<TestFixtures, WorkerFixtures>({
  // The app listens on a port chosen by global setup.
  baseURL: async ({}, use) => {
    await use(runValue('baseUrl'));
  },

  pool: [
    async ({}, use) => {
      const pool = new pg.Pool({ connectionString: runValue('databaseUrl'), max: 4 });
      await use(pool);
      await pool.end();
    },
    { scope: 'worker' },
  ],

  sql: [
    async ({ pool }, use) => {
      await use(async (text, params) => (await pool.query(text, params as unknown[])).rows);
    },
    { scope: 'worker' },
  ],

  consoleGuard: [
    async ({}, use, testInfo) => {
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
      await use(guard);
      const unexpected = problems.filter((p) => !allowed.some((re) => re.test(p)));
      if (testInfo.status === testInfo.expectedStatus) {
        expect(unexpected, 'the browser console must stay free of errors').toEqual([]);
      } else if (unexpected.length) {
        await testInfo.attach('console-errors', { body: unexpected.join('\n'), contentType: 'text/plain' });
      }
    },
    { auto: true },
  ],

  page: async ({ page, consoleGuard }, use) => {
    consoleGuard.watch(page);
    await use(page);
  },

  adminPage: async ({ browser, consoleGuard, baseURL }, use) => {
    const contexts: BrowserContext[] = [];
    await use(await pageIn(browser, consoleGuard, storageStateFor('admin'), baseURL!, contexts));
    for (const c of contexts) await c.close();
  },

  viewerPage: async ({ browser, consoleGuard, baseURL }, use) => {
    const contexts: BrowserContext[] = [];
    await use(await pageIn(browser, consoleGuard, storageStateFor('viewer'), baseURL!, contexts));
    for (const c of contexts) await c.close();
  },

  anonPage: async ({ browser, consoleGuard, baseURL }, use) => {
    const contexts: BrowserContext[] = [];
    await use(await pageIn(browser, consoleGuard, undefined, baseURL!, contexts));
    for (const c of contexts) await c.close();
  },

  factory: async ({ sql }, use) => {
    const tag = `e2e${randomBytes(4).toString('hex')}`;
    const created: number[] = [];
    let n = 0;

    const learners: Factory['learners'] = async (count, pairsFor) => {
      const emails: string[] = [];
      const names: string[] = [];
      for (let i = 0; i < count; i++) {
        n++;
        emails.push(`${tag}-${n}@learners.e2e.test`);
        names.push(`E2E ${tag} ${n}`);
      }
      const rows = await sql<{ id: number; email: string; name: string }>(
        `INSERT INTO users (email, name, role) SELECT e, nm, 'STUDENT' FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(e, nm, o)
         ORDER BY o RETURNING id, email, name`,
        [emails, names],
      );
      rows.sort((a, b) => a.id - b.id);
      created.push(...rows.map((r) => r.id));
      const p = { user: [] as number[], spec: [] as string[], level: [] as number[] };
      const l = { user: [] as number[], spec: [] as string[], level: [] as number[] };
      rows.forEach((row, i) => {
        for (const pair of pairsFor(i)) {
          if (pair.progressLevel !== null) {
            p.user.push(row.id);
            p.spec.push(pair.spec);
            p.level.push(pair.progressLevel);
          }
          if (pair.licenseLevel !== null) {
            l.user.push(row.id);
            l.spec.push(pair.spec);
            l.level.push(pair.licenseLevel);
          }
        }
      });
      // Progress rows carry exactly the XP and sessions of their level, so they are valid.
      await sql(
        `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
         SELECT t.u, t.s, t.lv, r.xp_required, r.sessions_required
         FROM unnest($1::int[], $2::text[], $3::int[]) AS t(u, s, lv)
         JOIN level_requirements r ON r.specialization_id = t.s AND r.level = t.lv`,
        [p.user, p.spec, p.level],
      );
      await sql(
        `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
         SELECT u, s, lv, now() - interval '30 days' FROM unnest($1::int[], $2::text[], $3::int[]) AS t(u, s, lv)`,
        [l.user, l.spec, l.level],
      );
      return rows;
    };

    const factory: Factory = {
      tag,
      learners,
      async learner(pairs) {
        const [one] = await learners(1, () => pairs);
        return one!;
      },
      async user({ role, password }) {
        n++;
        const email = `${tag}-${n}@staff.e2e.test`;
        const [row] = await sql<{ id: number; email: string; name: string }>(
          `INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING id, email, name`,
          [email, `E2E ${role.toLowerCase()} ${tag}`, role, await hashPassword(password)],
        );
        created.push(row!.id);
        return row!;
      },
    };

    await use(factory);

    if (created.length) {
      // Remove what this test made; the pairs' history (job items, audit events) stays, as in
      // production when a learner leaves.
      await sql('DELETE FROM current_desyncs WHERE user_id = ANY($1)', [created]);
      await sql('DELETE FROM specialization_progress WHERE user_id = ANY($1)', [created]);
      await sql('DELETE FROM user_licenses WHERE user_id = ANY($1)', [created]);
      await sql('DELETE FROM users WHERE id = ANY($1)', [created]);
    }
  },
});

export { expect };

// ---------------------------------------------------------------------------------------------
// Expected figures, computed here with SQL (a FULL OUTER JOIN of progress and license), never
// through the app's code.

export async function expectedFigures(sql: Sql): Promise<Figures> {
  const [row] = await sql<{
    total: string;
    consistent: string;
    level_mismatch: string;
    missing_license: string;
    missing_progress: string;
    orphans: string;
  }>(
    `WITH pairs AS (
       SELECT coalesce(p.user_id, l.user_id) AS user_id,
              coalesce(p.specialization_id, l.specialization_id) AS spec,
              p.user_id IS NOT NULL AS has_progress, l.user_id IS NOT NULL AS has_license,
              p.current_level AS progress_level, l.current_level AS license_level
       FROM specialization_progress p
       FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
     ), classified AS (
       SELECT *, (NOT EXISTS (SELECT 1 FROM users u WHERE u.id = pairs.user_id)
                  OR NOT EXISTS (SELECT 1 FROM specializations s WHERE s.id = pairs.spec)) AS orphan
       FROM pairs
     )
     SELECT count(*) AS total,
            count(*) FILTER (WHERE NOT orphan AND has_progress AND has_license AND progress_level = license_level) AS consistent,
            count(*) FILTER (WHERE NOT orphan AND has_progress AND has_license AND progress_level <> license_level) AS level_mismatch,
            count(*) FILTER (WHERE NOT orphan AND has_progress AND NOT has_license) AS missing_license,
            count(*) FILTER (WHERE NOT orphan AND has_license AND NOT has_progress) AS missing_progress,
            count(*) FILTER (WHERE orphan) AS orphans
     FROM classified`,
  );
  const r = row!;
  const byKind = {
    LEVEL_MISMATCH: Number(r.level_mismatch),
    MISSING_LICENSE: Number(r.missing_license),
    MISSING_PROGRESS: Number(r.missing_progress),
  };
  const totalPairs = Number(r.total);
  const consistentPairs = Number(r.consistent);
  return {
    totalPairs,
    consistentPairs,
    rate: totalPairs === 0 ? 1 : consistentPairs / totalPairs,
    byKind,
    orphans: Number(r.orphans),
    desyncs: byKind.LEVEL_MISMATCH + byKind.MISSING_LICENSE + byKind.MISSING_PROGRESS,
  };
}

/** Every repairable desync as `userId:SPEC:KIND`, from SQL. */
export async function desyncKeys(sql: Sql, opts: { userIds?: number[] } = {}): Promise<Set<string>> {
  const rows = await sql<{ key: string }>(
    `SELECT coalesce(p.user_id, l.user_id) || ':' || coalesce(p.specialization_id, l.specialization_id) || ':' ||
            CASE WHEN p.user_id IS NULL THEN 'MISSING_PROGRESS' WHEN l.user_id IS NULL THEN 'MISSING_LICENSE' ELSE 'LEVEL_MISMATCH' END AS key
     FROM specialization_progress p
     FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
     WHERE (p.user_id IS NULL OR l.user_id IS NULL OR p.current_level <> l.current_level)
       AND ($1::int[] IS NULL OR coalesce(p.user_id, l.user_id) = ANY($1))`,
    [opts.userIds ?? null],
  );
  return new Set(rows.map((r) => r.key));
}

// ---------------------------------------------------------------------------------------------
// Reading the dashboard.

/** One labelled figure of the dashboard ("Consistency rate", "Pairs checked", ...), by its accessible name. */
export function figure(page: Page, label: string): Locator {
  return page.getByRole('main').getByRole('figure', { name: label, exact: true });
}

/** Digits of a number as displayed ("1,234", "99.5", "1 234"). */
export function parseNumber(text: string): number {
  return Number(text.replace(/[\s,\u00a0\u202f]/g, ''));
}

/** The figure's text without its label. */
export async function figureText(page: Page, label: string): Promise<string> {
  const text = (await figure(page, label).innerText()).replace(/\s+/g, ' ').trim();
  return text.startsWith(label) ? text.slice(label.length).trim() : text;
}

/** The first number of a figure's value. */
export async function figureNumber(page: Page, label: string): Promise<number> {
  const text = await figureText(page, label);
  const m = /-?\d[\d,\u00a0\u202f]*(?:\.\d+)?/.exec(text);
  if (!m) throw new Error(`Figure "${label}" shows no number: "${text}"`);
  return parseNumber(m[0]);
}

/** Counts by kind in a text ("Level mismatch 12", "LEVEL_MISMATCH: 12"); the first mention of each kind wins. */
export function countsByKind<K extends string>(text: string, kinds: readonly K[]): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const kind of kinds) {
    const words = kind.toLowerCase().split('_').join('[ _-]');
    const m = new RegExp(`${words}\\s*:?\\s*(\\d[\\d,]*)`, 'i').exec(text);
    if (m) out[kind] = parseNumber(m[1]!);
  }
  return out;
}

/** Counts by kind printed inside the "Desyncs" figure. */
export async function desyncsByKindOnScreen(page: Page): Promise<Partial<Record<RepairableKind, number>>> {
  return countsByKind(await figureText(page, 'Desyncs'), REPAIRABLE_KINDS);
}

/** Kinds and specializations as data: "Level mismatch" -> LEVEL_MISMATCH, "Player" -> PLAYER. */
export function normalizeCode(text: string): string {
  return text.trim().toUpperCase().replace(/[\s-]+/g, '_');
}

// ---------------------------------------------------------------------------------------------
// Actions through the UI that several tests need.

export async function latestHealthCheckId(sql: Sql): Promise<number> {
  const [row] = await sql<{ id: number | null }>('SELECT max(id) AS id FROM health_checks');
  return row?.id ?? 0;
}

/** Clicks "Run health check" on the dashboard and waits until the check is stored. */
export async function runHealthCheck(page: Page, sql: Sql): Promise<number> {
  const before = await latestHealthCheckId(sql);
  if (new URL(page.url()).pathname !== '/') await page.goto('/');
  await page.getByRole('button', { name: 'Run health check' }).click();
  await expect.poll(() => latestHealthCheckId(sql), { message: 'a new health check is stored', timeout: 30_000 }).toBeGreaterThan(before);
  return latestHealthCheckId(sql);
}

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

/** All rows of a table across its pages, following "Next" until it is disabled or gone. */
export async function allTableRows(page: Page, tableName: string, maxPages = 50): Promise<string[][]> {
  const rows: string[][] = [];
  for (let i = 0; i < maxPages; i++) {
    const table = page.getByRole('table', { name: tableName });
    await expect(table).toBeVisible();
    rows.push(...(await tableRows(table)));
    const next = page.getByRole('link', { name: 'Next' }).or(page.getByRole('button', { name: 'Next' })).first();
    if (!(await next.isVisible()) || !(await isEnabled(next))) return rows;
    const url = page.url();
    await next.click();
    await expect(page).not.toHaveURL(url);
  }
  throw new Error(`${tableName}: more than ${maxPages} pages`);
}

/** A link counts as disabled when aria-disabled="true" or it has no href. */
export async function isEnabled(control: Locator): Promise<boolean> {
  return control.evaluate((el) => {
    if (el.getAttribute('aria-disabled') === 'true') return false;
    if (el instanceof HTMLButtonElement) return !el.disabled;
    if (el instanceof HTMLAnchorElement) return el.hasAttribute('href');
    return true;
  });
}

/** The body rows of a table, each as its cells' trimmed text (rows without cells are skipped). */
export async function tableRows(table: Locator): Promise<string[][]> {
  return table.evaluate((t) =>
    Array.from(t.querySelectorAll('tbody tr'))
      // innerText: the text as laid out, so a name and an email on two lines stay two words.
      .map((tr) => Array.from(tr.querySelectorAll('td, th')).map((c) => ((c as HTMLElement).innerText ?? c.textContent ?? '').replace(/\s+/g, ' ').trim()))
      .filter((cells) => cells.length > 1),
  );
}

/** The header cells of a table. */
export async function tableHeaders(table: Locator): Promise<string[]> {
  return table.evaluate((t) => Array.from(t.querySelectorAll('thead th')).map((c) => (c.textContent ?? '').replace(/\s+/g, ' ').trim()));
}

export type JobRow = {
  id: number;
  status: string;
  trigger: string;
  actor: string;
  reason: string | null;
  found: number;
  synced: number;
  failed: number;
  reported: number;
};

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
        [job] = await sql<JobRow>('SELECT id, status, trigger, actor, reason, found, synced, failed, reported FROM sync_jobs WHERE id > $1 ORDER BY id LIMIT 1', [lastId]);
        return job?.status;
      },
      { message: 'the sync job finishes', timeout: 60_000 },
    )
    .toMatch(/^(SUCCEEDED|PARTIAL|FAILED)$/);
  return job!;
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF) into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const src = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Chooses the option of a <select> whose value or text is `code` (LEVEL_MISMATCH / "Level mismatch"). */
export async function selectByCode(select: Locator, code: string) {
  const value = await select.evaluate((el, wanted) => {
    const norm = (s: string) => s.trim().toUpperCase().replace(/[\s-]+/g, '_');
    const option = Array.from((el as HTMLSelectElement).options).find((o) => norm(o.value) === wanted || norm(o.text) === wanted);
    return option?.value ?? null;
  }, code);
  expect(value, `an option for ${code}`).not.toBeNull();
  await select.selectOption(value!);
}

export const EMAIL = /[^\s@]+@[^\s@]+\.[a-z]+/i;
