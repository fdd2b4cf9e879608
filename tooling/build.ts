import { existsSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * Helpers of the scripts that run the app (npm start, the E2E suite, the benchmark): a free
 * port, and whether a production build is older than the sources it was built from.
 */

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether nothing listens on `port` (on `host`, or on every interface when omitted). */
export function isPortFree(port: number, host?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.once('listening', () => srv.close(() => resolve(true)));
    srv.listen(port, host);
  });
}

/** What a build is made from (relative to the project root). */
export const BUILD_SOURCES = ['app', 'components', 'lib', 'public', 'types', 'next.config.ts', 'package.json', 'tsconfig.json', 'proxy.ts', 'instrumentation.ts'];

/** Newest modification time below `entry`, skipping generated code and `skip`ped folders. */
export function newestMtime(root: string, entry: string, skip: (entry: string, child: string) => boolean = () => false): number {
  const full = path.join(root, entry);
  if (!existsSync(full)) return 0;
  const st = statSync(full);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const child of readdirSync(full)) {
    if (child === 'generated' || child === 'node_modules' || skip(entry, child)) continue;
    newest = Math.max(newest, newestMtime(root, path.join(entry, child), skip));
  }
  return newest;
}

/** True when `distDir` has no build, or a source is newer than it. */
export function buildIsStale(
  root: string,
  distDir: string,
  opts: { extraSources?: string[]; skip?: (entry: string, child: string) => boolean } = {},
): boolean {
  const id = path.join(root, distDir, 'BUILD_ID');
  if (!existsSync(id)) return true;
  const built = statSync(id).mtimeMs;
  return [...BUILD_SOURCES, ...(opts.extraSources ?? [])].some((s) => newestMtime(root, s, opts.skip) > built);
}
