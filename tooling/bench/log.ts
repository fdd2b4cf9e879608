/** The benchmark's progress lines, stamped with the time since the run started (mm:ss.s). */

export const benchStartedAt = performance.now();

/** Seconds since the benchmark started. */
export const elapsedS = () => (performance.now() - benchStartedAt) / 1000;

export function log(message: string) {
  const tenths = Math.round(elapsedS() * 10);
  const mm = String(Math.floor(tenths / 600)).padStart(2, '0');
  const ss = ((tenths % 600) / 10).toFixed(1).padStart(4, '0');
  console.log(`[bench ${mm}:${ss}] ${message}`);
}
