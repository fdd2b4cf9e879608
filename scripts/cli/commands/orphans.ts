import path from 'node:path';
import { z } from 'zod';
import { deleteOrphans, findOrphans, isSyncError, restoreOrphans } from '../../../lib/sync';
import { int, table } from '../format';
import { defineCommand, EXIT } from '../types';

const CLI_ACTOR = { label: 'cli', source: 'CLI' as const };

/**
 * Orphan recovery: progress and license rows whose learner or specialization is gone (possible
 * only where the foreign keys were bypassed). A dry run by default.
 */
export const orphansCommand = defineCommand({
  name: 'orphans',
  summary: 'Report orphan rows; delete them with a backup, or restore a backup',
  usage: 'orphans [--json] | orphans --delete --backup FILE [--reason TEXT] | orphans --restore FILE',
  details: [
    '(no option)    dry run: list orphan progress and license rows, and why each is one',
    '--json         print the report as JSON',
    '--delete       delete every orphan row, after writing --backup FILE (never overwritten)',
    '--backup FILE  where --delete writes every column of every row it deletes (JSON)',
    '--reason TEXT  recorded in the audit log with --delete',
    '--restore FILE put the rows of a backup back, identical (needs a PostgreSQL superuser)',
  ],
  options: {
    json: { type: 'boolean', default: false },
    delete: { type: 'boolean', default: false },
    backup: { type: 'string' },
    restore: { type: 'string' },
    reason: { type: 'string' },
  },
  schema: z
    .strictObject({
      json: z.boolean(),
      delete: z.boolean(),
      backup: z.string().min(1).max(4096).optional(),
      restore: z.string().min(1).max(4096).optional(),
      reason: z.string().max(500, '--reason must be at most 500 characters').optional(),
      _: z.array(z.string()).max(0, 'takes no arguments'),
    })
    .refine((a) => !(a.delete && a.restore), { message: '--delete and --restore cannot be combined' })
    .refine((a) => !a.delete || a.backup, { message: '--delete needs --backup FILE: the rows are written there first' })
    .refine((a) => a.delete || !a.backup, { message: '--backup goes with --delete' }),
  async run(args, io, db) {
    try {
      if (args.restore) {
        const result = await restoreOrphans(db, { backupPath: path.resolve(args.restore), actor: CLI_ACTOR });
        io.out(
          `Restored ${int(result.restored.progress)} progress and ${int(result.restored.licenses)} license row(s) from ${args.restore}.`,
        );
        if (result.skipped.progress + result.skipped.licenses) {
          io.out(`Skipped ${int(result.skipped.progress + result.skipped.licenses)} row(s) that already exist.`);
        }
        return EXIT.OK;
      }
      if (args.delete) {
        const result = await deleteOrphans(db, { backupPath: path.resolve(args.backup!), actor: CLI_ACTOR, reason: args.reason ?? null });
        if (!result.backupPath) {
          io.out('No orphan rows: nothing deleted, no backup written.');
          return EXIT.OK;
        }
        const { progress, licenses } = result.deleted;
        io.out(`Backed up to ${result.backupPath}, then deleted ${int(progress)} progress and ${int(licenses)} license row(s).`);
        io.out(`Undo with: syncwatch orphans --restore ${args.backup}`);
        return EXIT.OK;
      }
      const found = await findOrphans(db);
      if (args.json) {
        io.out(JSON.stringify(found, null, 2));
        return EXIT.OK;
      }
      const rows = [
        ...found.progress.map((r) => ['progress', r.user_id, r.specialization_id, r.current_level, r.reason]),
        ...found.licenses.map((r) => ['license', r.user_id, r.specialization_id, r.current_level, r.reason]),
      ];
      if (!rows.length) {
        io.out('No orphan rows.');
        return EXIT.OK;
      }
      io.out(table(['ROW', 'LEARNER', 'SPECIALIZATION', 'LEVEL', 'WHY'], rows, { alignRight: [1, 3] }));
      io.out(
        `${int(found.progress.length)} orphan progress and ${int(found.licenses.length)} orphan license row(s). Dry run: nothing changed.`,
      );
      io.out('Delete them with: syncwatch orphans --delete --backup orphans-backup.json');
      return EXIT.OK;
    } catch (err) {
      if (isSyncError(err)) {
        io.err(`syncwatch orphans: ${err.message}`);
        return err.code === 'VALIDATION' ? EXIT.USAGE : EXIT.FAILURE;
      }
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EEXIST') {
        io.err(
          `syncwatch orphans: ${args.backup} already exists; choose another --backup file ` +
            '(backups are never overwritten). Nothing was deleted.',
        );
        return EXIT.USAGE;
      }
      if (e.code === 'ENOENT' || e.code === 'EACCES') {
        io.err(`syncwatch orphans: cannot write ${args.backup} (${e.code}). Nothing was deleted.`);
        return EXIT.USAGE;
      }
      throw err;
    }
  },
});
