/**
 * `prisma generate`, offline. Prisma's CLI insists a native schema engine binary exists before
 * any command, but `generate` never runs it; pointing PRISMA_SCHEMA_ENGINE_BINARY at any
 * executable (node itself) skips the download. See docs/decisions/002-offline-migrations.md.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const cli = require.resolve('prisma/build/index.js');
const result = spawnSync(process.execPath, [cli, 'generate'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
process.exit(result.status ?? 1);
