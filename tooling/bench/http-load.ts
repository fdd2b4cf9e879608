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
