import 'server-only';
import { z } from 'zod';
import { isSyncError } from '@/lib/sync/errors';
import { plainObject } from '@/lib/sync/validation';
import type { ActionFailure } from './types';

/**
 * Maps anything a server action caught to a readable failure. Engine errors carry sentences
 * written for people; anything else is logged here and replaced by a generic sentence, so no
 * exception text, SQL or stack trace reaches the browser.
 */
export function toActionFailure(err: unknown, attempted: string): ActionFailure {
  if (isSyncError(err)) {
    if (err.code === 'ALREADY_RUNNING' && err.details?.running) {
      const r = err.details.running;
      return {
        ok: false,
        error: {
          code: err.code,
          message: `A sync job is already running: started by ${r.actor} at ${r.startedAt.toISOString()}.`,
          running: { jobId: r.jobId, actor: r.actor, startedAt: r.startedAt.toISOString() },
        },
      };
    }
    return { ok: false, error: { code: err.code, message: err.message } };
  }
  console.error(`[action] could not ${attempted}`, err);
  return {
    ok: false,
    error: { code: 'INTERNAL', message: `Could not ${attempted}. Try again in a moment; if it keeps failing, check the server logs.` },
  };
}

export function invalidInput(error: z.ZodError): ActionFailure {
  const first = error.issues[0];
  const where = first?.path.length ? `${first.path.join('.')}: ` : '';
  return { ok: false, error: { code: 'VALIDATION', message: `Invalid input. ${where}${first?.message ?? ''}`.trim() } };
}

/** For actions that take no input: nothing, or an empty object; anything else is refused. */
export const noInput = z.union([z.undefined(), z.null(), plainObject(z.strictObject({}))], { error: 'This action takes no input.' });
