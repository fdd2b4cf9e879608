import type pg from 'pg';
import type { Db } from '../../lib/db/prisma';
import { runFullAudit, runSyncJob, type Actor } from '../../lib/sync';
import { countDesyncsWithFullJoin, repairSetBased } from './baselines';
import { buildDataset } from './dataset';
import { fmtMs, round, timed } from './stats';
import type { StressIO } from './stress-io';

/**
 * `npm run stress -- recovery`: 10,000 learners, 1,000 injected desyncs of every kind, one sync
 * job: every repairable pair repaired, orphans reported, one job item per pair, one audit event
 * per repair.
 */

const ACTOR: Actor = { label: 'stress', source: 'CLI' };

/** Which learners get which desync (1,000 in all); every learner has exactly one pair. */
const INJECTED = {
  LEVEL_MISMATCH: [1, 600],
  MISSING_LICENSE: [601, 750],
  MISSING_PROGRESS: [751, 900],
  ORPHAN_PROGRESS: [901, 960],
  ORPHAN_LICENSE: [961, 1000],
} as const;
const count = (k: keyof typeof INJECTED) => INJECTED[k][1] - INJECTED[k][0] + 1;

export async function runRecovery({ log, check }: StressIO, db: Db, c: pg.Client): Promise<void> {
  const learners = 10_000;
  log(`Building ${learners} learners, then repairing the data set's own desyncs set-based...`);
  await buildDataset(c, learners);
  await repairSetBased(c);
  log('Injecting 1,000 desyncs of every kind (orphans with the foreign keys bypassed, as a restore would)...');
  const between = (k: keyof typeof INJECTED): number[] => [...INJECTED[k]];
  await c.query('BEGIN');
  await c.query(
    `UPDATE user_licenses SET current_level = CASE WHEN current_level = 1 THEN 2 ELSE current_level - 1 END
     WHERE user_id BETWEEN $1 AND $2`,
    between('LEVEL_MISMATCH'),
  );
  await c.query(`DELETE FROM user_licenses WHERE user_id BETWEEN $1 AND $2`, between('MISSING_LICENSE'));
  await c.query(`DELETE FROM specialization_progress WHERE user_id BETWEEN $1 AND $2`, between('MISSING_PROGRESS'));
  await c.query(`SET LOCAL session_replication_role = replica`);
  await c.query(`DELETE FROM users WHERE id BETWEEN $1 AND $2`, between('ORPHAN_PROGRESS'));
  await c.query(`DELETE FROM specialization_progress WHERE user_id BETWEEN $1 AND $2`, between('ORPHAN_LICENSE'));
  await c.query(`DELETE FROM users WHERE id BETWEEN $1 AND $2`, between('ORPHAN_LICENSE'));
  await c.query('COMMIT');

  // The injected rows are judged at commit; the orphans bypassed the triggers with the foreign
  // keys, so the full audit finds those (its drift).
  const before = await runFullAudit(db, { source: 'CLI' });
  const injected = Object.fromEntries(
    Object.keys(before.byKind).map((k) => [k, INJECTED[k as keyof typeof INJECTED] ? count(k as keyof typeof INJECTED) : 0]),
  );
  log(`Full audit before: ${JSON.stringify(before.byKind)}, drift ${before.drift}`);
  check(
    JSON.stringify(before.byKind) === JSON.stringify(injected),
    `the figures count exactly the injected desyncs ${JSON.stringify(injected)}`,
  );

  log('One sync job...');
  let firstProgressAt = 0;
  const t0 = performance.now();
  const { ms, value: job } = await timed(() =>
    runSyncJob(db, {
      trigger: 'MANUAL',
      actor: ACTOR,
      reason: 'stress: recovery',
      onProgress: (done) => {
        if (done === 0) firstProgressAt = performance.now();
      },
    }),
  );
  const repairable = count('LEVEL_MISMATCH') + count('MISSING_LICENSE') + count('MISSING_PROGRESS');
  const orphans = count('ORPHAN_PROGRESS') + count('ORPHAN_LICENSE');
  const items = await db.syncJobItem.groupBy({ by: ['kind', 'outcome'], where: { jobId: job.id }, _count: { _all: true } });
  const itemCount = items.reduce((a, i) => a + i._count._all, 0);
  const audits = await db.auditEvent.count({ where: { action: 'SYNC_JOB_REPAIR', syncJobId: job.id } });
  const after = await runFullAudit(db, { source: 'CLI' });
  const fullJoin = await countDesyncsWithFullJoin(c);

  console.log('');
  console.log(`  job #${job.id} ${job.status}: found ${job.found}, synced ${job.synced}, reported ${job.reported}, failed ${job.failed}`);
  console.log(
    `  recorded duration ${fmtMs(job.durationMs ?? 0)} (finding the desyncs ${fmtMs(firstProgressAt - t0)}), ` +
      `whole call ${fmtMs(ms)} including the closing snapshot`,
  );
  console.log(
    `  ${((job.durationMs ?? 0) / job.found).toFixed(2)} ms per pair; ${round(job.found / ((job.durationMs ?? 1) / 1000))} pairs/s`,
  );
  console.log(`  old system's targets: 100 desyncs in < 10 s and < 50 ms per pair`);
  console.log(`  job items by kind and outcome: ${items.map((i) => `${i.kind}/${i.outcome} ${i._count._all}`).join(', ')}`);
  console.log(`  full audit after: ${JSON.stringify(after.byKind)}, drift ${after.drift}`);
  console.log('');
  check(job.status === 'SUCCEEDED' && job.failed === 0, 'the job succeeded with no failed pair');
  check(job.found === 1000 && job.done === 1000, 'the job found and processed all 1,000 desyncs');
  check(job.synced === repairable, `every repairable desync was repaired (${job.synced}/${repairable})`);
  check(job.reported === orphans, `every orphan was reported, none changed (${job.reported}/${orphans})`);
  check(itemCount === 1000, `one job item per pair (${itemCount})`);
  check(audits === repairable, `one SYNC_JOB_REPAIR audit event per repaired pair (${audits})`);
  check(
    after.byKind.LEVEL_MISMATCH === 0 && after.byKind.MISSING_LICENSE === 0 && after.byKind.MISSING_PROGRESS === 0,
    'no repairable desync is left',
  );
  check(
    after.byKind.ORPHAN_PROGRESS === count('ORPHAN_PROGRESS') && after.byKind.ORPHAN_LICENSE === count('ORPHAN_LICENSE'),
    'the orphans are still there, reported',
  );
  check(
    fullJoin === count('ORPHAN_LICENSE'),
    `hand-written FULL JOIN agrees: only the ${count('ORPHAN_LICENSE')} license-only orphans differ (${fullJoin})`,
  );
  check((job.durationMs ?? Infinity) / job.found < 50, "under the old system's 50 ms per pair");
}
