import type { Db } from '../db/prisma';
import { env } from '../env';
import { getJobHealth, type JobHealth } from '../scheduler/job-health';
import { getForeignWrites, getLatestAudit, readHealth } from '../sync';
import type { DesyncKind, HealthSnapshot, SyncJobStatus, SyncTrigger } from '../sync/types';
import type { ForeignWrites } from '../vocabulary';

/**
 * The integrity report behind GET /api/health/integrity and `syncwatch check`: the health figures
 * (read live from the maintained counters), the latest full audit's drift, the foreign-writes
 * mode, the sync job's health, and one verdict.
 */

export interface IntegrityReport {
  healthy: boolean;
  /** Why `healthy` is false, one sentence each; empty when healthy. */
  problems: string[];
  check: {
    /** The stored check these figures come from; null when read live. */
    id: number | null;
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
  detection: {
    /** What a foreign write that leaves a pair out of sync gets (FOREIGN_WRITES). */
    foreignWrites: ForeignWrites;
    /** The latest full audit; drift above 0 means something bypassed the triggers. */
    lastAudit: { id: number; checkedAt: string; drift: number; durationMs: number } | null;
  };
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

export interface DetectionState {
  foreignWrites: ForeignWrites;
  lastAudit: HealthSnapshot | null;
}

export function evaluateIntegrity(
  latest: HealthSnapshot | null,
  jobHealth: JobHealth,
  targetPercent: number,
  detection: DetectionState = { foreignWrites: 'OBSERVE', lastAudit: null },
): IntegrityReport {
  const problems: string[] = [];
  const audit = detection.lastAudit;
  if (audit?.drift) {
    problems.push(
      `The last full audit (${audit.checkedAt.toISOString()}) corrected ${audit.drift} entr${audit.drift === 1 ? 'y' : 'ies'}: ` +
        'something wrote the pair tables past the triggers (TRUNCATE, a disabled trigger, session_replication_role = replica).',
    );
  }
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
    detection: {
      foreignWrites: detection.foreignWrites,
      lastAudit:
        audit && audit.id !== null
          ? { id: audit.id, checkedAt: audit.checkedAt.toISOString(), drift: audit.drift ?? 0, durationMs: audit.durationMs }
          : null,
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

/** The report now (with `latest` as the figures when the caller has just run an audit). */
export async function getIntegrityReport(db: Db, opts: { now?: Date; latest?: HealthSnapshot | null } = {}): Promise<IntegrityReport> {
  const [latest, jobHealth, foreignWrites, lastAudit] = await Promise.all([
    opts.latest !== undefined ? opts.latest : readHealth(db),
    getJobHealth(db, opts.now ?? new Date()),
    getForeignWrites(db),
    opts.latest?.kind === 'AUDIT' ? opts.latest : getLatestAudit(db),
  ]);
  return evaluateIntegrity(latest, jobHealth, env().CONSISTENCY_TARGET, { foreignWrites, lastAudit });
}

export function formatPercent(p: number): string {
  // Enough digits to see 99.95 vs 99.9, never "100" for 99.9996.
  const fixed = Math.floor(p * 100) / 100;
  return fixed.toFixed(2).replace(/\.?0+$/, '');
}
