import type { Db } from '../db/prisma';
import { env } from '../env';
import { getJobHealth, type JobHealth } from '../scheduler/job-health';
import { getLatestHealthCheck } from '../sync';
import type { DesyncKind, HealthSnapshot, SyncJobStatus, SyncTrigger } from '../sync/types';

/**
 * The integrity report behind GET /api/health/integrity and `syncwatch check`: the latest stored
 * health check's figures, the sync job's health, and one verdict. Reads stored rows only.
 */

export interface IntegrityReport {
  healthy: boolean;
  /** Why `healthy` is false, one sentence each; empty when healthy. */
  problems: string[];
  check: {
    id: number;
    checkedAt: string;
    pairs: number;
    consistent: number;
    /** consistent / pairs as a fraction in [0, 1]. */
    consistencyRate: number;
    /** The same as a percentage, to compare with `targetPercent`. */
    consistencyPercent: number;
    targetPercent: number;
    desyncsByKind: Record<DesyncKind, number>;
    orphans: number;
  } | null;
  job: {
    state: JobHealth['state'];
    overdue: boolean;
    lastSuccessAt: string | null;
    overdueAfter: string | null;
    nextSyncAt: string | null;
    lastSync: {
      id: number;
      status: SyncJobStatus;
      trigger: SyncTrigger;
      actor: string;
      startedAt: string;
      finishedAt: string | null;
      synced: number;
      failed: number;
      reported: number;
    } | null;
  };
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** Whether `rate` (a fraction) reaches `targetPercent`, without 0.999 * 100 = 99.8999... surprises. */
export function meetsTarget(rate: number, targetPercent: number): boolean {
  return rate * 100 + 1e-9 >= targetPercent;
}

export function evaluateIntegrity(latest: HealthSnapshot | null, jobHealth: JobHealth, targetPercent: number): IntegrityReport {
  const problems: string[] = [];
  if (!latest) {
    problems.push('No health check has run yet.');
  } else {
    if (!meetsTarget(latest.consistencyRate, targetPercent)) {
      problems.push(`Consistency ${formatPercent(latest.consistencyRate * 100)}% is under the ${targetPercent}% target.`);
    }
    if (latest.orphans > 0) problems.push(`${latest.orphans} orphan row(s) need a decision.`);
  }
  const overdue = jobHealth.state === 'OVERDUE';
  if (overdue) {
    problems.push(
      jobHealth.lastSuccessAt
        ? `The sync job is overdue: last success ${jobHealth.lastSuccessAt.toISOString()}, due by ${iso(jobHealth.overdueAfter)}.`
        : `The sync job is overdue: no sync has succeeded since the scheduler started (due by ${iso(jobHealth.overdueAfter)}).`,
    );
  }
  const last = jobHealth.lastFinishedJob;
  return {
    healthy: problems.length === 0,
    problems,
    check: latest && {
      id: latest.id,
      checkedAt: latest.checkedAt.toISOString(),
      pairs: latest.totalPairs,
      consistent: latest.consistentPairs,
      consistencyRate: latest.consistencyRate,
      consistencyPercent: latest.consistencyRate * 100,
      targetPercent,
      desyncsByKind: latest.byKind,
      orphans: latest.orphans,
    },
    job: {
      state: jobHealth.state,
      overdue,
      lastSuccessAt: iso(jobHealth.lastSuccessAt),
      overdueAfter: iso(jobHealth.overdueAfter),
      nextSyncAt: iso(jobHealth.nextSyncAt),
      lastSync: last && {
        id: last.id,
        status: last.status,
        trigger: last.trigger,
        actor: last.actor,
        startedAt: last.startedAt.toISOString(),
        finishedAt: iso(last.finishedAt),
        synced: last.synced,
        failed: last.failed,
        reported: last.reported,
      },
    },
  };
}

/** The report from what is stored now (or from `latest`, when the caller has just run a check). */
export async function getIntegrityReport(db: Db, opts: { now?: Date; latest?: HealthSnapshot | null } = {}): Promise<IntegrityReport> {
  const [latest, jobHealth] = await Promise.all([
    opts.latest !== undefined ? opts.latest : getLatestHealthCheck(db),
    getJobHealth(db, opts.now ?? new Date()),
  ]);
  return evaluateIntegrity(latest, jobHealth, env().CONSISTENCY_TARGET);
}

export function formatPercent(p: number): string {
  // Enough digits to see 99.95 vs 99.9, never "100" for 99.9996.
  const fixed = Math.floor(p * 100) / 100;
  return fixed.toFixed(2).replace(/\.?0+$/, '');
}
