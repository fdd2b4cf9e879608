import type pg from 'pg';
import type { Db } from '../../lib/db/prisma';
import { runFullAudit } from '../../lib/sync';
import { countDesyncsWithFullJoin } from './baselines';
import { log } from './log';
import { fmtMs, median, paired, round, timed } from './stats';

/** (1) The engine's health check (every figure and the snapshot) vs one FULL OUTER JOIN count. */
export async function measureHealthCheck(db: Db, c: pg.Client, runs: number) {
  const recorded: number[] = [];
  let last: Awaited<ReturnType<typeof runFullAudit>> | undefined;
  const r = await paired(
    runs,
    async () => {
      const { ms, value } = await timed(() => runFullAudit(db, { source: 'CLI' }));
      recorded.push(value.durationMs);
      last = value;
      return ms;
    },
    async () => (await timed(() => countDesyncsWithFullJoin(c))).ms,
    (i, x, y) => log(`  run ${i + 1}/${runs}: health check ${fmtMs(x)}, FULL JOIN count ${fmtMs(y)} (${(x / y).toFixed(2)}x)`),
  );
  return {
    engineMs: median(r.a),
    engineRecordedMs: median(recorded.slice(1)),
    baselineMs: median(r.b),
    ratio: median(r.ratios),
    totalPairs: last!.totalPairs,
    desynced: last!.totalPairs - last!.consistentPairs,
    runs: { engineMs: r.a.map((x) => round(x)), baselineMs: r.b.map((x) => round(x)) },
  };
}

export type HealthCheckFigures = Awaited<ReturnType<typeof measureHealthCheck>>;
