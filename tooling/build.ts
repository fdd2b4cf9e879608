import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { freePort, isPortFree } from '../lib/db/ports';

/**
 * Helpers of the scripts that run the app (npm start, the E2E suite, the benchmark, the tests):
 * whether a production build is older than its sources, and the port helpers (one implementation,
 * in lib/db/ports.ts, which the embedded PostgreSQL uses too).
 */

export { freePort, isPortFree };

/**
 * What a build is made from (relative to the project root). The harness in tooling/ and the test
 * suites are not: editing them never makes a build stale.
 */
export const BUILD_SOURCES = [
  'app',
  'components',
  'lib',
  'public',
  'types',
  'next.config.ts',
  'package.json',
  'tsconfig.json',
  'proxy.ts',
  'instrumentation.ts',
];

/** Newest modification time below `entry`, skipping generated code. */
export function newestMtime(root: string, entry: string): number {
  const full = path.join(root, entry);
  if (!existsSync(full)) return 0;
  const st = statSync(full);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const child of readdirSync(full)) {
    if (child === 'generated' || child === 'node_modules') continue;
    newest = Math.max(newest, newestMtime(root, path.join(entry, child)));
  }
  return newest;
}

/** True when `distDir` has no build, or a source (BUILD_SOURCES and `extraSources`) is newer than it. */
export function buildIsStale(root: string, distDir: string, opts: { extraSources?: string[] } = {}): boolean {
  const id = path.join(root, distDir, 'BUILD_ID');
  if (!existsSync(id)) return true;
  const built = statSync(id).mtimeMs;
  return [...BUILD_SOURCES, ...(opts.extraSources ?? [])].some((s) => newestMtime(root, s) > built);
}
