import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { freePort } from '../build';
import { buildIfStale as buildAppIfStale, startServer as startApp, type NextApp, type RunningServer } from '../next-server';

/**
 * The production server for the benchmark's HTTP measurements and the restart check: `next build`
 * into its own distDir (rebuilt only when a source is newer, as for the E2E suite), `next start`
 * in a process group of its own so that stopping it stops everything it spawned (both through
 * ../next-server.ts), a next-auth credentials sign-in, and RSS sampling of the server's process tree.
 */

export const BENCH_APP: NextApp = { distDir: '.next-bench', tsconfig: 'tsconfig.bench.json' };

export { freePort, type RunningServer };

/** Production refuses the documented demo secrets: this run's own, never printed. */
const secrets = { NEXTAUTH_SECRET: randomBytes(32).toString('hex'), MONITOR_TOKEN: randomBytes(32).toString('hex') };

/** `next build` into .next-bench when stale; the build time in ms, or 0 when it was up to date. */
export function buildIfStale(logFile: string): Promise<number> {
  return buildAppIfStale(BENCH_APP, { env: { ...process.env, ...secrets }, logFile });
}

/** `next start` on a free port in its own process group; resolves once /api/ping answers. */
export async function startServer(opts: { env: Record<string, string>; logFile: string; timeoutMs?: number }): Promise<RunningServer> {
  const port = await freePort();
  return startApp(BENCH_APP, {
    port,
    env: { ...process.env, ...secrets, PORT: String(port), NEXTAUTH_URL: `http://127.0.0.1:${port}`, ...opts.env },
    logFile: opts.logFile,
    readyPath: '/api/ping',
    accept: (res) => res.ok,
    pollMs: 200,
    timeoutMs: opts.timeoutMs,
    processGroup: true,
  });
}

function setCookies(res: Response): string[] {
  return res.headers.getSetCookie().map((c) => c.split(';')[0]!);
}

/**
 * Signs in through next-auth's credentials flow (GET /api/auth/csrf, then POST
 * /api/auth/callback/credentials with the token) and returns the Cookie header of the session.
 */
export async function signIn(baseUrl: string, email: string, password: string): Promise<string> {
  const csrfRes = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const jar = new Map<string, string>();
  const keep = (cookies: string[]) => cookies.forEach((c) => jar.set(c.slice(0, c.indexOf('=')), c));
  keep(setCookies(csrfRes));
  const res = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [...jar.values()].join('; ') },
    body: new URLSearchParams({ csrfToken, email, password, callbackUrl: `${baseUrl}/`, json: 'true' }),
  });
  keep(setCookies(res));
  const session = [...jar.keys()].find((k) => k.endsWith('next-auth.session-token'));
  if (!session) throw new Error(`Sign-in as ${email} failed (HTTP ${res.status}, no session cookie).`);
  return [...jar.values()].join('; ');
}

/** VmRSS (KiB) of a process, 0 when it is gone. */
function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The process and its descendants. */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...childrenOf(all[i]!));
  return all;
}

export interface RssSample {
  at: number;
  /** KiB, the whole process tree. */
  treeKiB: number;
  /** KiB, the largest single process of the tree (the Next.js server). */
  maxProcessKiB: number;
}

/** Samples the RSS of a process tree every `everyMs` until stopped. */
export function sampleRss(pid: number, everyMs = 100) {
  const samples: RssSample[] = [];
  const take = () => {
    const tree = processTree(pid).map(rssOf);
    samples.push({ at: Date.now(), treeKiB: tree.reduce((a, b) => a + b, 0), maxProcessKiB: Math.max(0, ...tree) });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    stop: () => clearInterval(timer),
    /** Peak over [from, to] (epoch ms), in MiB. */
    peakMiB(from = 0, to = Number.POSITIVE_INFINITY) {
      const inWindow = samples.filter((s) => s.at >= from && s.at <= to);
      return {
        tree: Math.max(0, ...inWindow.map((s) => s.treeKiB)) / 1024,
        process: Math.max(0, ...inWindow.map((s) => s.maxProcessKiB)) / 1024,
        samples: inWindow.length,
      };
    },
  };
}
