import type { ParseArgsConfig } from 'node:util';
import type { z } from 'zod';
import type { Db } from '../../lib/db/prisma';

/**
 * One CLI command. Adding a command is one file under scripts/cli/commands/ plus one line in
 * scripts/cli/commands/index.ts: the dispatcher parses options with node:util parseArgs
 * (strict), validates them with the command's zod schema, resolves the database and calls run().
 */
export interface CliCommand<A = unknown> {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** e.g. "sync [--dry-run] [--reason TEXT]" */
  usage: string;
  /** Option descriptions, one per line, shown by `<command> --help`. */
  details: string[];
  options: NonNullable<ParseArgsConfig['options']>;
  /** Validates parseArgs' values (and positionals as `_`); its messages reach the user. */
  schema: z.ZodType<A>;
  /** Returns the exit code; `db` is the resolved database's client. */
  run(args: A, io: CliIO, db: Db): Promise<number>;
}

export interface CliIO {
  out(line?: string): void;
  err(line?: string): void;
  /** Whether stderr is a terminal (progress bars go there). */
  interactive: boolean;
  now(): Date;
}

/** Exit codes, documented in the README. */
export const EXIT = {
  OK: 0,
  /** unhealthy (check), a job that did not fully succeed (sync), or an error */
  FAILURE: 1,
  /** bad usage, or a sync job is already running */
  USAGE: 2,
  ALREADY_RUNNING: 2,
} as const;

/** Helper giving each command file a typed `run` from its schema. */
export function defineCommand<S extends z.ZodType>(c: Omit<CliCommand<z.output<S>>, 'schema'> & { schema: S }): CliCommand<z.output<S>> {
  return c as CliCommand<z.output<S>>;
}
