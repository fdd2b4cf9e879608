import { Cron } from 'croner';
import { z } from 'zod';

/**
 * Configuration, validated once. Every variable is documented in README.md#configuration.
 * A missing or malformed value stops the process with a message naming the variable.
 */

const DEMO_SECRET = 'syncwatch-demo-secret-change-me';
const DEMO_MONITOR_TOKEN = 'syncwatch-demo-monitor-token';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** LOG_LEVEL's values (lib/log.ts). */
export const logLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const port = z.coerce.number().int().min(1).max(65535);

function isValidCron(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true, timezone: 'UTC' });
    return true;
  } catch {
    return false;
  }
}

const cron = z.string().min(1).refine(isValidCron, 'must be a cron expression of 5 or 6 fields, e.g. "0 */6 * * *"');

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const variables = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .optional(),
  EMBEDDED_PG_PORT: port.default(5433),
  EMBEDDED_PG_DIR: z.string().min(1).default('.data/postgres'),
  PORT: port.default(3000),
  NEXTAUTH_SECRET: z.string().min(16, 'must be at least 16 characters').default(DEMO_SECRET),
  NEXTAUTH_URL: z.url().optional(),
  SEED_ADMIN_EMAIL: z.email().default('admin@syncwatch.local'),
  SEED_ADMIN_PASSWORD: z.string().min(8).default('admin-demo-password'),
  SEED_VIEWER_EMAIL: z.email().default('viewer@syncwatch.local'),
  SEED_VIEWER_PASSWORD: z.string().min(8).default('viewer-demo-password'),
  SEED_LEARNERS: z.coerce.number().int().min(0).max(1_000_000).default(2400),
  /** Percentage, e.g. 99.9. */
  CONSISTENCY_TARGET: z.coerce.number().min(0).max(100).default(99.9),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  SCHEDULER_ENABLED: bool.default(true),
  HEALTH_CHECK_CRON: cron.default('* * * * *'),
  SYNC_CRON: cron.default('0 */6 * * *'),
  /** The full audit: the pass over every pair that checks the set the triggers maintain. */
  AUDIT_CRON: cron.default('0 * * * *'),
  /** What a write by anyone but SyncWatch that leaves a pair out of sync gets (docs/decisions/014). */
  FOREIGN_WRITES: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(['OBSERVE', 'HEAL', 'ENFORCE'], { error: 'must be observe, heal or enforce' }))
    .default('OBSERVE'),
  /** IANA time zone the cron expressions are read in; every instance must use the same. */
  SCHEDULE_TIMEZONE: z.string().refine(isValidTimeZone, 'must be an IANA time zone, e.g. "UTC" or "Europe/Paris"').default('UTC'),
  /** A sync job is overdue when none finished within the sync interval plus this grace. */
  SYNC_OVERDUE_GRACE_MINUTES: z.coerce.number().int().min(0).max(10_080).default(60),
  /** A missed occurrence still runs (once) when an instance comes back within this grace. */
  SCHEDULE_CATCH_UP_GRACE_MINUTES: z.coerce.number().int().min(0).max(10_080).default(30),
  /**
   * A RUNNING job with no heartbeat for this long is marked ABANDONED. A job beats four times per
   * timeout (lib/sync/job-rows.ts#heartbeatIntervalMs), at least 2.5 s apart, so that a beat
   * delayed by a busy database or a GC pause never looks like a dead process.
   */
  JOB_HEARTBEAT_TIMEOUT_SECONDS: z.coerce
    .number()
    .int()
    .min(10, 'must be at least 10: a job beats 4 times per timeout, and beats closer than 2.5 s apart are refused')
    .max(86_400)
    .default(120),
  RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** Bearer token for /api/health/integrity and /api/metrics (monitoring systems). */
  MONITOR_TOKEN: z.string().min(16, 'must be at least 16 characters').default(DEMO_MONITOR_TOKEN),
  /** Failed sign-ins allowed per account, and per client address, within LOGIN_WINDOW_SECONDS. */
  LOGIN_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(5),
  LOGIN_MAX_ATTEMPTS_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(20),
  LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** Requests per API key per minute on /api/v1, shared by every instance (lib/api/rate-limit.ts). */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(6000),
  /** The dashboard's default "Refresh every", in seconds: its polling while live updates are down. */
  DASHBOARD_POLL_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  /** Email alerts: an SMTP server, e.g. smtp://user:pass@mail.example:587 or smtps://... (unset: email channels fail). */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL')
    .optional(),
  /** The sender of alert emails. */
  SMTP_FROM: z.string().min(3).default('SyncWatch <syncwatch@localhost>'),
  /** Reminders while an incident stays open and unacknowledged, every this many hours. */
  ALERT_REMIND_HOURS: z.coerce.number().min(0.01).max(720).default(4),
  /** A failing delivery is retried with backoff for this long, then marked failed. */
  ALERT_RETRY_MINUTES: z.coerce.number().min(0.05).max(10_080).default(60),
  /** Webhooks to loopback or private-network addresses (a relay on the same host); link-local is always refused. */
  ALERTS_ALLOW_PRIVATE_NETWORK: bool.default(false),
  /** "More than N new desyncs caused by one writer within M minutes" opens an incident; 0 turns it off. */
  ALERT_WRITER_BURST_COUNT: z.coerce.number().int().min(0).max(10_000_000).default(0),
  ALERT_WRITER_BURST_MINUTES: z.coerce.number().int().min(1).max(1440).default(10),
  LOG_LEVEL: logLevelSchema.default('info'),
  /** How long a stopping server waits for its requests and work before it exits anyway. */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  /** The address pages are reached at, for links in notifications (default NEXTAUTH_URL, else http://localhost:PORT). */
  APP_URL: z.url().optional(),
});

/**
 * Rules about several variables. The catch-up grace must be shorter than the retention: retention
 * would otherwise prune the claim of an occurrence that can still be caught up, and it would run
 * twice (lib/scheduler/tasks.ts#runRetention also keeps such claims).
 */
export const envSchema = variables.refine((e) => e.SCHEDULE_CATCH_UP_GRACE_MINUTES < e.RETENTION_DAYS * 1440, {
  message: 'SCHEDULE_CATCH_UP_GRACE_MINUTES must be shorter than RETENTION_DAYS (or caught-up occurrences could run twice)',
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Production mode: a production server that is not the `npm start` demo on the embedded
 * database (scripts/start.ts sets SYNCWATCH_DEMO=1 there). `next build` is exempt: secrets are
 * a run-time matter.
 */
export function isProductionMode(source: Record<string, string | undefined>): boolean {
  return source.NODE_ENV === 'production' && source.SYNCWATCH_DEMO !== '1' && source.NEXT_PHASE !== 'phase-production-build';
}

export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  // Empty strings count as unset, as they do in most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    // An issue about several variables (a rule of envSchema) names them itself.
    const problems = result.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  if (isProductionMode(cleaned)) {
    const demo: string[] = [];
    if (!cleaned.NEXTAUTH_SECRET || cleaned.NEXTAUTH_SECRET === DEMO_SECRET) demo.push('NEXTAUTH_SECRET');
    if (!cleaned.MONITOR_TOKEN || cleaned.MONITOR_TOKEN === DEMO_MONITOR_TOKEN) demo.push('MONITOR_TOKEN');
    if (demo.length) {
      throw new ConfigError(
        `Invalid configuration: ${demo.join(' and ')} must be set to your own secret in production ` +
          '(the documented demo values are refused).',
      );
    }
  }
  return result.data;
}

let cached: Env | undefined;

export function env(): Env {
  cached ??= parseEnv();
  return cached;
}

export const DEMO_NEXTAUTH_SECRET = DEMO_SECRET;
export const DEMO_MONITOR_TOKEN_VALUE = DEMO_MONITOR_TOKEN;
