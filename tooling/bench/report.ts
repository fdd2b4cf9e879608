/** The benchmark's targets (at 1,000,000 pairs) and how results are printed. */

export type Direction = 'atMost' | 'atLeast';

export interface TargetResult {
  id: string;
  label: string;
  /** null when not measured (e.g. --skip-server). */
  value: number | null;
  unit: string;
  target: number;
  direction: Direction;
  met: boolean | null;
  /** Whether the figure is a ratio to a baseline measured in the same run. */
  ratio: boolean;
}

export function target(
  id: string,
  label: string,
  value: number | null | undefined,
  unit: string,
  direction: Direction,
  goal: number,
  ratio = false,
): TargetResult {
  const v = value === undefined || value === null || !Number.isFinite(value) ? null : value;
  return {
    id,
    label,
    value: v,
    unit,
    target: goal,
    direction,
    met: v === null ? null : direction === 'atMost' ? v <= goal : v >= goal,
    ratio,
  };
}

export const fmtValue = (v: number | null, unit: string) => {
  if (v === null) return 'not measured';
  if (unit === 'errors') return `${v} ${v === 1 ? 'error' : 'errors'}`;
  const digits = unit === 'x' ? 2 : Math.abs(v) < 10 ? 2 : Math.abs(v) < 100 ? 1 : 0;
  return `${v.toFixed(digits)}${unit === 'x' ? 'x' : ` ${unit}`}`;
};

export const fmtTarget = (t: TargetResult) => `${t.direction === 'atMost' ? '<=' : '>='} ${t.target}${t.unit === 'x' ? 'x' : ` ${t.unit}`}`;

/** A plain-text table with right-aligned numeric columns. */
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** The same table in Markdown, for docs/performance.md and the README. */
export function markdownTable(headers: string[], rows: (string | number)[][]): string {
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
