/** Plain-text output helpers for the CLI: aligned tables, numbers, durations, relative times. */

export function table(headers: string[], rows: (string | number)[][], opts: { alignRight?: number[] } = {}): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const right = new Set(opts.alignRight ?? []);
  return cells
    .map((r) =>
      r
        .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** What a list verb prints: the items as JSON with --json, `empty` when there are none, else a table of `row(item)`. */
export function printList<T>(
  out: (line: string) => void,
  items: T[],
  opts: { json: boolean; empty: string; headers: string[]; row: (item: T) => (string | number)[] },
): void {
  if (opts.json) out(JSON.stringify(items, null, 2));
  else if (!items.length) out(opts.empty);
  else out(table(opts.headers, items.map(opts.row)));
}

export const int = (n: number) => n.toLocaleString('en-US');

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function ago(then: Date, now: Date): string {
  const ms = now.getTime() - then.getTime();
  if (ms < 0) return `in ${duration(-ms)}`;
  return `${duration(ms)} ago`;
}

/** ISO timestamp without milliseconds, e.g. 2026-11-21T17:40:05Z. */
export const stamp = (d: Date | null | undefined) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-');
