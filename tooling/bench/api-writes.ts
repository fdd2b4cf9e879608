import { randomUUID } from 'node:crypto';
import { createApiKey } from '../../lib/api/keys';
import type { Db } from '../../lib/db/prisma';
import { recordProgress, type Actor } from '../../lib/sync';
import { CALLERS, THROUGHPUT_SECONDS } from './coupled-writes';
import { randomLoadPair } from './dataset';
import { log } from './log';
import { median, paired, round, runConcurrently } from './stats';

/**
 * (7) The write API beside the engine: `POST /api/v1/learners/{id}/specializations/{spec}/progress`
 * at 16 concurrent clients, each request with its own Idempotency-Key (so every request claims,
 * applies and stores its answer), against direct recordProgress calls at 16 callers in this
 * process, in the same run, ABBA, median of per-run ratios. Target: >= 0.5x.
 */
export async function measureApiWrites(db: Db, baseUrl: string, pairs: number, runs: number) {
  const actor: Actor = { label: 'bench', source: 'APP' };
  const { token } = await createApiKey(db, { name: `bench-${randomUUID().slice(0, 8)}`, scopes: ['progress:write'] }, actor);
  const randomPair = () => randomLoadPair(pairs);
  const viaApi = () =>
    runConcurrently(CALLERS, THROUGHPUT_SECONDS * 1000, async () => {
      const [g, s] = randomPair();
      const res = await fetch(`${baseUrl}/api/v1/learners/${g}/specializations/${s}/progress`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
        body: JSON.stringify({ xpGained: 1, sessionsCompleted: 0 }),
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    });
  const direct = () =>
    runConcurrently(CALLERS, THROUGHPUT_SECONDS * 1000, () => {
      const [g, s] = randomPair();
      return recordProgress(db, g, s, { xpGained: 1, sessionsCompleted: 0 }, actor);
    });
  let errors = 0;
  let firstError: string | null = null;
  const r = await paired(
    runs,
    async () => {
      const x = await viaApi();
      errors += x.errors;
      firstError ??= x.firstError;
      return x.perSecond;
    },
    async () => (await direct()).perSecond,
    (i, x, y) => log(`  run ${i + 1}: API ${x.toFixed(0)} writes/s, direct recordProgress ${y.toFixed(0)} tx/s`),
  );
  if (firstError) log(`  first API error: ${firstError}`);
  return {
    apiWritesPerSecond: round(median(r.a)),
    directTps: round(median(r.b)),
    ratio: round(median(r.ratios), 2),
    errors,
    runs: { api: r.a.map((x) => round(x)), direct: r.b.map((x) => round(x)) },
  };
}
