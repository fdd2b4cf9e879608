/** The benchmark's progress lines, stamped with the time since the run started (mm:ss.s). */

export const benchStartedAt = performance.now();

/** Seconds since the benchmark started. */
export const elapsedS = () => (performance.now() - benchStartedAt) / 1000;

export function log(message: string) {
  const s = elapsedS();
  console.log(`[bench ${String(Math.floor(s / 60)).padStart(2, '0')}:${(s % 60).toFixed(1).padStart(4, '0')}] ${message}`);
}
