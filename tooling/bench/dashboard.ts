import type { RunningServer } from '../next-server';
import { loadTest, pollLoad, type LoadResult } from './http-load';
import { log } from './log';
import { percentile, round } from './stats';

/** (4) GET /api/dashboard under load, beside the trivial /api/ping of the same server. */

export const LOAD_SECONDS = 20;
export const LOAD_CONNECTIONS = 100;

export interface DashboardBody {
  latest: { id: number; byKind: Record<string, number> } | null;
}

export async function readDashboard(server: RunningServer, cookie: string): Promise<DashboardBody> {
  const res = await fetch(`${server.baseUrl}/api/dashboard`, { headers: { cookie }, signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`GET /api/dashboard answered ${res.status}`);
  return (await res.json()) as DashboardBody;
}

/** 5 s on each route, so that neither measurement pays for a cold server. */
export async function warmUp(server: RunningServer, cookie: string): Promise<void> {
  log('  warm-up: 5 s on /api/ping and on /api/dashboard');
  await loadTest(`${server.baseUrl}/api/ping`, { connections: LOAD_CONNECTIONS, seconds: 5 });
  await loadTest(`${server.baseUrl}/api/dashboard`, { connections: LOAD_CONNECTIONS, seconds: 5, headers: { cookie } });
}

export interface DashboardLoad {
  ping: LoadResult;
  dashboard: LoadResult;
  /** The same clients at a dashboard's pace: once a second each, phases spread at random. */
  paced: LoadResult;
}

/**
 * The load runs in ABBA order (ping, dashboard, dashboard, ping) so that a change in the
 * machine's load during the runs weighs on both routes alike; each route gets 2 x LOAD_SECONDS.
 */
export async function measureDashboardLoad(server: RunningServer, cookie: string): Promise<DashboardLoad> {
  const runs: Record<'ping' | 'dashboard', LoadResult[]> = { ping: [], dashboard: [] };
  for (const route of ['ping', 'dashboard', 'dashboard', 'ping'] as const) {
    const r = await loadTest(`${server.baseUrl}/api/${route}`, {
      connections: LOAD_CONNECTIONS,
      seconds: LOAD_SECONDS,
      headers: route === 'dashboard' ? { cookie } : undefined,
    });
    log(
      `  autocannon: ${LOAD_CONNECTIONS} connections, ${LOAD_SECONDS} s, GET /api/${route}: ` +
        `${r.requestsPerSecond.toFixed(0)} req/s, p95 ${r.p95Ms.toFixed(0)} ms, errors ${r.errors}`,
    );
    runs[route].push(r);
  }
  // For scale: the same 100 clients at a dashboard's pace (it refreshes every 10 s by default;
  // here every second, phases spread at random).
  const paced = await pollLoad(`${server.baseUrl}/api/dashboard`, {
    clients: LOAD_CONNECTIONS,
    intervalMs: 1000,
    seconds: 10,
    headers: { cookie },
  });
  log(
    `  ${LOAD_CONNECTIONS} clients polling once a second, 10 s, GET /api/dashboard: ${paced.requestsPerSecond.toFixed(0)} req/s, ` +
      `p50 ${paced.p50Ms.toFixed(0)} ms, p95 ${paced.p95Ms.toFixed(0)} ms, errors ${paced.errors}`,
  );
  return { ping: mergeLoads(runs.ping), dashboard: mergeLoads(runs.dashboard), paced };
}

/** The figures of the results file. */
export function dashboardFigures(load: DashboardLoad) {
  return {
    connections: LOAD_CONNECTIONS,
    secondsPerRun: LOAD_SECONDS,
    order: 'ping, dashboard, dashboard, ping',
    ping: summarizeLoad(load.ping),
    dashboard: summarizeLoad(load.dashboard),
    ratio: load.dashboard.requestsPerSecond / load.ping.requestsPerSecond,
    pacedOncePerSecond: summarizeLoad(load.paced),
  };
}

function mergeLoads(rs: LoadResult[]): LoadResult {
  const latencies = rs.flatMap((r) => r.latencies);
  const seconds = rs.reduce((a, r) => a + r.seconds, 0);
  const ok = rs.reduce((a, r) => a + r.requestsPerSecond * r.seconds, 0);
  const statusCodes: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.statusCodes)) statusCodes[k] = (statusCodes[k] ?? 0) + v;
  return {
    ...rs[0]!,
    seconds,
    requestsPerSecond: ok / seconds,
    requests: latencies.length,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    maxMs: Math.max(...rs.map((r) => r.maxMs)),
    errors: rs.reduce((a, r) => a + r.errors, 0),
    statusCodes,
    latencies,
  };
}

function summarizeLoad(r: LoadResult) {
  return {
    requestsPerSecond: round(r.requestsPerSecond),
    requests: r.requests,
    p50Ms: round(r.p50Ms, 1),
    p95Ms: round(r.p95Ms, 1),
    p99Ms: round(r.p99Ms, 1),
    maxMs: round(r.maxMs, 1),
    errors: r.errors,
    statusCodes: r.statusCodes,
  };
}
