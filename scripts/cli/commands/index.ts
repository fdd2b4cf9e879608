import type { CliCommand } from '../types';
import { checkCommand } from './check';
import { jobsCommand } from './jobs';
import { orphansCommand } from './orphans';
import { syncCommand } from './sync';

/** Every CLI command, in the order `syncwatch --help` lists them. Add new ones here. */
export const COMMANDS: CliCommand<any>[] = [checkCommand, syncCommand, jobsCommand, orphansCommand];
