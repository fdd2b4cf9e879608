import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildIsStale } from './build';

/**
 * The production app for the harnesses (the E2E setup, the benchmark, the restart check): `next
 * build` into a distDir of its own when a source is newer than that build, then `next start` on a
 * port, ready once a route answers. Each harness has its own distDir and tsconfig (see
 * next.config.ts), so its builds never replace the one `npm start` serves.
 */

const root = path.resolve(import.meta.dirname, '..');
const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');

export interface NextApp {
  /** e.g. `.next-e2e`, relative to the project root. */
  distDir: string;
  /** The tsconfig this build type-checks with (NEXT_TSCONFIG_PATH); also a source of the build. */
  tsconfig: string;
}

/** The environment of a production build or server of `app`: `env` plus what selects its build. */
export function nextEnv(app: NextApp, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    NEXT_DIST_DIR: app.distDir,
    NEXT_TSCONFIG_PATH: app.tsconfig,
  };
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/** Runs a command from the project root with its output in `logFile`; resolves to its exit code. */
export function runLogged(cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(logFile);
    const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.once('error', reject);
    child.once('exit', (code) => out.end(() => resolve(code ?? 1)));
  });
}

export function appBuildIsStale(app: NextApp): boolean {
  return buildIsStale(root, app.distDir, { extraSources: [app.tsconfig] });
}

/**
 * `next build` with another distDir writes that directory's type paths into tsconfig.json. Undo
 * exactly that, so a run leaves no change in tracked files; any other change is left for a human.
 */
function restoreTsconfig(app: NextApp, before: string, log: (m: string) => void) {
  const file = path.join(root, 'tsconfig.json');
  const after = readFileSync(file, 'utf8');
  if (after === before) return;
  try {
    const strip = (text: string) => {
      const json = JSON.parse(text) as { include?: string[] };
      json.include = json.include?.filter((p) => !p.includes(app.distDir));
      return JSON.stringify(json);
    };
    if (strip(after) === strip(before)) writeFileSync(file, before);
    else log('tsconfig.json changed during the build in other ways; left as it is.');
  } catch {
    log('tsconfig.json is not plain JSON after the build; left as it is.');
  }
}

/**
 * `next build` of `app` when its build is stale (output in `logFile`). tsconfig.json and
 * next-env.d.ts, which a build with another distDir rewrites, are restored afterwards. Returns the
 * build time in ms, or 0 when the build was up to date.
 */
export async function buildIfStale(
  app: NextApp,
  opts: { env: NodeJS.ProcessEnv; logFile: string; log?: (m: string) => void },
): Promise<number> {
  if (!appBuildIsStale(app)) return 0;
  const log = opts.log ?? (() => {});
  const tsconfig = readFileSync(path.join(root, 'tsconfig.json'), 'utf8');
  const nextEnvFile = path.join(root, 'next-env.d.ts');
  const nextEnvBefore = existsSync(nextEnvFile) ? readFileSync(nextEnvFile, 'utf8') : undefined;
  const started = performance.now();
  const code = await runLogged(process.execPath, [nextBin, 'build'], nextEnv(app, opts.env), opts.logFile);
  restoreTsconfig(app, tsconfig, log);
  if (nextEnvBefore !== undefined) writeFileSync(nextEnvFile, nextEnvBefore);
  if (code !== 0) throw new Error(`next build failed (exit ${code}). Last lines of ${opts.logFile}:\n${tail(opts.logFile)}`);
  return performance.now() - started;
}

export interface RunningServer {
  baseUrl: string;
  port: number;
  pid: number;
  child: ChildProcess;
  logFile: string;
  /** SIGTERM (to the process group when it has one), SIGKILL after 10 s; resolves once it exited. */
  stop(): Promise<void>;
}

export interface StartOptions {
  port: number;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** The route polled until `accept` holds for its response (redirects are not followed). */
  readyPath: string;
  accept: (res: Response) => boolean;
  pollMs: number;
  timeoutMs?: number;
  /**
   * Start the server in a process group of its own, stopped as a whole (everything it spawned
   * too). Otherwise it stays in the caller's group, so that Ctrl-C in a terminal reaches it.
   */
  processGroup?: boolean;
}

const running = new Set<ChildProcess>();
// If the harness dies (Ctrl-C, an exception), no server is left behind.
process.once('exit', () => {
  for (const child of running) signal(child, 'SIGKILL', true);
});

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function signal(child: ChildProcess, sig: NodeJS.Signals, group: boolean) {
  if (child.pid === undefined || exited(child)) return;
  try {
    if (group) process.kill(-child.pid, sig);
    else child.kill(sig);
  } catch {
    // already gone
  }
}

/** `next start` of `app` on `opts.port` (127.0.0.1); resolves once `opts.readyPath` answers as accepted. */
export async function startServer(app: NextApp, opts: StartOptions): Promise<RunningServer> {
  const baseUrl = `http://127.0.0.1:${opts.port}`;
  const group = opts.processGroup ?? false;
  const out = createWriteStream(opts.logFile);
  const child = spawn(process.execPath, [nextBin, 'start', '-p', String(opts.port), '-H', '127.0.0.1'], {
    cwd: root,
    env: nextEnv(app, opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: group,
  });
  running.add(child);
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const stop = async () => {
    if (!exited(child)) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      signal(child, 'SIGTERM', group);
      const timer = setTimeout(() => signal(child, 'SIGKILL', group), 10_000);
      await gone;
      clearTimeout(timer);
    }
    running.delete(child);
  };
  const server: RunningServer = { baseUrl, port: opts.port, pid: child.pid!, child, logFile: opts.logFile, stop };

  const timeoutMs = opts.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      running.delete(child);
      throw new Error(`next start exited (code ${child.exitCode}). Last lines of ${opts.logFile}:\n${tail(opts.logFile)}`);
    }
    try {
      const res = await fetch(`${baseUrl}${opts.readyPath}`, { redirect: 'manual', signal: AbortSignal.timeout(5_000) });
      if (opts.accept(res)) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, opts.pollMs));
  }
  await stop();
  throw new Error(`next start did not answer within ${timeoutMs / 1000} s. Last lines of ${opts.logFile}:\n${tail(opts.logFile)}`);
}
