import type { CliCommand } from '../types';
import { alertsCommand } from './alerts';
import { apiKeysCommand } from './api-keys';
import { checkCommand } from './check';
import { jobsCommand } from './jobs';
import { orphansCommand } from './orphans';
import { syncCommand } from './sync';
import { usersCommand } from './users';

/** Every CLI command, in the order `syncwatch --help` lists them. Add new ones here. */
// Each command's run() takes its own argument type; the dispatcher only hands it what its schema parsed.
export const COMMANDS = [
  checkCommand,
  syncCommand,
  jobsCommand,
  orphansCommand,
  apiKeysCommand,
  alertsCommand,
  usersCommand,
] as CliCommand<unknown>[];
