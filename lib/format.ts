/**
 * Display formatting shared by server and browser renders. Numbers use a fixed locale so the
 * server's HTML and the browser's hydration agree; times are formatted in the browser
 * (components/ui/local-time.tsx) because only it knows the viewer's time zone.
 */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatInt(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : integer.format(n);
}

/**
 * A consistency fraction as a percentage with one decimal. Rounding never claims 100.0% while
 * a pair is still out of sync.
 */
export function formatRate(fraction: number, consistent?: number, total?: number): string {
  const pct = fraction * 100;
  let text = pct.toFixed(1);
  if (text === '100.0' && consistent !== undefined && total !== undefined && consistent < total) text = '99.9';
  return `${text}%`;
}

export function formatPercent(pct: number): string {
  return `${pct.toFixed(1)}%`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  if (m < 60) return `${m} min ${rest} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "3 minutes ago", "in 2 hours". */
export function formatRelative(target: Date, now: Date): string {
  const diff = (target.getTime() - now.getTime()) / 1000;
  const abs = Math.abs(diff);
  // Within a minute either way reads as "just now": server and browser clocks differ slightly.
  if (abs < 60) return 'just now';
  if (abs < 60 * 60) return relative.format(Math.round(diff / 60), 'minute');
  if (abs < 22 * 3600) return relative.format(Math.round(diff / 3600), 'hour');
  return relative.format(Math.round(diff / 86400), 'day');
}

/** A level as shown in "progress X · license Y": the number, or "none" where the row does not exist. */
export function formatLevel(n: number | null | undefined): string {
  return n === null || n === undefined ? 'none' : String(n);
}

/** A pair's levels as one phrase: "progress 3 · license none". */
export function formatPairLevels(s: { progressLevel: number | null; licenseLevel: number | null }): string {
  return `progress ${formatLevel(s.progressLevel)} · license ${formatLevel(s.licenseLevel)}`;
}
