import { Writable } from 'node:stream';
import { createInterface } from 'node:readline/promises';
import { z } from 'zod';
import {
  addStaff,
  disableStaff,
  enableStaff,
  generatePassword,
  listStaff,
  resetStaffPassword,
  setStaffRole,
  staffNameSchema,
  staffRoleSchema,
} from '../../../lib/auth/staff';
import { emailSchema } from '../../../lib/sync/validation';
import { STAFF_ROLES } from '../../../lib/vocabulary';
import { printList, stamp } from '../format';
import { defineCommand, EXIT, type CliIO } from '../types';
import { CLI_ACTOR } from './sync';

const SUBCOMMANDS = ['add', 'list', 'role', 'disable', 'enable', 'reset-password'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];
const ARITY: Record<Subcommand, number> = { add: 0, list: 0, role: 2, disable: 1, enable: 1, 'reset-password': 1 };
const TAKES_PASSWORD: readonly Subcommand[] = ['add', 'reset-password'];

const roleArg = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(staffRoleSchema);

/** The first line of stdin, its line ending stripped. */
async function readStdinLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += chunk;
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

/** Asks on the terminal without echoing what is typed. */
async function promptHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, encoding, done) {
      if (!muted) process.stderr.write(chunk, encoding);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = rl.question(question);
    muted = true;
    return await answer;
  } finally {
    muted = false;
    process.stderr.write('\n');
    rl.close();
  }
}

type PasswordSource = { password: string; generated: boolean } | { error: string };

async function obtainPassword(args: { 'password-stdin': boolean; generate: boolean }): Promise<PasswordSource> {
  if (args.generate) return { password: generatePassword(), generated: true };
  if (args['password-stdin']) return { password: await readStdinLine(), generated: false };
  if (!process.stdin.isTTY) {
    return { error: 'no password given: pipe it with --password-stdin, use --generate, or run on a terminal to be asked' };
  }
  const password = await promptHidden('Password: ');
  if ((await promptHidden('Password again: ')) !== password) return { error: 'the two passwords differ; nothing was changed' };
  return { password, generated: false };
}

function printGenerated(io: CliIO, password: string) {
  io.err('The one-time password is below: it is shown this once. Hand it over safely; the account should change it.');
  io.out(password);
}

/**
 * Staff accounts (issue 16). A password never comes from argv (it would sit in the shell history
 * and the process list): it is read from stdin (--password-stdin), asked for on a terminal
 * without echo, or generated (--generate) and printed once, alone on stdout.
 */
export const usersCommand = defineCommand({
  name: 'users',
  summary: 'Staff accounts: add, list, change role, disable, re-enable, reset a password',
  usage:
    'users add --email EMAIL --name NAME --role ADMIN|VIEWER [--password-stdin | --generate] | list [--json] | role EMAIL ROLE | ' +
    'disable|enable EMAIL | reset-password EMAIL [--password-stdin | --generate]',
  details: [
    'add                  add a staff account (the first admin of a production database is made this way)',
    '  --email EMAIL      its email, used to sign in',
    '  --name NAME        its display name',
    `  --role ROLE        ${STAFF_ROLES.join(' or ')}`,
    'list [--json]        every staff account: email, name, role, status (never a password hash)',
    "role EMAIL ROLE      change the role; it applies on the account's next request",
    'disable EMAIL        the account can no longer sign in; its open sessions are refused',
    'enable EMAIL         re-enable a disabled account',
    'reset-password EMAIL set a new password',
    '  --password-stdin   read the password from the first line of stdin (add, reset-password)',
    '  --generate         generate a one-time password and print it once on stdout',
    '                     with neither, the password is asked for on the terminal, without echo',
    'The last enabled ADMIN cannot be demoted or disabled. Passwords: at least 12 characters, not a common one.',
  ],
  options: {
    email: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    'password-stdin': { type: 'boolean', default: false },
    generate: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
  schema: z
    .strictObject({
      email: emailSchema.optional(),
      name: staffNameSchema.optional(),
      role: roleArg.optional(),
      'password-stdin': z.boolean(),
      generate: z.boolean(),
      json: z.boolean(),
      _: z.array(z.string()).min(1, `needs a subcommand: ${SUBCOMMANDS.join(', ')}`),
    })
    .superRefine((a, ctx) => {
      const [sub, ...rest] = a._;
      const issue = (message: string) => ctx.addIssue({ code: 'custom', message, path: [] });
      if (!SUBCOMMANDS.includes(sub as Subcommand)) {
        return issue(`users: unknown subcommand "${sub}"; use one of ${SUBCOMMANDS.join(', ')}`);
      }
      const s = sub as Subcommand;
      if (rest.length !== ARITY[s]) issue(`${s} takes ${ARITY[s] === 2 ? 'EMAIL ROLE' : ARITY[s] ? 'EMAIL' : 'no argument'}`);
      if (s === 'add') {
        if (!a.email) issue('--email EMAIL is required to add an account');
        if (!a.name) issue('--name NAME is required to add an account');
        if (!a.role) issue(`--role is required to add an account (${STAFF_ROLES.join(' or ')})`);
      } else if (a.email || a.name || a.role) {
        issue('--email, --name and --role go with add');
      }
      if (ARITY[s] >= 1 && rest[0] !== undefined && !emailSchema.safeParse(rest[0]).success) issue(`${s}: "${rest[0]}" is not an email`);
      if (s === 'role' && rest[1] !== undefined && !roleArg.safeParse(rest[1]).success) {
        issue(`role: ROLE must be one of ${STAFF_ROLES.join(', ')}`);
      }
      if (!TAKES_PASSWORD.includes(s) && (a['password-stdin'] || a.generate))
        issue('--password-stdin and --generate go with add and reset-password');
      if (a['password-stdin'] && a.generate) issue('give --password-stdin or --generate, not both');
      if (a.json && s !== 'list') issue('--json goes with list');
    }),
  async run(args, io, db) {
    const sub = args._[0] as Subcommand;
    const email = args._[1] ? emailSchema.parse(args._[1]) : undefined;
    if (TAKES_PASSWORD.includes(sub)) {
      const source = await obtainPassword(args);
      if ('error' in source) {
        io.err(`syncwatch users: ${source.error}`);
        return EXIT.USAGE;
      }
      if (sub === 'add') {
        const staff = await addStaff(db, { email: args.email!, name: args.name!, role: args.role!, password: source.password }, CLI_ACTOR);
        io.err(`Added ${staff.role} ${staff.email} (${staff.name}).`);
      } else {
        const staff = await resetStaffPassword(db, email!, source.password, CLI_ACTOR);
        io.err(`Set a new password for ${staff.email}.`);
      }
      if (source.generated) printGenerated(io, source.password);
      return EXIT.OK;
    }
    if (sub === 'role') {
      const before = (await listStaff(db)).find((s) => s.email === email);
      const staff = await setStaffRole(db, email!, roleArg.parse(args._[2]), CLI_ACTOR);
      io.out(
        before?.role === staff.role
          ? `${staff.email} is already ${staff.role}; nothing changed.`
          : `${staff.email} is now ${staff.role}; it applies on their next request.`,
      );
      return EXIT.OK;
    }
    if (sub === 'disable') {
      const staff = await disableStaff(db, email!, CLI_ACTOR);
      io.out(`Disabled ${staff.email} at ${stamp(staff.disabledAt)}: they cannot sign in, and their open sessions are refused.`);
      return EXIT.OK;
    }
    if (sub === 'enable') {
      const staff = await enableStaff(db, email!, CLI_ACTOR);
      io.out(`Re-enabled ${staff.email} (${staff.role}); they can sign in with their password again.`);
      return EXIT.OK;
    }
    const staff = await listStaff(db);
    printList(io.out, staff, {
      json: args.json,
      empty: 'No staff accounts yet. Add the first admin with: syncwatch users add --email EMAIL --name NAME --role ADMIN',
      headers: ['EMAIL', 'NAME', 'ROLE', 'STATUS', 'CREATED', 'DISABLED'],
      row: (s) => [s.email, s.name, s.role, s.disabled ? 'disabled' : 'enabled', stamp(s.createdAt), stamp(s.disabledAt)],
    });
    return EXIT.OK;
  },
});
