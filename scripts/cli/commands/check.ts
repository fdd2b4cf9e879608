import { z } from 'zod';
import { formatPercent, getIntegrityReport, type IntegrityReport } from '../../../lib/monitoring/integrity';
import { runFullAudit } from '../../../lib/sync';
import { ago, duration, int, stamp } from '../format';
import { defineCommand, EXIT, type CliIO } from '../types';

export const checkCommand = defineCommand({
  name: 'check',
  summary: 'Run a full audit now; exit 0 when healthy, 1 when not',
  usage: 'check [--json]',
  details: [
    '--json   print the report as JSON (the same shape as GET /api/health/integrity)',
    '',
    'The audit passes over every pair and compares the desync set the triggers keep with the tables;',
    'drift is what it had to correct (0 unless something bypassed the triggers).',
    'Unhealthy: consistency under CONSISTENCY_TARGET, orphan rows, drift, or the sync job overdue.',
  ],
  options: { json: { type: 'boolean', default: false } },
  schema: z.strictObject({ json: z.boolean(), _: z.array(z.string()).max(0, 'takes no arguments') }),
  async run(args, io, db) {
    const started = Date.now();
    const latest = await runFullAudit(db, { source: 'CLI' });
    const report = await getIntegrityReport(db, { latest, now: io.now() });
    if (args.json) io.out(JSON.stringify(report, null, 2));
    else printReport(report, Date.now() - started, io);
    return report.healthy ? EXIT.OK : EXIT.FAILURE;
  },
});

function printReport(r: IntegrityReport, tookMs: number, io: CliIO) {
  io.out(`SyncWatch integrity: ${r.healthy ? 'HEALTHY' : 'UNHEALTHY'}`);
  const c = r.check;
  if (c) {
    const kinds = Object.entries(c.desyncsByKind)
      .map(([k, n]) => `${k} ${int(n)}`)
      .join(', ');
    io.out(`  Checked at   ${stamp(new Date(c.checkedAt))} (took ${duration(tookMs)})`);
    io.out(`  Pairs        ${int(c.pairs)}`);
    io.out(`  Consistent   ${int(c.consistent)} (${formatPercent(c.consistencyPercent)}%, target ${c.targetPercent}%)`);
    io.out(`  Desyncs      ${kinds}`);
    io.out(`  Orphans      ${int(c.orphans)}`);
  }
  const j = r.job;
  const now = io.now();
  const state = j.state === 'OVERDUE' ? 'OVERDUE' : j.state === 'NEVER_RUN' ? 'never run yet' : 'on schedule';
  const date = (iso: string | null) => (iso ? new Date(iso) : null);
  const lastSuccess = j.lastSuccessAt ? `${stamp(date(j.lastSuccessAt))} (${ago(new Date(j.lastSuccessAt), now)})` : 'never';
  io.out(`  Sync job     ${state}; last success ${lastSuccess}`);
  if (j.overdueAfter) {
    io.out(`               overdue after ${stamp(date(j.overdueAfter))}; next scheduled sync ${stamp(date(j.nextSyncAt))}`);
  }
  if (j.lastSync) {
    const s = j.lastSync;
    const counts = `synced ${int(s.synced)}, failed ${int(s.failed)}, reported ${int(s.reported)}`;
    io.out(`  Last job     #${s.id} ${s.status} (${s.trigger} by ${s.actor}), finished ${stamp(date(s.finishedAt))}: ${counts}`);
  }
  if (r.problems.length) {
    io.out('Problems:');
    for (const p of r.problems) io.out(`  - ${p}`);
  }
}
