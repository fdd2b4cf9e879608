import autocannon from 'autocannon';
import { percentile } from './stats';

export interface LoadResult {
  url: string;
  connections: number;
  seconds: number;
  /** Successful (2xx) responses per second. */
  requestsPerSecond: number;
  requests: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Connection errors and timeouts plus non-2xx responses. */
  errors: number;
  statusCodes: Record<string, number>;
  /** Every response's time, ms. */
  latencies: number[];
}

/**
 * `connections` clients requesting `url` back to back for `seconds` (autocannon). Latency
 * percentiles come from every response's own time (autocannon's summary has no p95).
 */
export async function loadTest(
  url: string,
  opts: { connections: number; seconds: number; headers?: Record<string, string> },
): Promise<LoadResult> {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  const instance = autocannon({ url, connections: opts.connections, duration: opts.seconds, timeout: 10, headers: opts.headers });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime);
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) ok++;
  });
  const result = await instance;
  return {
    url,
    connections: opts.connections,
    seconds: result.duration,
    requestsPerSecond: ok / result.duration,
    requests: latencies.length,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? latencies.reduce((a, b) => (b > a ? b : a), 0) : Number.NaN,
    errors: result.errors + result.non2xx,
    statusCodes,
    latencies,
  };
}

/**
 * `clients` pollers each requesting `url` once every `intervalMs`, their phases spread at random
 * as real dashboards' are (autocannon's rate limit fires every client in the same instant, which
 * measures a burst, not a poll).
 */
export async function pollLoad(
  url: string,
  opts: { clients: number; intervalMs: number; seconds: number; headers?: Record<string, string> },
): Promise<LoadResult> {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let errors = 0;
  const started = performance.now();
  const end = started + opts.seconds * 1000;
  await Promise.all(
    Array.from({ length: opts.clients }, async () => {
      await new Promise((r) => setTimeout(r, Math.random() * opts.intervalMs));
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const res = await fetch(url, { headers: opts.headers, signal: AbortSignal.timeout(10_000) });
          await res.arrayBuffer();
          latencies.push(performance.now() - t);
          statusCodes[res.status] = (statusCodes[res.status] ?? 0) + 1;
          if (res.ok) ok++;
          else errors++;
        } catch {
          errors++;
        }
        await new Promise((r) => setTimeout(r, Math.max(0, opts.intervalMs - (performance.now() - t))));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    url,
    connections: opts.clients,
    seconds,
    requestsPerSecond: ok / seconds,
    requests: latencies.length,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? latencies.reduce((a, b) => (b > a ? b : a), 0) : Number.NaN,
    errors,
    statusCodes,
    latencies,
  };
}
