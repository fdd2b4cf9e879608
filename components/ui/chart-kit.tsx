/** What every chart of the app shares: its height, axis ticks and times, the tooltip's look, the placeholder. */

export const CHART_HEIGHT = 260;
export const tick = { fill: 'currentColor', fontSize: 12 };
export const tooltipStyle = { background: 'var(--card)', border: '1px solid var(--border)', color: 'var(--fg)' };

const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayOnly = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
export const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
export const shortDateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const HOUR = 3_600_000;

/** Tick steps, in hours: on the hour within a day, at local midnight beyond. */
const TICK_STEPS = [1, 2, 3, 6, 12, 24, 48, 96, 168, 336];

/**
 * At most `max` ticks on round local times over [from, to] (every 3 hours over a day, every day
 * over a week, every 4 days over 30, every 2 weeks over 90), and their labels: no date twice.
 */
export function timeTicks(from: number, to: number, max = 8): { ticks: number[]; format: (t: number) => string } {
  const stepHours = TICK_STEPS.find((h) => (to - from) / (h * HOUR) <= max) ?? TICK_STEPS.at(-1)!;
  const first = new Date(from);
  if (stepHours < 24) {
    first.setMinutes(0, 0, 0);
    first.setHours(Math.ceil((first.getHours() + (first.getTime() < from ? 1 : 0)) / stepHours) * stepHours);
  } else {
    first.setHours(24, 0, 0, 0);
  }
  const ticks: number[] = [];
  for (const d = first; d.getTime() <= to;) {
    if (d.getTime() >= from) ticks.push(d.getTime());
    // Calendar steps, so that a daylight-saving change keeps the ticks on midnight or the hour.
    if (stepHours < 24) d.setHours(d.getHours() + stepHours);
    else d.setDate(d.getDate() + stepHours / 24);
  }
  const format =
    stepHours >= 24 ? (t: number) => dayOnly.format(t) : to - from > 20 * HOUR ? timeOrDay : (t: number) => timeOfDay.format(t);
  return { ticks, format };
}

/** A time of day, or the date at midnight (a day's ticks that cross one). */
function timeOrDay(t: number): string {
  const d = new Date(t);
  return d.getHours() === 0 && d.getMinutes() === 0 ? dayOnly.format(t) : timeOfDay.format(t);
}

export function ChartSkeleton({ height = CHART_HEIGHT }: { height?: number }) {
  return <div className="skeleton" style={{ height }} aria-hidden="true" />;
}
