import { spawn } from 'node:child_process';
import path from 'node:path';
import { testDatabaseUrl } from './db';

/** The real CLI (the `syncwatch` bin, scripts/syncwatch.mjs), spawned against this test file's database. */

const root = path.resolve(import.meta.dirname, '../..');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A runner with extra environment variables (e.g. ALERTS_ALLOW_PRIVATE_NETWORK for a local
 * receiver) and, with `stdin`, text written to the CLI's standard input (then closed); without
 * it, stdin is empty and closed at once.
 */
export function cliWith(env: Record<string, string> = {}, opts: { stdin?: string } = {}) {
  return (...args: string[]): Promise<CliRun> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(root, 'scripts/syncwatch.mjs'), ...args], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: testDatabaseUrl, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      child.stdin.on('error', () => {}); // a CLI that exits without reading its input
      child.stdin.end(opts.stdin ?? '');
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
}

export const syncwatch = cliWith();

/** The CLI with `input` on its standard input (e.g. a password for --password-stdin). */
export const syncwatchWithInput = (input: string, ...args: string[]) => cliWith({}, { stdin: input })(...args);
