import { z } from 'zod';
import { apiKeyNameSchema, createApiKey, listApiKeys, revokeApiKey } from '../../../lib/api/keys';
import { isSyncError } from '../../../lib/sync';
import { API_SCOPES } from '../../../lib/vocabulary';
import { printList, stamp } from '../format';
import { defineCommand, EXIT } from '../types';

const CLI_ACTOR = { label: 'cli', source: 'CLI' as const };

const SUBCOMMANDS = ['create', 'list', 'revoke'] as const;

/**
 * API keys of the write API (/api/v1). `create` prints the token once, alone on stdout (so a
 * script can capture it), with a warning on stderr; it is never shown again.
 */
export const apiKeysCommand = defineCommand({
  name: 'api-keys',
  summary: 'Create, list or revoke API keys of the write API (/api/v1)',
  usage: 'api-keys create --name NAME --scope SCOPE... | api-keys list [--json] | api-keys revoke NAME',
  details: [
    'create         make a key; its token is printed once, on stdout',
    "  --name NAME  the key's name (letters, digits, . _ -), shown in the audit log as the actor",
    `  --scope S    what it may do, repeatable: ${API_SCOPES.join(', ')}`,
    'list           every key: name, prefix, scopes, created, last used, revoked',
    '  --json       print them as JSON',
    'revoke NAME    revoke a key at once, on every instance',
  ],
  options: {
    name: { type: 'string' },
    scope: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
  },
  schema: z
    .strictObject({
      name: apiKeyNameSchema.optional(),
      scope: z.array(z.enum(API_SCOPES, { error: `--scope must be one of ${API_SCOPES.join(', ')}` })).optional(),
      json: z.boolean(),
      _: z
        .array(z.string())
        .min(1, `needs a subcommand: ${SUBCOMMANDS.join(', ')}`)
        .max(2, 'takes at most one argument after the subcommand'),
    })
    .superRefine((a, ctx) => {
      const [sub, arg] = a._;
      const issue = (message: string) => ctx.addIssue({ code: 'custom', message, path: [] });
      if (!SUBCOMMANDS.includes(sub as (typeof SUBCOMMANDS)[number])) {
        return issue(`api-keys: unknown subcommand "${sub}"; use one of ${SUBCOMMANDS.join(', ')}`);
      }
      if (sub === 'create') {
        if (!a.name) issue('--name NAME is required to create a key');
        if (!a.scope?.length) issue(`--scope is required at least once (${API_SCOPES.join(', ')})`);
        if (arg !== undefined) issue('create takes no argument; give the name with --name');
      } else if (a.name || a.scope) {
        issue(`--name and --scope go with create`);
      }
      if (sub === 'revoke' && !apiKeyNameSchema.safeParse(arg).success) issue('revoke needs the NAME of a key');
      if (sub === 'list' && arg !== undefined) issue('list takes no argument');
      if (a.json && sub !== 'list') issue('--json goes with list');
    }),
  async run(args, io, db) {
    const [sub, arg] = args._;
    try {
      if (sub === 'create') {
        const { key, token } = await createApiKey(db, { name: args.name!, scopes: args.scope! }, CLI_ACTOR);
        io.err(`Created API key ${key.name} (${key.prefix}…, scopes ${key.scopes.join(', ')}).`);
        io.err('Store the token below now: it is shown this once and cannot be recovered (revoke and create another if lost).');
        io.out(token);
        return EXIT.OK;
      }
      if (sub === 'revoke') {
        const key = await revokeApiKey(db, arg!, CLI_ACTOR);
        io.out(`Revoked API key ${key.name} (${key.prefix}…) at ${stamp(key.revokedAt)}; requests with it are refused from now on.`);
        return EXIT.OK;
      }
      const keys = await listApiKeys(db);
      printList(io.out, keys, {
        json: args.json,
        empty: 'No API keys yet. Create one with: syncwatch api-keys create --name NAME --scope SCOPE',
        headers: ['NAME', 'PREFIX', 'SCOPES', 'CREATED', 'LAST USED', 'REVOKED'],
        row: (k) => [k.name, k.prefix, k.scopes.join(','), stamp(k.createdAt), stamp(k.lastUsedAt), stamp(k.revokedAt)],
      });
      return EXIT.OK;
    } catch (err) {
      if (isSyncError(err)) {
        io.err(`syncwatch api-keys: ${err.message}`);
        return err.code === 'VALIDATION' ? EXIT.USAGE : EXIT.FAILURE;
      }
      throw err;
    }
  },
});
