import 'server-only';
import type { z } from 'zod';
import { requireRole, staffActor, type Staff, type StaffRole } from '@/lib/auth/session';
import type { Db } from '@/lib/db/prisma';
import { getDb } from '@/lib/db/server';
import { currentRequestId, logAction } from '@/lib/http/request-log';
import { log } from '@/lib/log';
import { alreadyRunningMessage, isSyncError } from '@/lib/sync/errors';
import type { Actor } from '@/lib/sync/types';
import type { AttemptedAction } from '@/lib/vocabulary';
import type { ActionFailure, ActionResult } from './types';

/**
 * The one shape of a server action: authorize (requireRole re-reads the role and audits a
 * refusal), validate with the engine's own zod schema, call the engine, return a typed result.
 * Server actions are reachable by a direct POST, so nothing here trusts the caller.
 */

export interface ActionContext {
  staff: Staff;
  actor: Actor;
  db: Db;
}

export interface ActionDefinition<S extends z.ZodType> {
  /** The least role allowed. */
  role: StaffRole;
  /** What a refusal records as attempted in the audit log. */
  attempted: AttemptedAction;
  /** Validates the action's single argument; its messages reach the user. */
  input: S;
  /** Completes "Could not ..." when something unexpected fails, e.g. "run the health check". */
  failure: string;
}

export function defineAction<S extends z.ZodType, T extends object>(
  def: ActionDefinition<S>,
  run: (input: z.output<S>, ctx: ActionContext) => Promise<T>,
): (input?: unknown) => Promise<ActionResult<T>> {
  return async (input) => {
    const started = performance.now();
    let actor: Actor | undefined;
    const result = await (async (): Promise<ActionResult<T>> => {
      try {
        const staff = await requireRole(def.role, { action: def.attempted });
        actor = staffActor(staff);
        const parsed = def.input.safeParse(input);
        if (!parsed.success) return invalidInput(parsed.error);
        const value = await run(parsed.data, { staff, actor, db: getDb() });
        return { ok: true, ...value };
      } catch (err) {
        return toActionFailure(err, def.failure);
      }
    })();
    const reqId = await currentRequestId();
    const ms = Math.round(performance.now() - started);
    logAction({ reqId, action: def.attempted, actor: actor?.label, ok: result.ok, code: result.ok ? undefined : result.error.code, ms });
    return result;
  };
}

/**
 * Maps anything an action caught to a readable failure. Engine errors carry sentences written
 * for people; anything else is logged here and replaced by a generic sentence, so no exception
 * text, SQL or stack trace reaches the browser.
 */
export function toActionFailure(err: unknown, attempted: string): ActionFailure {
  if (isSyncError(err)) {
    const r = err.details?.running;
    if (err.code === 'ALREADY_RUNNING' && r) {
      const running = { jobId: r.jobId, actor: r.actor, startedAt: r.startedAt.toISOString() };
      return { ok: false, error: { code: err.code, message: alreadyRunningMessage(r, running.startedAt), running } };
    }
    return { ok: false, error: { code: err.code, message: err.message } };
  }
  log.error({ err, attempted }, 'action failed');
  return {
    ok: false,
    error: { code: 'INTERNAL', message: `Could not ${attempted}. Try again in a moment; if it keeps failing, check the server logs.` },
  };
}

function invalidInput(error: z.ZodError): ActionFailure {
  const first = error.issues[0];
  const where = first?.path.length ? `${first.path.join('.')}: ` : '';
  return { ok: false, error: { code: 'VALIDATION', message: `Invalid input. ${where}${first?.message ?? ''}`.trim() } };
}
