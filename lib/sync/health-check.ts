import type { Db, DbTx } from '../db/prisma';
import type { HealthCheck } from '../generated/prisma/client';
import { emptyByKind } from './classify';
import { readCounters, type Counters } from './counters';
import type { AuditSource, DesyncKind, HealthSnapshot } from './types';

/**
 * The health figures: pairs, consistent pairs, desyncs by kind and by specialization, the rate.
 * Read from the maintained counters (lib/sync/counters.ts), never by a scan of the pairs, so they
 * cost the same at ten million pairs as at a thousand. Snapshots of them are stored on the
 * HEALTH_CHECK schedule for the trend; the full audit (lib/sync/audit-pass.ts) stores its own.
 */

type SpecFigures = { pairs: number } & Record<DesyncKind, number>;

export interface Figures {
  totalPairs: number;
  consistentPairs: number;
  consistencyRate: number;
  byKind: Record<DesyncKind, number>;
  bySpecialization: Record<string, SpecFigures>;
}

/** A pair is a progress row, or a license without one: those are always desyncs of these kinds. */
const LICENSE_ONLY: DesyncKind[] = ['MISSING_PROGRESS', 'ORPHAN_LICENSE'];

export function figuresOf(c: Counters): Figures {
  const specs = [...new Set([...c.progressRows.keys(), ...c.desyncs.keys()])].sort();
  const bySpecialization: Record<string, SpecFigures> = {};
  const byKind = emptyByKind();
  let totalPairs = 0;
  let desynced = 0;
  for (const spec of specs) {
    const kinds = c.desyncs.get(spec) ?? emptyByKind();
    const pairs = (c.progressRows.get(spec) ?? 0) + LICENSE_ONLY.reduce((n, k) => n + kinds[k], 0);
    bySpecialization[spec] = { pairs, ...kinds };
    totalPairs += pairs;
    for (const [k, n] of Object.entries(kinds) as [DesyncKind, number][]) {
      byKind[k] += n;
      desynced += n;
    }
  }
  const consistentPairs = Math.max(totalPairs - desynced, 0);
  return { totalPairs, consistentPairs, consistencyRate: totalPairs === 0 ? 1 : consistentPairs / totalPairs, byKind, bySpecialization };
}

/** The figures now, straight from the counters (not stored). */
export async function readHealth(db: Db | DbTx): Promise<HealthSnapshot> {
  const started = performance.now();
  const [counters, [clock]] = await Promise.all([readCounters(db), db.$queryRaw<{ now: Date }[]>`SELECT now()`]);
  const f = figuresOf(counters);
  return {
    id: null,
    kind: 'LIVE',
    checkedAt: clock!.now,
    durationMs: Math.round(performance.now() - started),
    ...f,
    orphans: f.byKind.ORPHAN_PROGRESS + f.byKind.ORPHAN_LICENSE,
    drift: null,
  };
}

export function healthCheckData(f: Figures) {
  const b = f.byKind;
  return {
    totalPairs: f.totalPairs,
    consistentPairs: f.consistentPairs,
    consistencyRate: f.consistencyRate,
    levelMismatch: b.LEVEL_MISMATCH,
    missingLicense: b.MISSING_LICENSE,
    missingProgress: b.MISSING_PROGRESS,
    orphanProgress: b.ORPHAN_PROGRESS,
    orphanLicense: b.ORPHAN_LICENSE,
    invalidProgress: b.INVALID_PROGRESS,
    licenseInFuture: b.LICENSE_IN_FUTURE,
    bySpecialization: f.bySpecialization,
  };
}

/** Stores the figures as a SNAPSHOT for the trend chart. */
export async function recordHealthSnapshot(db: Db | DbTx, opts: { source?: AuditSource } = {}): Promise<HealthSnapshot> {
  const started = performance.now();
  const f = figuresOf(await readCounters(db));
  const row = await db.healthCheck.create({
    data: { ...healthCheckData(f), durationMs: Math.round(performance.now() - started), source: opts.source ?? 'APP', kind: 'SNAPSHOT' },
  });
  return toSnapshot(row);
}

export function toSnapshot(row: HealthCheck): HealthSnapshot {
  const byKind: Record<DesyncKind, number> = {
    LEVEL_MISMATCH: row.levelMismatch,
    MISSING_LICENSE: row.missingLicense,
    MISSING_PROGRESS: row.missingProgress,
    ORPHAN_PROGRESS: row.orphanProgress,
    ORPHAN_LICENSE: row.orphanLicense,
    INVALID_PROGRESS: row.invalidProgress,
    LICENSE_IN_FUTURE: row.licenseInFuture,
  };
  return {
    id: row.id,
    kind: row.kind,
    checkedAt: row.checkedAt,
    durationMs: row.durationMs,
    totalPairs: row.totalPairs,
    consistentPairs: row.consistentPairs,
    consistencyRate: row.consistencyRate,
    byKind,
    orphans: row.orphanProgress + row.orphanLicense,
    bySpecialization: row.bySpecialization as HealthSnapshot['bySpecialization'],
    drift: row.drift,
  };
}

export async function getLatestHealthCheck(db: Db): Promise<HealthSnapshot | null> {
  const row = await db.healthCheck.findFirst({ orderBy: [{ checkedAt: 'desc' }, { id: 'desc' }] });
  return row ? toSnapshot(row) : null;
}

/** The latest full audit, or null when none ran yet. */
export async function getLatestAudit(db: Db | DbTx): Promise<HealthSnapshot | null> {
  const row = await db.healthCheck.findFirst({ where: { kind: 'AUDIT' }, orderBy: [{ checkedAt: 'desc' }, { id: 'desc' }] });
  return row ? toSnapshot(row) : null;
}

/** The latest `limit` checks, oldest first (for the trend chart). */
export async function listHealthChecks(db: Db, opts: { limit?: number } = {}): Promise<HealthSnapshot[]> {
  const take = Math.min(Math.max(opts.limit ?? 200, 1), 5000);
  const rows = await db.healthCheck.findMany({ orderBy: [{ checkedAt: 'desc' }, { id: 'desc' }], take });
  return rows.reverse().map(toSnapshot);
}
