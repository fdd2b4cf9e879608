import { expect, type Locator, type Page } from '@playwright/test';
import { REPAIRABLE_KINDS, type RepairableKind } from './sql';

/** Reading what a page shows: the dashboard's figures, tables across their pages, form controls, CSV downloads. */

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
  return text
    .trim()
    .toUpperCase()
    .replace(/[\s-]+/g, '_');
}

/** All rows of a table across its pages, following "Next" until it is disabled or gone. */
export async function allTableRows(page: Page, tableName: string, maxPages = 50): Promise<string[][]> {
  const rows: string[][] = [];
  for (let i = 0; i < maxPages; i++) {
    const table = page.getByRole('table', { name: tableName });
    await expect(table).toBeVisible();
    rows.push(...(await tableRows(table)));
    const next = page
      .getByRole('link', { name: 'Next' })
      .or(page.getByRole('button', { name: 'Next' }))
      .first();
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
      .map((tr) =>
        Array.from(tr.querySelectorAll('td, th')).map((c) =>
          ((c as HTMLElement).innerText ?? c.textContent ?? '').replace(/\s+/g, ' ').trim(),
        ),
      )
      .filter((cells) => cells.length > 1),
  );
}

/** The header cells of a table. */
export async function tableHeaders(table: Locator): Promise<string[]> {
  return table.evaluate((t) => Array.from(t.querySelectorAll('thead th')).map((c) => (c.textContent ?? '').replace(/\s+/g, ' ').trim()));
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
    const norm = (s: string) =>
      s
        .trim()
        .toUpperCase()
        .replace(/[\s-]+/g, '_');
    const option = Array.from((el as HTMLSelectElement).options).find((o) => norm(o.value) === wanted || norm(o.text) === wanted);
    return option?.value ?? null;
  }, code);
  expect(value, `an option for ${code}`).not.toBeNull();
  await select.selectOption(value!);
}

export const EMAIL = /[^\s@]+@[^\s@]+\.[a-z]+/i;
