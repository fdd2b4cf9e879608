import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/prisma';
import { env } from '../env';
import { getJobHealth, type JobHealth } from '../scheduler/job-health';
import { getForeignWrites, getLatestAudit, getLatestHealthCheck, readCausedByWriter, readHealth } from '../sync';
import type { HealthSnapshot } from '../sync/types';
import { DESYNC_KINDS, FOREIGN_WRITE_MODES, INCIDENT_CONDITIONS, SYNC_JOB_STATUSES, type ForeignWrites } from '../vocabulary';

/**
 * Prometheus metrics for GET /api/metrics, on SyncWatch's own registry (never prom-client's
 * global one). Every SyncWatch figure is read from stored rows at scrape time (the maintained
 * counters, the latest audit, sync_jobs, schedule_runs), never by scanning the pairs, so every instance
 * behind a load balancer reports the same values and a scrape costs a few indexed reads.
 *
 * Stored counts can go down when retention prunes history, so "jobs by status" is a gauge
 * (jobs currently stored), not a counter. Unknown values (no health check yet, never a
 * successful sync) are left out (the family has no sample) rather than reported as a
 * misleading 0; prom-client would print NaN as "Nan", which strict parsers refuse.
 */

const JOB_DURATION_BUCKETS_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200];

interface SyncWatchMetrics {
  registry: Registry;
  consistencyRate: Gauge;
  consistencyTarget: Gauge;
  pairs: Gauge;
  consistentPairs: Gauge;
  desyncs: Gauge<'kind' | 'specialization'>;
  orphans: Gauge;
  lastHealthCheck: Gauge;
  jobDuration: Histogram<'status'>;
  jobs: Gauge<'status'>;
  jobRunning: Gauge;
  lastSuccess: Gauge;
  overdue: Gauge;
  nextSync: Gauge;
  scheduleRuns: Gauge<'schedule' | 'status'>;
  auditDrift: Gauge;
  lastAudit: Gauge;
  caused: Counter<'writer'>;
  foreignWrites: Gauge<'mode'>;
  incidentsOpen: Gauge<'condition'>;
  deliveries: Gauge<'state'>;
}

function createMetrics(): SyncWatchMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    consistencyRate: new Gauge({
      name: 'syncwatch_consistency_ratio',
      help: 'Consistent pairs / all pairs at the latest health check (0..1).',
      registers,
    }),
    consistencyTarget: new Gauge({ name: 'syncwatch_consistency_target_ratio', help: 'CONSISTENCY_TARGET as a ratio (0..1).', registers }),
    pairs: new Gauge({ name: 'syncwatch_pairs', help: '(learner, specialization) pairs at the latest health check.', registers }),
    consistentPairs: new Gauge({ name: 'syncwatch_consistent_pairs', help: 'Consistent pairs at the latest health check.', registers }),
    desyncs: new Gauge({
      name: 'syncwatch_desyncs',
      help: 'Desynced pairs at the latest health check, by kind and specialization.',
      labelNames: ['kind', 'specialization'] as const,
      registers,
    }),
    orphans: new Gauge({ name: 'syncwatch_orphans', help: 'Orphan progress or license rows at the latest health check.', registers }),
    lastHealthCheck: new Gauge({
      name: 'syncwatch_health_check_timestamp_seconds',
      help: 'When the latest snapshot or full audit was stored (Unix time).',
      registers,
    }),
    jobDuration: new Histogram({
      name: 'syncwatch_sync_job_duration_seconds',
      help: 'Duration of the finished sync jobs still stored (retention: RETENTION_DAYS), by final status.',
      labelNames: ['status'] as const,
      buckets: JOB_DURATION_BUCKETS_SECONDS,
      registers,
    }),
    jobs: new Gauge({ name: 'syncwatch_sync_jobs', help: 'Sync jobs stored, by status.', labelNames: ['status'] as const, registers }),
    jobRunning: new Gauge({ name: 'syncwatch_sync_job_running', help: '1 while a sync job is running.', registers }),
    lastSuccess: new Gauge({
      name: 'syncwatch_last_sync_success_timestamp_seconds',
      help: 'When the last SUCCEEDED or PARTIAL sync job finished (Unix time); absent if none ever did.',
      registers,
    }),
    overdue: new Gauge({
      name: 'syncwatch_sync_overdue',
      help: '1 when no sync job finished within the SYNC_CRON interval plus SYNC_OVERDUE_GRACE_MINUTES.',
      registers,
    }),
    nextSync: new Gauge({ name: 'syncwatch_next_sync_timestamp_seconds', help: 'Next scheduled sync occurrence (Unix time).', registers }),
    scheduleRuns: new Gauge({
      name: 'syncwatch_schedule_runs',
      help: 'Schedule occurrences stored (retention: RETENTION_DAYS), by schedule and outcome.',
      labelNames: ['schedule', 'status'] as const,
      registers,
    }),
    auditDrift: new Gauge({
      name: 'syncwatch_audit_drift',
      help: 'Set entries and counters the latest full audit corrected; above 0, something bypassed the triggers.',
      registers,
    }),
    lastAudit: new Gauge({ name: 'syncwatch_audit_timestamp_seconds', help: 'When the latest full audit ran (Unix time).', registers }),
    caused: new Counter({
      name: 'syncwatch_desyncs_caused_total',
      help: 'Pairs put out of sync at commit, by the writer that did it (a staff email, api:<key>, scheduler, cli, sql:<application>).',
      labelNames: ['writer'] as const,
      registers,
    }),
    foreignWrites: new Gauge({
      name: 'syncwatch_foreign_writes_mode',
      help: 'FOREIGN_WRITES: 1 for the mode in force.',
      labelNames: ['mode'] as const,
      registers,
    }),
    incidentsOpen: new Gauge({
      name: 'syncwatch_incidents_open',
      help: 'Open incidents, by condition (docs/decisions/016-incidents-and-alerts.md).',
      labelNames: ['condition'] as const,
      registers,
    }),
    deliveries: new Gauge({
      name: 'syncwatch_alert_deliveries',
      help: 'Notifications in the outbox: pending (to send or retry) and failed (given up).',
      labelNames: ['state'] as const,
      registers,
    }),
  };
}

const globalForMetrics = globalThis as unknown as { syncwatchMetrics?: SyncWatchMetrics };

function metrics(): SyncWatchMetrics {
  globalForMetrics.syncwatchMetrics ??= createMetrics();
  return globalForMetrics.syncwatchMetrics;
}

interface Figures {
  latest: HealthSnapshot | null;
  jobHealth: JobHealth;
  durations: { status: string; durationMs: number | null }[];
  jobsByStatus: { status: string; _count: { _all: number } }[];
  runsBySchedule: { schedule: string; status: string; _count: { _all: number } }[];
  audit: HealthSnapshot | null;
  stored: HealthSnapshot | null;
  caused: Map<string, number>;
  mode: ForeignWrites;
  incidents: { condition: string; _count: { _all: number } }[];
  outbox: { pending: number; failed: number };
}

async function readFigures(db: Db, now: Date): Promise<Figures> {
  const [latest, jobHealth, durations, jobsByStatus, runsBySchedule, audit, caused, mode, stored, incidents, outbox] = await Promise.all([
    readHealth(db),
    getJobHealth(db, now),
    db.syncJob.findMany({ where: { finishedAt: { not: null }, durationMs: { not: null } }, select: { status: true, durationMs: true } }),
    db.syncJob.groupBy({ by: ['status'], _count: { _all: true } }),
    db.scheduleRun.groupBy({ by: ['schedule', 'status'], _count: { _all: true } }),
    getLatestAudit(db),
    readCausedByWriter(db),
    getForeignWrites(db),
    getLatestHealthCheck(db),
    db.incident.groupBy({ by: ['condition'], where: { resolvedAt: null }, _count: { _all: true } }),
    db.$queryRaw<{ pending: number; failed: number }[]>`
      SELECT (SELECT count(*) FROM deliveries WHERE delivered_at IS NULL AND failed_at IS NULL)::int AS pending,
             (SELECT count(*) FROM deliveries WHERE failed_at IS NOT NULL)::int AS failed`.then((r) => r[0]!),
  ]);
  return { latest, jobHealth, durations, jobsByStatus, runsBySchedule, audit, caused, mode, stored, incidents, outbox };
}

const seconds = (d: Date | null | undefined) => (d ? d.getTime() / 1000 : null);

/** Sets a label-less gauge, or removes its sample when the value is unknown. */
function setKnown(g: Gauge, value: number | null | undefined) {
  if (value === null || value === undefined) g.remove();
  else g.set(value);
}

/** Reads the stored figures and returns the exposition text and its content type. */
export async function renderMetrics(db: Db, now: Date = new Date()): Promise<{ body: string; contentType: string }> {
  const m = metrics();
  const f = await readFigures(db, now);
  // Everything below is synchronous, so two concurrent scrapes never interleave a reset.
  const { latest, jobHealth } = f;
  // toPrecision: 99.9 / 100 is 0.9990000000000001 in binary floating point.
  m.consistencyTarget.set(Number((env().CONSISTENCY_TARGET / 100).toPrecision(12)));
  setKnown(m.consistencyRate, latest?.consistencyRate);
  setKnown(m.pairs, latest?.totalPairs);
  setKnown(m.consistentPairs, latest?.consistentPairs);
  setKnown(m.orphans, latest?.orphans);
  setKnown(m.lastHealthCheck, seconds(f.stored?.checkedAt));
  m.desyncs.reset();
  if (latest) {
    for (const [specialization, counts] of Object.entries(latest.bySpecialization)) {
      for (const kind of DESYNC_KINDS) m.desyncs.set({ kind, specialization }, counts[kind] ?? 0);
    }
  }

  m.jobDuration.reset();
  for (const j of f.durations) m.jobDuration.observe({ status: j.status }, (j.durationMs ?? 0) / 1000);
  m.jobs.reset();
  for (const status of SYNC_JOB_STATUSES) {
    m.jobs.set({ status }, f.jobsByStatus.find((r) => r.status === status)?._count._all ?? 0);
  }
  m.jobRunning.set(f.jobsByStatus.some((r) => r.status === 'RUNNING' && r._count._all > 0) ? 1 : 0);
  setKnown(m.lastSuccess, seconds(jobHealth.lastSuccessAt));
  m.overdue.set(jobHealth.state === 'OVERDUE' ? 1 : 0);
  setKnown(m.nextSync, seconds(jobHealth.nextSyncAt));
  m.scheduleRuns.reset();
  for (const r of f.runsBySchedule) m.scheduleRuns.set({ schedule: r.schedule, status: r.status }, r._count._all);
  setKnown(m.auditDrift, f.audit?.drift);
  setKnown(m.lastAudit, seconds(f.audit?.checkedAt));
  m.caused.reset();
  for (const [writer, n] of f.caused) m.caused.inc({ writer }, n);
  for (const mode of FOREIGN_WRITE_MODES) m.foreignWrites.set({ mode: mode.toLowerCase() }, mode === f.mode ? 1 : 0);
  for (const condition of INCIDENT_CONDITIONS) {
    m.incidentsOpen.set({ condition }, f.incidents.find((r) => r.condition === condition)?._count._all ?? 0);
  }
  m.deliveries.set({ state: 'pending' }, f.outbox.pending);
  m.deliveries.set({ state: 'failed' }, f.outbox.failed);

  return { body: withoutNaN(await m.registry.metrics()), contentType: m.registry.contentType };
}

/**
 * prom-client prints an unknown value as "Nan" (its event-loop lag gauges, before their first
 * sample), which the exposition format does not allow: such a sample is left out, as ours are.
 */
function withoutNaN(text: string): string {
  return text
    .split('\n')
    .filter((line) => line.startsWith('#') || !/ Nan$/.test(line))
    .join('\n');
}
