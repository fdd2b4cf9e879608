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
  describeScope,
  jobScopeSchema,
  type Actor,
  type JobScope,
  type SyncJobSummary,
} from '../../../lib/sync';
import { desyncKindSchema, learnerIdSchema, reasonSchema, specializationSchema } from '../../../lib/sync/validation';
import { ago, duration, int, stamp, table } from '../format';
import { defineCommand, EXIT, type CliIO } from '../types';

export const CLI_ACTOR: Actor = { label: 'cli', source: 'CLI' };
const PREVIEW_ROWS = 20;

export const syncCommand = defineCommand({
  name: 'sync',
  summary: 'Repair the desynced pairs now, all or a scope (a MANUAL sync job by "cli")',
  usage: 'sync [--dry-run] [--reason TEXT] [--kind KIND] [--specialization SPEC] [--learner ID] [--search TEXT] [--caused-by WRITER]',
  details: [
    '--dry-run            show what a job would repair, write nothing',
    '--reason TEXT        recorded on the job and in the audit log',
    '--kind KIND          only desyncs of this kind (LEVEL_MISMATCH, MISSING_LICENSE, ...)',
    '--specialization S   only this specialization (PLAYER, COACH, INTERNSHIP)',
    '--learner ID         only this learner',
    '--search TEXT        only learners whose email or name contains TEXT (as the /desyncs search)',
    '--caused-by WRITER   only desyncs this writer caused (as the /desyncs "Caused by" filter)',
    'The filters combine; the job stores its scope and repairs exactly the desyncs /desyncs shows for them.',
    '',
    'Exit 0 when the job SUCCEEDED, 1 when it was PARTIAL or FAILED,',
    '2 when another sync job is already running (it names who started it and when).',
  ],
  options: {
    'dry-run': { type: 'boolean', default: false },
    reason: { type: 'string' },
    kind: { type: 'string' },
    specialization: { type: 'string' },
    learner: { type: 'string' },
    search: { type: 'string' },
    'caused-by': { type: 'string' },
  },
  schema: z
    .strictObject({
      'dry-run': z.boolean(),
      reason: reasonSchema,
      kind: desyncKindSchema.optional(),
      specialization: specializationSchema.optional(),
      learner: z.coerce.number({ error: 'must be a learner id' }).pipe(learnerIdSchema).optional(),
      search: z.string().optional(),
      'caused-by': z.string().optional(),
      _: z.array(z.string()).max(0, 'takes no arguments'),
    })
    .transform(({ kind, specialization, learner, search, 'caused-by': causedBy, ...rest }, ctx) => {
      const scope = jobScopeSchema.safeParse({ kind, specialization, learner, search, causedBy });
      if (!scope.success) {
        const issue = scope.error.issues[0]!;
        const flag = issue.path[0] === 'causedBy' ? 'caused-by' : String(issue.path[0]);
        ctx.addIssue({ code: 'custom', message: `--${flag} ${issue.message}` });
        return z.NEVER;
      }
      return { ...rest, scope: scope.data };
    }),
  async run(args, io, db) {
    if (args['dry-run']) return dryRun(io, db, args.scope);
    if (args.scope) io.err(`Scope: ${describeScope(args.scope)}.`);

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
          scope: args.scope,
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

async function dryRun(io: CliIO, db: Db, scope: JobScope | null): Promise<number> {
  const preview = await runSyncJob(db, { trigger: 'MANUAL', actor: CLI_ACTOR, dryRun: true, previewLimit: PREVIEW_ROWS, scope });
  if (scope) io.out(`Scope: ${describeScope(scope)}.`);
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
export function progressReporter(io: CliIO, verb = 'Syncing') {
  let bar: SingleBar | null = null;
  let lastTenth = -1;
  return {
    update(done: number, total: number) {
      if (io.interactive) {
        if (!bar) {
          bar = new SingleBar({
            format: `${verb} [{bar}] {percentage}% | {value}/{total} pairs | {duration_formatted}`,
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
        io.err(`${verb}: ${int(done)} of ${int(total)} pairs (${total === 0 ? 100 : Math.floor((done / total) * 100)}%)`);
      }
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}
