import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import zlib from 'node:zlib';
import type pg from 'pg';
import { processTree } from './server';
import { percentile, sleep } from './stats';

/**
 * Open-loop HTTP load: every request is sent at its planned time whatever the earlier ones are
 * doing, and its latency runs from that planned time to the end of its (decompressed) body, so a
 * slow server cannot hold back the load that measures it (no coordinated omission). Requests go
 * over keep-alive connections as a browser's do, with `Accept-Encoding: gzip`; a request that
 * fails or times out counts as the timeout in the percentiles. Beside it, the CPU that the server
 * spent: its process tree and the PostgreSQL backends of its pool, from /proc.
 */

export interface PlannedRequest {
  /** ms after the start of the window. */
  atMs: number;
  path: string;
}

/**
 * Pollers like the dashboard page's: each refreshes every `intervalS` (its own period, spread
 * evenly over the range) from a random phase, sending every path of `mix` at once. As many
 * pollers as give `rate` requests per second on average.
 */
export function pollSchedule(opts: { rate: number; seconds: number; mix: readonly string[]; intervalS: readonly [number, number] }) {
  const [lo, hi] = opts.intervalS;
  // The mean refresh rate of one poller whose period is uniform over [lo, hi].
  const refreshesPerSecond = lo === hi ? 1 / lo : Math.log(hi / lo) / (hi - lo);
  const pollers = Math.max(1, Math.round(opts.rate / (refreshesPerSecond * opts.mix.length)));
  const requests: PlannedRequest[] = [];
  for (let i = 0; i < pollers; i++) {
    const periodMs = (lo + ((hi - lo) * (i + 0.5)) / pollers) * 1000;
    for (let at = Math.random() * periodMs; at < opts.seconds * 1000; at += periodMs) {
      for (const path of opts.mix) requests.push({ atMs: at, path });
    }
  }
  requests.sort((a, b) => a.atMs - b.atMs);
  return { pollers, requests };
}

export interface OpenLoopResult {
  seconds: number;
  planned: number;
  ok: number;
  /** Connection errors, timeouts and non-2xx answers. */
  errors: number;
  firstError: string | null;
  statusCodes: Record<string, number>;
  /** Per request, planned send -> body read, ms; a failed request counts as `timeoutMs`. */
  latencies: number[];
  byPath: Record<string, number[]>;
  /** Answers that came gzip-encoded. */
  gzipped: number;
  /** Requests that opened a new connection (the others reused a kept-alive one). */
  newConnections: number;
  /** How late the generator sent, ms: its own lag, included in the latencies. */
  sendLagP99Ms: number;
  sendLagMaxMs: number;
  /** The generator's own CPU (this process), ms. */
  clientCpuMs: number;
}

export const OPEN_LOOP_TIMEOUT_MS = 10_000;

/** Sends `requests` to `baseUrl` at their planned times; resolves once every one has finished. */
export async function runOpenLoop(
  baseUrl: string,
  requests: readonly PlannedRequest[],
  opts: { headers?: Record<string, string>; timeoutMs?: number; maxSockets?: number } = {},
): Promise<OpenLoopResult> {
  const url = new URL(baseUrl);
  const timeoutMs = opts.timeoutMs ?? OPEN_LOOP_TIMEOUT_MS;
  const headers = { accept: 'application/json', 'accept-encoding': 'gzip', ...opts.headers };
  // A browser keeps a few connections per origin; a hundred of them keep a hundred. LIFO reuse
  // keeps the busy ones warm; Node closes an idle one before the server's Keep-Alive timeout.
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 256, scheduling: 'lifo' });
  const r: OpenLoopResult = {
    seconds: (requests.at(-1)?.atMs ?? 0) / 1000,
    planned: requests.length,
    ok: 0,
    errors: 0,
    firstError: null,
    statusCodes: {},
    latencies: [],
    byPath: {},
    gzipped: 0,
    newConnections: 0,
    sendLagP99Ms: 0,
    sendLagMaxMs: 0,
    clientCpuMs: 0,
  };
  const lags: number[] = [];
  const record = (path: string, plannedAt: number, error: string | null, status?: number) => {
    const ms = error ? timeoutMs : performance.now() - plannedAt;
    r.latencies.push(ms);
    (r.byPath[path] ??= []).push(ms);
    if (status !== undefined) r.statusCodes[status] = (r.statusCodes[status] ?? 0) + 1;
    if (error) {
      r.errors++;
      r.firstError ??= error;
    } else r.ok++;
  };

  const send = (req: PlannedRequest, plannedAt: number) =>
    new Promise<void>((resolve) => {
      let done = false;
      const finish = (error: string | null, status?: number) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        record(req.path, plannedAt, error, status);
        resolve();
      };
      const call = http.request({ agent, host: url.hostname, port: url.port, path: req.path, method: 'GET', headers });
      const timer = setTimeout(() => {
        finish(`timeout after ${timeoutMs} ms`);
        call.destroy();
      }, timeoutMs);
      call.once('socket', () => {
        if (!call.reusedSocket) r.newConnections++;
      });
      call.once('error', (err) => finish(err.message));
      call.once('response', (res) => {
        const status = res.statusCode ?? 0;
        const gzip = res.headers['content-encoding'] === 'gzip';
        if (gzip) r.gzipped++;
        const body = gzip ? res.pipe(zlib.createGunzip()) : res;
        res.once('error', (err) => finish(err.message, status));
        body.once('error', (err) => finish(err.message, status));
        body.on('data', () => {});
        body.once('end', () => finish(status >= 200 && status < 300 ? null : `HTTP ${status}`, status));
      });
      call.end();
    });

  const cpuBefore = process.cpuUsage();
  const inFlight: Promise<void>[] = [];
  const start = performance.now() + 20;
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (i < requests.length && start + requests[i]!.atMs <= now) {
        const plannedAt = start + requests[i]!.atMs;
        lags.push(now - plannedAt);
        inFlight.push(send(requests[i]!, plannedAt));
        i++;
      }
      if (i < requests.length) setTimeout(tick, Math.max(0, start + requests[i]!.atMs - performance.now()));
      else resolve();
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
  await Promise.all(inFlight);
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  r.clientCpuMs = (cpu.user + cpu.system) / 1000;
  r.sendLagP99Ms = percentile(lags, 99);
  r.sendLagMaxMs = lags.reduce((a, b) => (b > a ? b : a), 0);
  return r;
}

// --- CPU of the server ------------------------------------------------------------------------

let clockTicks: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat (CLK_TCK; 100 on Linux). */
function clkTck(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * utime + stime + cutime + cstime of a process, in clock ticks (its threads included, and the
 * children it has reaped), or null when it is gone or not visible.
 */
export function cpuTicks(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // After "pid (comm) ": state, ppid, ..., utime is field 14 of the line (index 11 here).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

/**
 * Waits until the server's process tree has used less than `quietShare` of one core over a
 * `sliceMs` slice (at most `maxMs`): requests that a client gave up on are still served, and
 * that work belongs to the window that sent them.
 */
export async function waitForQuiet(
  serverPid: number,
  opts: { sliceMs?: number; quietShare?: number; maxMs?: number } = {},
): Promise<number> {
  const sliceMs = opts.sliceMs ?? 300;
  const quietMs = sliceMs * (opts.quietShare ?? 0.1);
  const msPerTick = 1000 / clkTck();
  const treeTicks = () => processTree(serverPid).reduce((a, pid) => a + (cpuTicks(pid) ?? 0), 0);
  const started = performance.now();
  let before = treeTicks();
  while (performance.now() - started < (opts.maxMs ?? 20_000)) {
    await sleep(sliceMs);
    const now = treeTicks();
    if ((now - before) * msPerTick < quietMs) break;
    before = now;
  }
  return performance.now() - started;
}

export interface CpuWindow {
  /** The Next.js server's process tree, ms of CPU. */
  serverMs: number;
  /** The PostgreSQL backends of its connections, ms of CPU. */
  postgresMs: number;
  totalMs: number;
  processes: number;
  backends: number;
  /** Backends listed by pg_stat_activity whose /proc entry could not be read (another host or namespace). */
  unreadable: number;
}

/**
 * Starts counting the CPU of the server's process tree (`serverPid` and its descendants) and of
 * the backends of `applicationName` on `c`'s database. Every `everyMs` it notes each one's CPU so
 * far: a process that exits keeps its last reading, one that appears starts from zero (a new
 * pool connection's backend is forked in the window). `stop()` returns the totals since the start.
 */
export async function startCpuMeter(opts: { serverPid: number; c: pg.Client; applicationName: string; everyMs?: number }) {
  const base = new Map<number, number>();
  const last = new Map<number, number>();
  const postgres = new Set<number>();
  const unreadable = new Set<number>();
  const sample = async (first: boolean) => {
    const { rows } = await opts.c.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
      [opts.applicationName],
    );
    const pids = [...processTree(opts.serverPid).map((pid) => ({ pid, pg: false })), ...rows.map((row) => ({ pid: row.pid, pg: true }))];
    for (const { pid, pg: isPg } of pids) {
      const ticks = cpuTicks(pid);
      if (ticks === null) {
        if (isPg) unreadable.add(pid);
        continue;
      }
      if (!base.has(pid)) base.set(pid, first ? ticks : 0);
      if (isPg) postgres.add(pid);
      last.set(pid, ticks);
    }
  };
  await sample(true);
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await sleep(opts.everyMs ?? 250);
      if (!stopped) await sample(false);
    }
  })();
  return {
    async stop(): Promise<CpuWindow> {
      stopped = true;
      await loop;
      await sample(false);
      const msPerTick = 1000 / clkTck();
      let serverMs = 0;
      let postgresMs = 0;
      for (const [pid, ticks] of last) {
        const ms = (ticks - base.get(pid)!) * msPerTick;
        if (postgres.has(pid)) postgresMs += ms;
        else serverMs += ms;
      }
      return {
        serverMs,
        postgresMs,
        totalMs: serverMs + postgresMs,
        processes: last.size - postgres.size,
        backends: postgres.size,
        unreadable: unreadable.size,
      };
    },
  };
}
