/** Small statistics and timing helpers for the benchmark and the stress tests. */

export function median(values: number[]): number {
  if (!values.length) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The p-th percentile (0..100) by nearest rank. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1]!;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Formats a duration in ms for a table: "845 ms", "4.21 s". */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

/** Runs a and b `runs` times after a warm-up of each, alternating which goes first. */
export async function paired(
  runs: number,
  a: () => Promise<number>,
  b: () => Promise<number>,
  onRun?: (i: number, x: number, y: number) => void,
): Promise<{ a: number[]; b: number[]; ratios: number[] }> {
  await a();
  await b();
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < runs; i++) {
    let x: number, y: number;
    if (i % 2 === 0) {
      x = await a();
      y = await b();
    } else {
      y = await b();
      x = await a();
    }
    xs.push(x);
    ys.push(y);
    onRun?.(i, x, y);
  }
  return { a: xs, b: ys, ratios: xs.map((x, i) => x / ys[i]!) };
}

/** Runs `fn` in `workers` concurrent loops for `durationMs`; counts completed and failed calls. */
export async function runConcurrently(
  workers: number,
  durationMs: number,
  fn: (worker: number, i: number) => Promise<unknown>,
): Promise<{ ops: number; errors: number; seconds: number; perSecond: number; firstError: string | null }> {
  let ops = 0;
  let errors = 0;
  let firstError: string | null = null;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        try {
          await fn(w, i);
          ops++;
        } catch (err) {
          errors++;
          firstError ??= (err as Error).message?.split('\n').filter(Boolean).at(-1) ?? String(err);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { ops, errors, seconds, perSecond: ops / seconds, firstError };
}
