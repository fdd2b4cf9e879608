import { SingleBar } from 'cli-progress';
import { z } from 'zod';
import { env } from '../../../lib/env';
import { withShutdownSignal } from '../../../lib/shutdown';
import type { Db } from '../../../lib/db/prisma';
import {
  abandonStaleJobs,
  alreadyRunningMessage,
  isSyncError,
  runSyncJob,
  type Actor,
  type SyncJobSummary,
  type SyncPreview,
} from '../../../lib/sync';
import { reasonSchema } from '../../../lib/sync/validation';
import { ago, duration, int, stamp, table } from '../format';
import { defineCommand, EXIT, type CliIO } from '../types';

const CLI_ACTOR: Actor = { label: 'cli', source: 'CLI' };
const PREVIEW_ROWS = 20;

export const syncCommand = defineCommand({
  name: 'sync',
  summary: 'Repair every desynced pair now (a MANUAL sync job by "cli")',
  usage: 'sync [--dry-run] [--reason TEXT]',
  details: [
    '--dry-run       show what a job would repair, write nothing',
    '--reason TEXT   recorded on the job and in the audit log',
    '',
    'Exit 0 when the job SUCCEEDED, 1 when it was PARTIAL or FAILED,',
    '2 when another sync job is already running (it names who started it and when).',
  ],
  options: { 'dry-run': { type: 'boolean', default: false }, reason: { type: 'string' } },
  schema: z.strictObject({
    'dry-run': z.boolean(),
    reason: reasonSchema,
    _: z.array(z.string()).max(0, 'takes no arguments'),
  }),
  async run(args, io, db) {
    if (args['dry-run']) return dryRun(io, db);

    // A job left RUNNING by a dead process holds the single slot until someone notices.
    for (const j of await abandonStaleJobs(db, env().JOB_HEARTBEAT_TIMEOUT_SECONDS * 1000)) {
      io.err(`Job #${j.id} (started by ${j.actor}) had no heartbeat: marked ABANDONED.`);
    }
    const progress = progressReporter(io);
    let job: SyncJobSummary;
    try {
      // SIGTERM or Ctrl-C stops the job between batches: it ends FAILED and frees the slot at once.
      job = await withShutdownSignal((signal) => {
        const onAbort = () => io.err(`Stopping after the current batch (${String(signal.reason)}).`);
        signal.addEventListener('abort', onAbort, { once: true });
        const heartbeatTimeoutMs = env().JOB_HEARTBEAT_TIMEOUT_SECONDS * 1000;
        return runSyncJob(db, {
          trigger: 'MANUAL',
          actor: CLI_ACTOR,
          reason: args.reason ?? null,
          onProgress: progress.update,
          signal,
          heartbeatTimeoutMs,
        });
      });
    } catch (err) {
      progress.stop();
      if (isSyncError(err, 'ALREADY_RUNNING')) {
        const r = err.details?.running;
        io.err(alreadyRunningMessage(r, r && `${stamp(r.startedAt)} (${ago(r.startedAt, io.now())})`));
        io.err('Wait for it to finish (see `syncwatch jobs`).');
        return EXIT.ALREADY_RUNNING;
      }
      if (isSyncError(err, 'VALIDATION')) {
        io.err(`syncwatch sync: ${err.message}`);
        return EXIT.USAGE;
      }
      throw err;
    }
    progress.stop();
    io.out(
      `Job #${job.id} ${job.status} in ${duration(job.durationMs)}: found ${int(job.found)}, synced ${int(job.synced)}, ` +
        `failed ${int(job.failed)}, reported ${int(job.reported)} (orphans are reported, never deleted).`,
    );
    if (job.error) io.out(job.error);
    return job.status === 'SUCCEEDED' ? EXIT.OK : EXIT.FAILURE;
  },
});

async function dryRun(io: CliIO, db: Db): Promise<number> {
  const preview = (await runSyncJob(db, { trigger: 'MANUAL', actor: CLI_ACTOR, dryRun: true, previewLimit: PREVIEW_ROWS })) as SyncPreview;
  const kinds = Object.entries(preview.byKind)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${int(n)}`)
    .join(', ');
  io.out(`Dry run: a sync job would handle ${int(preview.found)} pair(s)${kinds ? ` (${kinds})` : ''}. Nothing was written.`);
  if (preview.items.length) {
    const lvl = (n: number | null) => (n === null ? '-' : String(n));
    io.out(
      table(
        ['LEARNER', 'EMAIL', 'SPECIALIZATION', 'KIND', 'PROGRESS', 'LICENSE', 'AFTER'],
        preview.items.map((i) => [
          i.userId,
          i.email ?? '-',
          i.specializationId,
          i.kind,
          lvl(i.before.progressLevel),
          lvl(i.before.licenseLevel),
          i.after ? `${lvl(i.after.progressLevel)}/${lvl(i.after.licenseLevel)}` : 'reported only',
        ]),
        { alignRight: [0, 4, 5] },
      ),
    );
    if (preview.found > preview.items.length) io.out(`... and ${int(preview.found - preview.items.length)} more.`);
  }
  return EXIT.OK;
}

/** A progress bar on a terminal, a plain line per 10% otherwise (logs, CI). Both on stderr. */
function progressReporter(io: CliIO) {
  let bar: SingleBar | null = null;
  let lastTenth = -1;
  return {
    update(done: number, total: number) {
      if (io.interactive) {
        if (!bar) {
          bar = new SingleBar({
            format: 'Syncing [{bar}] {percentage}% | {value}/{total} pairs | {duration_formatted}',
            stream: process.stderr,
            hideCursor: true,
          });
          bar.start(total, done);
        } else bar.update(done);
        return;
      }
      const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        io.err(`Syncing: ${int(done)} of ${int(total)} pairs (${total === 0 ? 100 : Math.floor((done / total) * 100)}%)`);
      }
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
