import { z } from 'zod';

/**
 * Configuration, validated once. Every variable is documented in README.md#configuration.
 * A missing or malformed value stops the process with a message naming the variable.
 */

const DEMO_SECRET = 'syncwatch-demo-secret-change-me';

const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

const port = z.coerce.number().int().min(1).max(65535);

export const envSchema = z.object({
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
  HEALTH_CHECK_CRON: z.string().min(1).default('* * * * *'),
  SYNC_CRON: z.string().min(1).default('0 */6 * * *'),
  /** A sync job is overdue when none finished within the sync interval plus this grace. */
  SYNC_OVERDUE_GRACE_MINUTES: z.coerce.number().int().min(0).max(10_080).default(60),
  /** A missed occurrence still runs (once) when an instance comes back within this grace. */
  SCHEDULE_CATCH_UP_GRACE_MINUTES: z.coerce.number().int().min(0).max(10_080).default(30),
  /** A RUNNING job with no heartbeat for this long is marked ABANDONED. */
  JOB_HEARTBEAT_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(86_400).default(120),
  RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** Bearer token for /api/health/integrity and /api/metrics (monitoring systems). */
  MONITOR_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LOGIN_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(5),
  LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
});

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  // Empty strings count as unset, as they do in most .env tooling.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

let cached: Env | undefined;

export function env(): Env {
  cached ??= parseEnv();
  return cached;
}

export const DEMO_NEXTAUTH_SECRET = DEMO_SECRET;
