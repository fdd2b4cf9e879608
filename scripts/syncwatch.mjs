#!/usr/bin/env node
// The `syncwatch` bin: runs scripts/cli.ts with tsx (plain, as `npm run syncwatch` does; the CLI
// builds its own database client and never loads the app's server-only modules), from the project
// root so that tsconfig paths and a relative EMBEDDED_PG_DIR resolve as they do for `npm start`.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
// tsx's loader in one node process (rather than the tsx CLI, which adds a second process).
const tsxLoader = pathToFileURL(require.resolve('tsx')).href;

const child = spawn(process.execPath, ['--import', tsxLoader, path.join(root, 'scripts', 'cli.ts'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, TSX_TSCONFIG_PATH: path.join(root, 'tsconfig.json') },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  // Killed by a signal: exit as a shell would report it (128 + signal number).
  process.exit(signal ? 128 + (os.constants.signals[signal] ?? 0) : (code ?? 1));
});
