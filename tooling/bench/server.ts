import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildIsStale as isStale, freePort } from '../dev/build';

/**
 * The production server for the benchmark's HTTP measurements: `next build` into its own
 * distDir (rebuilt only when a source is newer, as e2e/global-setup.ts does), `next start` in a
 * process group of its own so that stopping it stops everything it spawned, a next-auth
 * credentials sign-in, and RSS sampling of the server's process tree.
 */

const root = process.cwd();
const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');
export const BENCH_DIST_DIR = '.next-bench';
export const BENCH_TSCONFIG = 'tsconfig.bench.json';

export { freePort };

/** Rebuilt when a source is newer; the benchmark's own modules are not part of the app's bundle. */
export function buildIsStale(): boolean {
  return isStale(root, BENCH_DIST_DIR, { extraSources: [BENCH_TSCONFIG], skip: (entry, child) => entry === 'lib' && child === 'bench' });
}

function tail(file: string, lines = 30): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : '(no log)';
}

/** Production refuses the documented demo secrets: this run's own, never printed. */
const secrets = { NEXTAUTH_SECRET: randomBytes(32).toString('hex'), MONITOR_TOKEN: randomBytes(32).toString('hex') };

/** Environment of the benchmark's build and servers (production, own distDir and tsconfig). */
export function serverEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {
    ...process.env,
    ...secrets,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    NEXT_DIST_DIR: BENCH_DIST_DIR,
    NEXT_TSCONFIG_PATH: BENCH_TSCONFIG,
    ...extra,
  };
  return e;
}

/**
 * `next build` into .next-bench when stale. A build with another distDir may add its type paths
 * to tsconfig.json and rewrite next-env.d.ts; both are restored so a run leaves tracked files as
 * they were. Returns the build time in ms, or 0 when the build was up to date.
 */
export async function buildIfStale(logFile: string): Promise<number> {
  if (!buildIsStale()) return 0;
  const tsconfigFile = path.join(root, 'tsconfig.json');
  const nextEnvFile = path.join(root, 'next-env.d.ts');
  const tsconfig = readFileSync(tsconfigFile, 'utf8');
  const nextEnv = existsSync(nextEnvFile) ? readFileSync(nextEnvFile, 'utf8') : undefined;
  const started = performance.now();
  const code = await new Promise<number>((resolve, reject) => {
    const out = createWriteStream(logFile);
    const child = spawn(process.execPath, [nextBin, 'build'], { cwd: root, env: serverEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.once('error', reject);
    child.once('exit', (c) => out.end(() => resolve(c ?? 1)));
  });
  const after = readFileSync(tsconfigFile, 'utf8');
  if (after !== tsconfig) {
    const strip = (t: string) => {
      const j = JSON.parse(t) as { include?: string[] };
      j.include = j.include?.filter((p) => !p.includes(BENCH_DIST_DIR));
      return JSON.stringify(j);
    };
    try {
      if (strip(after) === strip(tsconfig)) writeFileSync(tsconfigFile, tsconfig);
    } catch {
      // not plain JSON any more: leave it for a human
    }
  }
  if (nextEnv !== undefined) writeFileSync(nextEnvFile, nextEnv);
  if (code !== 0) throw new Error(`next build failed (exit ${code}). Last lines of ${logFile}:\n${tail(logFile)}`);
  return performance.now() - started;
}

export interface RunningServer {
  baseUrl: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

const started = new Set<ChildProcess>();
// If the benchmark dies (Ctrl-C, an exception), no server is left behind.
process.once('exit', () => {
  for (const child of started) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** `next start` on a free port in its own process group; resolves once /api/ping answers. */
export async function startServer(opts: { env: Record<string, string>; logFile: string; timeoutMs?: number }): Promise<RunningServer> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const out = createWriteStream(opts.logFile);
  const child = spawn(process.execPath, [nextBin, 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: root,
    env: serverEnv({ PORT: String(port), NEXTAUTH_URL: baseUrl, ...opts.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  started.add(child);
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    started.delete(child);
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited (code ${child.exitCode}). Last lines of ${opts.logFile}:\n${tail(opts.logFile)}`);
    try {
      const res = await fetch(`${baseUrl}/api/ping`, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) return { baseUrl, pid: child.pid!, child, logFile: opts.logFile, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`next start did not answer within ${(opts.timeoutMs ?? 120_000) / 1000} s. Last lines of ${opts.logFile}:\n${tail(opts.logFile)}`);
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
