import type { DbTx } from '../db/prisma';
import { meetsTarget } from '../monitoring/integrity';
import { computeJobHealth } from '../scheduler/job-health';
import type { SchedulerConfig } from '../scheduler/schedules';
import { desyncsByWriter, getLatestAudit, readHealth } from '../sync';
import type { IncidentCondition } from '../vocabulary';

/**
 * What can go wrong, read from what SyncWatch already maintains (the live counters, the latest
 * full audit, the job health, the judge's pair_events): never a scan of the pairs. Each condition
 * that holds is one open incident (lib/alerts/incidents.ts); `subject` tells apart the writers
 * of WRITER_BURST ("" otherwise). `figures` are what the incident and its notifications show.
 */

export interface ConditionState {
  condition: IncidentCondition;
  subject: string;
  holds: boolean;
  /** A sentence saying what holds (or that it cleared), for the timeline and the notifications. */
  summary: string;
  figures: Record<string, unknown>;
}

export interface AlertConfig {
  targetPercent: number;
  /** 0 turns WRITER_BURST off. */
  writerBurstCount: number;
  writerBurstMinutes: number;
  schedules: Pick<SchedulerConfig, 'crons' | 'timezone' | 'syncOverdueGraceMs'>;
}

const pct = (rate: number) => `${(Math.floor(rate * 100_000) / 1000).toString()}%`;

export async function readConditions(db: DbTx, config: AlertConfig, now: Date): Promise<ConditionState[]> {
  const since = new Date(now.getTime() - config.writerBurstMinutes * 60_000);
  const [health, audit, jobs, writers] = await Promise.all([
    readHealth(db),
    getLatestAudit(db),
    computeJobHealth(now, config.schedules, db),
    config.writerBurstCount > 0 ? desyncsByWriter(db, { since, limit: 1000 }) : Promise.resolve([]),
  ]);
  const rate = { consistencyPercent: health.consistencyRate * 100, targetPercent: config.targetPercent };
  const counts = { pairs: health.totalPairs, consistent: health.consistentPairs, byKind: health.byKind, orphans: health.orphans };
  const below = !meetsTarget(health.consistencyRate, config.targetPercent);
  const last = jobs.lastFinishedJob;
  const jobFailed = !!last && ['FAILED', 'PARTIAL', 'ABANDONED'].includes(last.status);
  const states: ConditionState[] = [
    {
      condition: 'CONSISTENCY_BELOW_TARGET',
      subject: '',
      holds: below,
      summary:
        `Consistency ${pct(health.consistencyRate)} (${health.consistentPairs} of ${health.totalPairs} pairs), ` +
        `target ${config.targetPercent}%.`,
      figures: { ...rate, ...counts },
    },
    {
      condition: 'SYNC_OVERDUE',
      subject: '',
      holds: jobs.state === 'OVERDUE',
      summary:
        jobs.state === 'OVERDUE'
          ? `No sync has succeeded since ${jobs.lastSuccessAt?.toISOString() ?? 'the scheduler started'} ` +
            `(due by ${jobs.overdueAfter?.toISOString()}).`
          : `The sync schedule is ${jobs.state === 'NEVER_RUN' ? 'not due yet' : 'on time'}.`,
      figures: {
        state: jobs.state,
        lastSuccessAt: jobs.lastSuccessAt?.toISOString() ?? null,
        overdueAfter: jobs.overdueAfter?.toISOString() ?? null,
      },
    },
    {
      condition: 'SYNC_JOB_FAILED',
      subject: '',
      holds: jobFailed,
      summary: last
        ? `Sync job #${last.id} ended ${last.status}: ${last.synced} synced, ${last.failed} failed${last.error ? `. ${last.error}` : ''}.`
        : 'No sync job has finished yet.',
      figures: last ? { jobId: last.id, status: last.status, synced: last.synced, failed: last.failed, error: last.error } : {},
    },
    {
      condition: 'ORPHANS_PRESENT',
      subject: '',
      holds: health.orphans > 0,
      summary: `${health.orphans} orphan row(s): a learner or a specialization that does not exist.`,
      figures: { orphans: health.orphans },
    },
    {
      condition: 'AUDIT_DRIFT',
      subject: '',
      holds: !!audit?.drift,
      summary: audit
        ? `The full audit of ${audit.checkedAt.toISOString()} corrected ${audit.drift ?? 0} entr${audit.drift === 1 ? 'y' : 'ies'}.`
        : 'No full audit has run yet.',
      figures: audit ? { auditId: audit.id, checkedAt: audit.checkedAt.toISOString(), drift: audit.drift ?? 0 } : {},
    },
  ];
  for (const w of writers) {
    if (w.count <= config.writerBurstCount) continue;
    states.push({
      condition: 'WRITER_BURST',
      subject: w.writer,
      holds: true,
      summary: `${w.writer} caused ${w.count} desyncs in ${config.writerBurstMinutes} min (more than ${config.writerBurstCount}).`,
      figures: { writer: w.writer, desyncs: w.count, minutes: config.writerBurstMinutes, threshold: config.writerBurstCount },
    });
  }
  return states;
}
