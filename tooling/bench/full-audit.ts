import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type pg from 'pg';
import type { Db } from '../../lib/db/prisma';
import { runFullAudit } from '../../lib/sync';
import { baselinePlan, createCoveringIndexes, dropCoveringIndexes, fullScanCount } from './baselines';
import { stride, totalDesyncs } from './dataset';
import { log } from './log';
import { fmtMs, median, round, sleep, timed } from './stats';
import { setNoteTriggers } from './triggers';

/**
 * (4) The full audit (runFullAudit: the pass into a temporary table, the candidates, the
 * counters, the re-judgement of what differs, the stored AUDIT row) against the better of two
 * full scans doing the least a pass must do, counting the desynced pairs:
 *   - hash: the FULL JOIN count as PostgreSQL plans it (a parallel hash full join);
 *   - merge: the same count as a merge full join over covering indexes (hash joins off).
 * Both with jit off (as the audit sets it) and the server's work_mem (which none of the three sets).
 * Each run takes the three in a rotating order; the ratio is the median of per-run ratios
 * audit / min(hash, merge). The covering indexes exist for the whole section and are dropped
 * after it; the plans of both baselines are logged.
 */

async function workMem(c: pg.Client): Promise<string> {
  const { rows } = await c.query<{ work_mem: string }>('SHOW work_mem');
  return rows[0]!.work_mem;
}

async function planSummary(c: pg.Client, variant: 'hash' | 'merge'): Promise<string> {
  const plan = await baselinePlan(c, variant);
  return plan
    .map((l) => l.trim().replace(/^->\s*/, ''))
    .filter((l) => /Join|Scan|Gather|Aggregate|Sort/.test(l))
    .map((l) => l.split('  ')[0]!)
    .join(' > ');
}

export async function measureFullAudit(db: Db, c: pg.Client, pairs: number, runs: number) {
  const expected = totalDesyncs(pairs);
  const mem = await workMem(c);
  log(`  covering indexes for the merge baseline (built once, dropped after)...`);
  const built = await timed(() => createCoveringIndexes(c));
  log(`  built in ${fmtMs(built.ms)}; work_mem ${mem}, jit off for all three`);
  const audits: number[] = [];
  const passes: number[] = [];
  const hashes: number[] = [];
  const merges: number[] = [];
  const ratios: number[] = [];
  let drift = 0;
  let plans = { hash: '', merge: '' };
  try {
    plans = { hash: await planSummary(c, 'hash'), merge: await planSummary(c, 'merge') };
    log(`  plan, hash baseline:  ${plans.hash}`);
    log(`  plan, merge baseline: ${plans.merge}`);
    const audit = async () => {
      const t = performance.now();
      let passEnd = 0;
      const s = await runFullAudit(db, {
        source: 'CLI',
        onProgress: (p) => {
          if (p.phase !== 'pass' && !passEnd) passEnd = performance.now();
        },
      });
      const ms = performance.now() - t;
      if (s.totalPairs - s.consistentPairs !== expected) {
        throw new Error(`The audit counts ${s.totalPairs - s.consistentPairs} desyncs, expected ${expected}.`);
      }
      drift += s.drift ?? 0;
      return { ms, passMs: passEnd - t };
    };
    const count = async (variant: 'hash' | 'merge') => {
      const { ms, value } = await timed(() => fullScanCount(c, variant));
      if (value !== expected) throw new Error(`The ${variant} baseline counts ${value} desyncs, expected ${expected}.`);
      return ms;
    };
    // Warm-up, not counted.
    await audit();
    await count('hash');
    await count('merge');
    drift = 0;
    const orders = [
      ['audit', 'hash', 'merge'],
      ['merge', 'hash', 'audit'],
      ['hash', 'audit', 'merge'],
    ] as const;
    for (let i = 0; i < runs; i++) {
      const got: Record<string, number> = {};
      let pass = 0;
      for (const what of orders[i % orders.length]!) {
        if (what === 'audit') {
          const a = await audit();
          got.audit = a.ms;
          pass = a.passMs;
        } else got[what] = await count(what);
      }
      const best = Math.min(got.hash!, got.merge!);
      audits.push(got.audit!);
      passes.push(pass);
      hashes.push(got.hash!);
      merges.push(got.merge!);
      ratios.push(got.audit! / best);
      log(
        `  run ${i + 1}/${runs}: audit ${fmtMs(got.audit!)} (pass ${fmtMs(pass)}), hash count ${fmtMs(got.hash!)}, ` +
          `merge count ${fmtMs(got.merge!)} (${(got.audit! / best).toFixed(2)}x the better)`,
      );
    }
  } finally {
    await dropCoveringIndexes(c);
  }
  return {
    auditMs: median(audits),
    passMs: median(passes),
    hashMs: median(hashes),
    mergeMs: median(merges),
    ratio: median(ratios),
    drift,
    workMem: mem,
    plans,
    runs: { auditMs: audits.map((x) => round(x)), hashMs: hashes.map((x) => round(x)), mergeMs: merges.map((x) => round(x)) },
  };
}

export type FullAuditFigures = Awaited<ReturnType<typeof measureFullAudit>>;

function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Consistent learners 1..hi whose licenses the memory figure moves (the data set's own desyncs excluded). */
const DRIFT_WHERE = `l.user_id BETWEEN 1 AND $1 AND l.user_id % $2::int <> 7 AND l.user_id % $3::int NOT IN (13, 17)`;

/**
 * Node's RSS during a full audit that has to repair a large drift: `share` of the pairs (at most
 * 100,000) made level mismatches with the note triggers off, so the audit finds each of them
 * missing from the set and re-judges it. The pass, the candidates and the re-judgement all stay
 * in PostgreSQL; this process's RSS is sampled every 20 ms from before the call (after a GC) to
 * its end. The pairs are put back the same way afterwards, and a second audit removes their entries.
 */
export async function measureAuditMemory(db: Db, c: pg.Client, pairs: number, share = 0.1) {
  const s = stride(pairs);
  const target = Math.min(100_000, Math.round(pairs * share));
  // Learners 1..hi hold `target` consistent pairs: the data set's desyncs are 1.2% of them at most.
  const hi = Math.min(pairs, Math.ceil(target / (1 - 0.012 / s)) + 1);
  await setNoteTriggers(c, false);
  let moved = 0;
  try {
    const r = await c.query(
      `UPDATE user_licenses l SET current_level = CASE WHEN l.current_level = 1 THEN 2 ELSE l.current_level - 1 END
       WHERE ${DRIFT_WHERE}`,
      [hi, 100 * s, 1000 * s],
    );
    moved = r.rowCount ?? 0;
  } finally {
    await setNoteTriggers(c, true);
  }
  log(`  ${moved.toLocaleString('en-US')} pairs made level mismatches with the note triggers off (drift for the audit)`);
  const gc = gcFunction();
  gc();
  await sleep(200);
  const before = process.memoryUsage();
  let peak = before.rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  let result;
  try {
    result = await timed(() => runFullAudit(db, { source: 'CLI' }));
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  const after = process.memoryUsage();
  const growthMiB = (peak - before.rss) / 2 ** 20;
  log(
    `  audit with ${moved.toLocaleString('en-US')} drifted pairs: ${fmtMs(result.ms)}, drift ${result.value.drift}; ` +
      `RSS ${(before.rss / 2 ** 20).toFixed(0)} -> peak ${(peak / 2 ** 20).toFixed(0)} MiB (+${growthMiB.toFixed(1)} MiB), ` +
      `heap ${(before.heapUsed / 2 ** 20).toFixed(0)} -> ${(after.heapUsed / 2 ** 20).toFixed(0)} MiB`,
  );
  // Put back with the triggers off too (the judge's per-pair locks of 100,000 pairs in one commit
  // would overflow the lock table: see the write-overhead figures), then a full audit removes
  // the entries: that audit's drift is the same pairs again.
  const healed = await timed(async () => {
    await setNoteTriggers(c, false);
    try {
      await c.query(
        `UPDATE user_licenses l SET current_level = p.current_level FROM specialization_progress p
         WHERE p.user_id = l.user_id AND p.specialization_id = l.specialization_id AND l.current_level <> p.current_level
           AND ${DRIFT_WHERE}`,
        [hi, 100 * s, 1000 * s],
      );
    } finally {
      await setNoteTriggers(c, true);
    }
    return runFullAudit(db, { source: 'CLI' });
  });
  log(`  put back with the triggers off, and a full audit: ${fmtMs(healed.ms)} (drift ${healed.value.drift})`);
  return {
    driftedPairs: moved,
    auditMs: round(result.ms),
    drift: result.value.drift,
    rssBeforeMiB: round(before.rss / 2 ** 20, 1),
    rssPeakMiB: round(peak / 2 ** 20, 1),
    rssGrowthMiB: round(growthMiB, 1),
    heapBeforeMiB: round(before.heapUsed / 2 ** 20, 1),
    heapAfterMiB: round(after.heapUsed / 2 ** 20, 1),
    healMs: round(healed.ms),
  };
}

export type AuditMemoryFigures = Awaited<ReturnType<typeof measureAuditMemory>>;
