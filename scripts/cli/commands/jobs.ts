import { z } from 'zod';
import { env } from '../../../lib/env';
import { withShutdownSignal } from '../../../lib/shutdown';
import type { Db } from '../../../lib/db/prisma';
import { cancelSyncJob, describeScope, listSyncJobs, previewUndo, runUndoJob, type SyncJobSummary } from '../../../lib/sync';
import { jobIdSchema, reasonSchema } from '../../../lib/sync/validation';
import { duration, int, stamp, table } from '../format';
import { defineCommand, EXIT, type CliIO } from '../types';
import { CLI_ACTOR, progressReporter } from './sync';

const PREVIEW_ROWS = 20;
const jobId = z.coerce.number({ error: 'needs a job id' }).pipe(jobIdSchema);

export const jobsCommand = defineCommand({
  name: 'jobs',
  summary: 'List recent sync jobs; cancel a running job; undo a finished one',
  usage: 'jobs [--limit N] [--json] | jobs cancel ID | jobs undo ID --reason TEXT [--dry-run]',
  details: [
    'jobs [--limit N] [--json]          the newest jobs (1-500, default 20), as a table or JSON',
    'jobs cancel ID                     stop a running job: it ends CANCELLED at once, on whichever instance',
    '                                   runs it; the batch in flight rolls back, committed batches stay',
    'jobs undo ID --reason TEXT         put back what job ID changed, where the pair is still as the job left',
    '                                   it (others are CONFLICT items, left alone); --dry-run shows the plan',
    '',
    'Exit 0 on success, 1 when the undo did not fully succeed or the job could not be cancelled or undone,',
    '2 on bad usage or when another job is running.',
  ],
  options: {
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
    reason: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
  },
  schema: z
    .strictObject({
      limit: z.coerce
        .number({ error: '--limit must be a number' })
        .int('--limit must be a whole number')
        .min(1, '--limit must be at least 1')
        .max(500, '--limit must be at most 500')
        .default(20),
      json: z.boolean(),
      reason: reasonSchema,
      'dry-run': z.boolean(),
      _: z.union(
        [
          z.tuple([]).transform(() => ({ verb: 'list' as const })),
          z.tuple([z.literal('cancel'), jobId]).transform(([, id]) => ({ verb: 'cancel' as const, id })),
          z.tuple([z.literal('undo'), jobId]).transform(([, id]) => ({ verb: 'undo' as const, id })),
        ],
        { error: 'takes nothing, "cancel ID" or "undo ID"' },
      ),
    })
    .refine((a) => a._.verb !== 'undo' || a['dry-run'] || !!a.reason, { message: '--reason is required to undo a job', path: ['reason'] }),
  async run(args, io, db) {
    if (args._.verb === 'cancel') return cancel(io, db, args._.id);
    if (args._.verb === 'undo') return args['dry-run'] ? undoDryRun(io, db, args._.id) : undo(io, db, args._.id, args.reason!);
    return list(io, db, args.limit, args.json);
  },
});

async function list(io: CliIO, db: Db, limit: number, json: boolean): Promise<number> {
  const { items, total } = await listSyncJobs(db, { limit });
  if (json) {
    io.out(JSON.stringify({ total, items }, null, 2));
    return EXIT.OK;
  }
  if (!items.length) {
    io.out('No sync jobs yet.');
    return EXIT.OK;
  }
  io.out(
    table(
      ['ID', 'STATUS', 'TRIGGER', 'ACTOR', 'STARTED', 'DURATION', 'FOUND', 'SYNCED', 'FAILED', 'REPORTED', 'SCOPE'],
      items.map((j) => [
        j.id,
        j.status,
        j.trigger === 'UNDO' && j.undoesJobId ? `UNDO #${j.undoesJobId}` : j.trigger,
        j.actor,
        stamp(j.startedAt),
        j.status === 'RUNNING' ? `running, ${int(j.done)}/${int(j.total)}` : duration(j.durationMs),
        int(j.found),
        int(j.synced),
        int(j.failed),
        int(j.reported),
        j.scope ? describeScope(j.scope) : '-',
      ]),
      { alignRight: [0, 6, 7, 8, 9] },
    ),
  );
  if (total > items.length) io.out(`(${int(items.length)} of ${int(total)}; use --limit to see more)`);
  return EXIT.OK;
}

async function cancel(io: CliIO, db: Db, id: number): Promise<number> {
  const job = await cancelSyncJob(db, id, CLI_ACTOR);
  io.out(`Job #${job.id} CANCELLED after ${int(job.done)} of ${int(job.total)} pairs (${int(job.synced)} synced); the slot is free.`);
  return EXIT.OK;
}

async function undoDryRun(io: CliIO, db: Db, id: number): Promise<number> {
  const p = await previewUndo(db, id, { limit: PREVIEW_ROWS });
  io.out(
    `Dry run: undoing job #${p.jobId} would put back ${int(p.restore)} of the ${int(p.changed)} pair(s) it changed; ` +
      `${int(p.conflicts)} changed since (CONFLICT, left alone), ${int(p.unchanged)} already as it found them. Nothing was written.`,
  );
  if (p.items.length) {
    const lvl = (n: number | null) => (n === null ? '-' : String(n));
    io.out(
      table(
        ['LEARNER', 'SPECIALIZATION', 'KIND', 'NOW', 'PUT BACK', 'OUTCOME'],
        p.items.map((i) => [
          i.email ?? `#${i.userId}`,
          i.specializationId,
          i.kind,
          `${lvl(i.before.progressLevel)}/${lvl(i.before.licenseLevel)}`,
          i.outcome === 'SYNCED' && i.after ? `${lvl(i.after.progressLevel)}/${lvl(i.after.licenseLevel)}` : '-',
          i.outcome === 'SYNCED' ? 'RESTORE' : i.outcome,
        ]),
      ),
    );
  }
  return EXIT.OK;
}

async function undo(io: CliIO, db: Db, id: number, reason: string): Promise<number> {
  const progress = progressReporter(io, 'Undoing');
  let job: SyncJobSummary;
  try {
    job = await withShutdownSignal((signal) =>
      runUndoJob(db, {
        jobId: id,
        actor: CLI_ACTOR,
        reason,
        onProgress: progress.update,
        signal,
        heartbeatTimeoutMs: env().JOB_HEARTBEAT_TIMEOUT_SECONDS * 1000,
      }),
    );
  } finally {
    progress.stop();
  }
  io.out(
    `Job #${job.id} (undo of #${id}) ${job.status} in ${duration(job.durationMs)}: put back ${int(job.synced)}, ` +
      `conflicts ${int(job.conflicts)} (left as they are), failed ${int(job.failed)}.`,
  );
  if (job.error) io.out(job.error);
  return job.status === 'SUCCEEDED' ? EXIT.OK : EXIT.FAILURE;
}
