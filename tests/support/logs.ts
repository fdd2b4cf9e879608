import { vi } from 'vitest';

/**
 * Captures what the app's logger (lib/log.ts) writes to stdout while a test runs, silently.
 * `lines()` parses the JSON lines; `text()` is everything written, for "never contains" checks.
 */
export function captureLogs() {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  const text = () => chunks.join('');
  return {
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown> & { msg?: string; level?: string }),
    restore: () => spy.mockRestore(),
  };
}
