import type pg from 'pg';
import { DEFAULT_TREND_RANGE } from '../../lib/sync/trend';
import type { RunningServer } from '../next-server';
import { loadTest, type LoadResult } from './http-load';
import { log } from './log';
import {
  pollSchedule,
  runOpenLoop,
  startCpuMeter,
  waitForQuiet,
  type CpuWindow,
  type OpenLoopResult,
  type PlannedRequest,
} from './open-loop';
import { median, percentile, round } from './stats';

/**
 * (4) The dashboard on the production server. Open loop: admins' pages polling every 5-10 s at
 * 20 and 200 requests per second, each refresh fetching what the page fetches, with latency
 * percentiles and the server's CPU per request (its process tree plus the PostgreSQL backends of
 * its pool) beside the same arrivals on the auth-only route (session + role read, no data) and
 * on the trivial route. Closed loop, as a capacity figure: 100 connections back to back on the
 * dashboard's data route and on the trivial route.
 */

/** The application_name of the bench server's connections, so that their backends can be found. */
export const SERVER_APPLICATION_NAME = 'syncwatch-bench-server';

/** The server's DATABASE_URL with its connections named SERVER_APPLICATION_NAME. */
export function serverDatabaseUrl(url: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', SERVER_APPLICATION_NAME);
  return u.toString();
}

/**
 * What one refresh of the dashboard page fetches, each on the page's interval (components/dashboard:
 * dashboard-live.tsx polls /api/dashboard and, while no job runs, /api/sync-jobs/running;
 * trend-chart.tsx the trend of the default range; open-incidents.tsx the open incidents).
 */
export const PAGE_POLL = [
  '/api/dashboard',
  '/api/sync-jobs/running',
  `/api/dashboard/trend?range=${DEFAULT_TREND_RANGE}`,
  '/api/incidents/open',
] as const;
/** Authorization only: next-auth's session and the role re-read from the database (app/api/session). */
export const AUTH_ONLY_PATH = '/api/session';
/** No session, no database (app/api/ping). */
export const TRIVIAL_PATH = '/api/ping';

/** An admin's page refreshes every 5 to 10 s. */
export const POLL_INTERVAL_S = [5, 10] as const;
/** Request rates and the length of each window; 5 windows per rate. */
export const OPEN_LOOP_RATES = [
  { rate: 20, seconds: 15 },
  { rate: 200, seconds: 10 },
] as const;

type Route = 'page' | 'auth' | 'trivial';
/** Symmetric about the trivial route, so that a drift of the machine's load weighs on the page and the auth-only route alike. */
const ORDER: Route[] = ['page', 'auth', 'trivial', 'auth', 'page'];
const ROUTE_NAMES: Record<Route, string> = { page: 'dashboard page', auth: AUTH_ONLY_PATH, trivial: TRIVIAL_PATH };

export const LOAD_SECONDS = 10;
export const LOAD_CONNECTIONS = 100;

export interface DashboardBody {
  latest: { id: number; byKind: Record<string, number> } | null;
}

export async function readDashboard(server: RunningServer, cookie: string): Promise<DashboardBody> {
  const res = await fetch(`${server.baseUrl}/api/dashboard`, { headers: { cookie }, signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`GET /api/dashboard answered ${res.status}`);
  return (await res.json()) as DashboardBody;
}

/** Every route of the measurement once, then a few seconds of each under load, so that none is measured cold. */
export async function warmUp(server: RunningServer, cookie: string): Promise<void> {
  log('  warm-up: 3 s on /api/ping and on /api/dashboard (100 connections), 4 s of the open-loop routes at 100 req/s');
  for (const path of [...PAGE_POLL, AUTH_ONLY_PATH, TRIVIAL_PATH]) {
    const res = await fetch(`${server.baseUrl}${path}`, { headers: { cookie }, signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}`);
    await res.arrayBuffer();
  }
  await loadTest(`${server.baseUrl}/api/ping`, { connections: LOAD_CONNECTIONS, seconds: 3 });
  await loadTest(`${server.baseUrl}/api/dashboard`, { connections: LOAD_CONNECTIONS, seconds: 3, headers: { cookie } });
  const { requests } = pollSchedule({ rate: 100, seconds: 4, mix: [...PAGE_POLL, AUTH_ONLY_PATH], intervalS: POLL_INTERVAL_S });
  await runOpenLoop(server.baseUrl, requests, { headers: { cookie } });
}

interface OpenLoopWindow {
  route: Route;
  load: OpenLoopResult;
  cpu: CpuWindow;
  /** From the last answer until the server was quiet (see waitForQuiet). */
  settleMs: number;
}

/** One window: `requests` (their paths replaced by the route's own, unless it is the page) with the server's CPU around it. */
async function openLoopWindow(
  server: RunningServer,
  c: pg.Client,
  cookie: string,
  route: Route,
  requests: readonly PlannedRequest[],
): Promise<OpenLoopWindow> {
  const planned = route === 'page' ? requests : requests.map((r) => ({ ...r, path: route === 'auth' ? AUTH_ONLY_PATH : TRIVIAL_PATH }));
  const meter = await startCpuMeter({ serverPid: server.pid, c, applicationName: SERVER_APPLICATION_NAME });
  const load = await runOpenLoop(server.baseUrl, planned, { headers: { cookie } });
  // What the answers left to do (logging, the pool's release, requests that timed out at the
  // client) belongs to the window, and must not weigh on the next one.
  const settleMs = await waitForQuiet(server.pid);
  const cpu = await meter.stop();
  return { route, load, cpu, settleMs };
}

function summarizeOpenLoop(windows: OpenLoopWindow[]) {
  const latencies = windows.flatMap((w) => w.load.latencies);
  const requests = latencies.length;
  const seconds = windows.reduce((a, w) => a + w.load.seconds, 0);
  const sum = (f: (w: OpenLoopWindow) => number) => windows.reduce((a, w) => a + f(w), 0);
  const statusCodes: Record<string, number> = {};
  for (const w of windows) for (const [k, v] of Object.entries(w.load.statusCodes)) statusCodes[k] = (statusCodes[k] ?? 0) + v;
  const byPath: Record<string, { requests: number; p50Ms: number; p95Ms: number; p99Ms: number }> = {};
  for (const path of new Set(windows.flatMap((w) => Object.keys(w.load.byPath)))) {
    const ls = windows.flatMap((w) => w.load.byPath[path] ?? []);
    byPath[path] = {
      requests: ls.length,
      p50Ms: round(percentile(ls, 50), 1),
      p95Ms: round(percentile(ls, 95), 1),
      p99Ms: round(percentile(ls, 99), 1),
    };
  }
  return {
    requests,
    requestsPerSecond: round(requests / seconds, 1),
    errors: sum((w) => w.load.errors),
    firstError: windows.find((w) => w.load.firstError)?.load.firstError ?? null,
    statusCodes,
    p50Ms: round(percentile(latencies, 50), 1),
    p95Ms: round(percentile(latencies, 95), 1),
    p99Ms: round(percentile(latencies, 99), 1),
    maxMs: round(
      latencies.reduce((a, b) => (b > a ? b : a), 0),
      1,
    ),
    /** Server CPU per request: the process tree plus the PostgreSQL backends, over every window of the route. */
    cpuMsPerRequest: sum((w) => w.cpu.totalMs) / requests,
    serverCpuMsPerRequest: sum((w) => w.cpu.serverMs) / requests,
    postgresCpuMsPerRequest: sum((w) => w.cpu.postgresMs) / requests,
    windowCpuMsPerRequest: windows.map((w) => round(w.cpu.totalMs / w.load.latencies.length, 3)),
    clientCpuMsPerRequest: sum((w) => w.load.clientCpuMs) / requests,
    processes: Math.max(...windows.map((w) => w.cpu.processes)),
    backends: Math.max(...windows.map((w) => w.cpu.backends)),
    unreadableBackends: Math.max(...windows.map((w) => w.cpu.unreadable)),
    gzipped: sum((w) => w.load.gzipped),
    newConnections: sum((w) => w.load.newConnections),
    sendLagMaxMs: round(Math.max(...windows.map((w) => w.load.sendLagMaxMs)), 1),
    settleMs: windows.map((w) => round(w.settleMs)),
    byPath,
  };
}

export type OpenLoopRouteFigures = ReturnType<typeof summarizeOpenLoop>;

/**
 * At each rate, one schedule of the page's refreshes, sent five times in ORDER: as the page's
 * mix, and with every request turned into the auth-only or the trivial route (the same arrival
 * instants, bursts included). The CPU ratio is the median of the two (page, auth-only) pairs' ratios.
 */
export async function measureOpenLoop(server: RunningServer, c: pg.Client, cookie: string) {
  const rates = [];
  for (const { rate, seconds } of OPEN_LOOP_RATES) {
    const { pollers, requests } = pollSchedule({ rate, seconds, mix: PAGE_POLL, intervalS: POLL_INTERVAL_S });
    log(
      `  open loop at ${rate} req/s: ${pollers} pages refreshing every ${POLL_INTERVAL_S.join('-')} s ` +
        `(${PAGE_POLL.length} requests each), ${requests.length} requests per ${seconds} s window, ` +
        `order ${ORDER.map((r) => ROUTE_NAMES[r]).join(', ')}`,
    );
    const windows: OpenLoopWindow[] = [];
    for (const route of ORDER) {
      const w = await openLoopWindow(server, c, cookie, route, requests);
      const ls = w.load.latencies;
      log(
        `    ${ROUTE_NAMES[route]}: p50/p95/p99 ${percentile(ls, 50).toFixed(1)}/${percentile(ls, 95).toFixed(1)}/` +
          `${percentile(ls, 99).toFixed(1)} ms, CPU ${(w.cpu.totalMs / ls.length).toFixed(2)} ms/request ` +
          `(server ${(w.cpu.serverMs / ls.length).toFixed(2)}, PostgreSQL ${(w.cpu.postgresMs / ls.length).toFixed(2)}, ` +
          `${w.cpu.backends} backends), ${w.load.errors} errors` +
          (w.load.firstError ? ` (${w.load.firstError})` : '') +
          (w.cpu.unreadable ? `; ${w.cpu.unreadable} backends not readable in /proc (PostgreSQL elsewhere): their CPU is not counted` : ''),
      );
      windows.push(w);
    }
    const of = (route: Route) => windows.filter((w) => w.route === route);
    const perRequest = (w: OpenLoopWindow) => w.cpu.totalMs / w.load.latencies.length;
    const [page, auth] = [of('page'), of('auth')];
    // Pairs in ORDER: the first page window with the first auth-only one, the last with the last.
    const cpuRatios = page.map((p, i) => perRequest(p) / perRequest(auth[i]!));
    rates.push({
      rate,
      seconds,
      pollers,
      requestsPerWindow: requests.length,
      order: ORDER.map((r) => ROUTE_NAMES[r]).join(', '),
      page: summarizeOpenLoop(page),
      auth: summarizeOpenLoop(auth),
      trivial: summarizeOpenLoop(of('trivial')),
      cpuRatios,
      cpuRatio: median(cpuRatios),
    });
  }
  return {
    pollIntervalS: POLL_INTERVAL_S,
    pagePoll: PAGE_POLL,
    authOnly: AUTH_ONLY_PATH,
    trivial: TRIVIAL_PATH,
    acceptEncoding: 'gzip',
    rates,
  };
}

export type OpenLoopFigures = Awaited<ReturnType<typeof measureOpenLoop>>;

export interface DashboardLoad {
  ping: LoadResult;
  dashboard: LoadResult;
}

/**
 * Closed loop, for capacity: 100 connections back to back in ABBA order (ping, dashboard,
 * dashboard, ping) so that a change in the machine's load during the runs weighs on both routes
 * alike; each route gets 2 x LOAD_SECONDS. Its latencies are queueing (100 connections on 2 cores).
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
  return { ping: mergeLoads(runs.ping), dashboard: mergeLoads(runs.dashboard) };
}

/** The figures of the results file: the closed-loop capacity figure, and the open-loop figures. */
export function dashboardFigures(load: DashboardLoad, openLoop: OpenLoopFigures) {
  return {
    connections: LOAD_CONNECTIONS,
    secondsPerRun: LOAD_SECONDS,
    order: 'ping, dashboard, dashboard, ping',
    ping: summarizeLoad(load.ping),
    dashboard: summarizeLoad(load.dashboard),
    ratio: load.dashboard.requestsPerSecond / load.ping.requestsPerSecond,
    openLoop,
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
