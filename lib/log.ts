import pino, { type DestinationStream, type Logger } from 'pino';
import { logLevelSchema } from './env';

/**
 * The app's one logger: pino, one JSON object per line on stdout, for the server, the scheduler,
 * the alerts and the jobs. `LOG_LEVEL` sets the level (info by default). `npm start` and
 * `npm run serve` pretty-print the lines when a terminal runs them (scripts/lib/next-process.ts);
 * an orchestrator reads JSON.
 *
 * Nothing secret reaches a line, by two nets:
 * - fields named like a secret (password, token, secret, cookie, authorization, ...) are
 *   replaced by "[redacted]" wherever they sit in the object, up to three levels deep;
 * - every line is scrubbed of the configured secrets' values (NEXTAUTH_SECRET, MONITOR_TOKEN,
 *   the passwords in DATABASE_URL and SMTP_URL, the seed passwords) and of what looks like a
 *   credential wherever it sits in a message: a bearer token, an API key, a session cookie, a
 *   JWT, an argon2 hash, a URL's password.
 */

const REDACTED = '[redacted]';

const SECRET_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'passwordHash',
  'password_hash',
  'token',
  'tokenHash',
  'secret',
  'cookie',
  'cookies',
  'authorization',
  'apiKey',
  'set-cookie',
];

/** The redact paths: each secret key at the top and up to three levels down (pino's redact has no deep wildcard). */
function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    const join = (prefix: string) => (k.startsWith('[') ? `${prefix}${k}` : `${prefix}.${k}`);
    paths.push(k, join('*'), join('*.*'), join('*.*.*'));
  }
  return paths;
}

/** What looks like a credential in free text (messages, error texts, stacks). */
const CREDENTIAL_PATTERNS: [RegExp, string][] = [
  [/(Bearer\s+)[^\s"',;]+/gi, `$1${REDACTED}`],
  // API keys (TOKEN_PREFIX in lib/api/keys.ts), whole or their shown prefix.
  [/\bswk_[A-Za-z0-9_-]{4,}/g, REDACTED],
  // next-auth's cookies, chunked or not, secure or not.
  [/((?:__Secure-|__Host-)?next-auth\.[\w.-]+=)[^;\s"']+/g, `$1${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*/g, REDACTED],
  [/\$argon2(?:id|i|d)\$[^\s"']+/g, REDACTED],
  // The password of a URL with credentials: scheme://user:PASSWORD@host.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*:)[^\s@/"']+@/gi, `$1${REDACTED}@`],
];

/** Configured values shorter than this are not scrubbed by value (see secretValues). */
const MIN_SCRUBBED_LENGTH = 12;

function secretValues(source: Record<string, string | undefined>): string[] {
  const values = [source.NEXTAUTH_SECRET, source.MONITOR_TOKEN, source.SEED_ADMIN_PASSWORD, source.SEED_VIEWER_PASSWORD];
  for (const url of [source.DATABASE_URL, source.SMTP_URL]) {
    try {
      if (url) values.push(decodeURIComponent(new URL(url).password));
    } catch {
      // not a URL: lib/env.ts refuses it at start
    }
  }
  // Shorter values would scrub ordinary words (a dev database's password "syncwatch" is in every
  // email of the demo): they are left to the patterns. The app's own secrets have 16+ characters.
  return [...new Set(values.filter((v): v is string => !!v && v.length >= MIN_SCRUBBED_LENGTH))].sort((a, b) => b.length - a.length);
}

/** Removes the configured secrets and anything credential-shaped from one serialized line. */
export function scrubber(source: Record<string, string | undefined> = process.env): (line: string) => string {
  const values = secretValues(source);
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const jsonEscape = (s: string) => JSON.stringify(s).slice(1, -1);
  const known = values.length ? new RegExp(values.flatMap((v) => [escape(v), escape(jsonEscape(v))]).join('|'), 'g') : null;
  return (line) => {
    let out = known ? line.replace(known, REDACTED) : line;
    for (const [pattern, replacement] of CREDENTIAL_PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };
}

export interface LoggerOptions {
  level?: string;
  /**
   * Where lines go; process.stdout by default (synchronous for files and pipes on Linux, so a line
   * written just before an exit is kept; tests read it by spying on process.stdout.write).
   */
  destination?: DestinationStream;
  /** The configuration whose secrets are scrubbed; process.env by default. */
  source?: Record<string, string | undefined>;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const source = opts.source ?? process.env;
  const level = logLevelSchema.safeParse(opts.level ?? source.LOG_LEVEL);
  const scrub = scrubber(source);
  return pino(
    {
      level: level.success ? level.data : 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(), censor: REDACTED },
      serializers: { err: pino.stdSerializers.errWithCause },
      hooks: { streamWrite: scrub },
    },
    opts.destination ?? process.stdout,
  );
}

// One logger per process, on globalThis: Next.js may evaluate a module more than once.
const holder = globalThis as unknown as { syncwatchLog?: Logger; syncwatchLogTarget?: NodeJS.WritableStream };

/** The process's logger; `log.child({ component: 'scheduler' })` for a part of the app. */
export const log: Logger =
  holder.syncwatchLog ?? (holder.syncwatchLog = createLogger({ destination: { write: (line: string) => logTarget().write(line) } }));

function logTarget(): NodeJS.WritableStream {
  return holder.syncwatchLogTarget ?? process.stdout;
}

/** For a program whose stdout is its output (the CLI): the process's log lines go to stderr instead. */
export function logToStderr() {
  holder.syncwatchLogTarget = process.stderr;
}
