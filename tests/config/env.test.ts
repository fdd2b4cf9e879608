import { describe, expect, it } from 'vitest';
import { ConfigError, DEMO_MONITOR_TOKEN_VALUE, DEMO_NEXTAUTH_SECRET, parseEnv } from '../../lib/env';

describe('configuration', () => {
  it('has working defaults for the demo', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      EMBEDDED_PG_PORT: 5433,
      CONSISTENCY_TARGET: 99.9,
      SCHEDULER_ENABLED: true,
      SYNC_CRON: '0 */6 * * *',
    });
  });

  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ SYNC_CRON: 'every six hours' }, /SYNC_CRON/],
    [{ CONSISTENCY_TARGET: '120' }, /CONSISTENCY_TARGET/],
    [{ SCHEDULER_ENABLED: 'maybe' }, /SCHEDULER_ENABLED/],
    [{ NEXTAUTH_SECRET: 'short' }, /NEXTAUTH_SECRET/],
  ])('stops on %o with a message naming the variable', (source, name) => {
    expect(() => parseEnv(source)).toThrow(ConfigError);
    expect(() => parseEnv(source)).toThrow(name);
  });

  it('reads the dashboard poll interval, 10 s by default', () => {
    expect(parseEnv({}).DASHBOARD_POLL_SECONDS).toBe(10);
    expect(parseEnv({ DASHBOARD_POLL_SECONDS: '60' }).DASHBOARD_POLL_SECONDS).toBe(60);
    for (const bad of ['0', '2.5', 'soon', '3601']) {
      expect(() => parseEnv({ DASHBOARD_POLL_SECONDS: bad })).toThrow(/DASHBOARD_POLL_SECONDS/);
    }
  });

  it('refuses missing or demo secrets in production mode', () => {
    expect(() => parseEnv({ NODE_ENV: 'production' })).toThrow(/NEXTAUTH_SECRET and MONITOR_TOKEN/);
    expect(() =>
      parseEnv({ NODE_ENV: 'production', NEXTAUTH_SECRET: DEMO_NEXTAUTH_SECRET, MONITOR_TOKEN: 'a-real-monitor-token-123' }),
    ).toThrow(/NEXTAUTH_SECRET/);
    expect(() =>
      parseEnv({ NODE_ENV: 'production', NEXTAUTH_SECRET: 'a-real-secret-of-some-length', MONITOR_TOKEN: DEMO_MONITOR_TOKEN_VALUE }),
    ).toThrow(/MONITOR_TOKEN/);
    expect(
      parseEnv({ NODE_ENV: 'production', NEXTAUTH_SECRET: 'a-real-secret-of-some-length', MONITOR_TOKEN: 'a-real-monitor-token-123' })
        .NODE_ENV,
    ).toBe('production');
  });

  it('allows the demo secrets for the npm start demo and during next build', () => {
    expect(parseEnv({ NODE_ENV: 'production', SYNCWATCH_DEMO: '1' }).NEXTAUTH_SECRET).toBe(DEMO_NEXTAUTH_SECRET);
    expect(parseEnv({ NODE_ENV: 'production', NEXT_PHASE: 'phase-production-build' }).NODE_ENV).toBe('production');
  });

  it('refuses a catch-up grace that is not shorter than the retention, naming both variables', () => {
    // Retention would otherwise prune the claim of an occurrence that can still be claimed.
    for (const source of [
      { SCHEDULE_CATCH_UP_GRACE_MINUTES: '1440', RETENTION_DAYS: '1' },
      { SCHEDULE_CATCH_UP_GRACE_MINUTES: '10080', RETENTION_DAYS: '7' },
    ]) {
      expect(() => parseEnv(source)).toThrow(ConfigError);
      expect(() => parseEnv(source)).toThrow(/SCHEDULE_CATCH_UP_GRACE_MINUTES must be shorter than RETENTION_DAYS/);
    }
    expect(parseEnv({ SCHEDULE_CATCH_UP_GRACE_MINUTES: '1439', RETENTION_DAYS: '1' }).RETENTION_DAYS).toBe(1);
  });

  it('refuses a heartbeat timeout too short for four beats a timeout, and gives the interval from it', async () => {
    const { heartbeatIntervalMs } = await import('../../lib/sync/job-rows');
    expect(() => parseEnv({ JOB_HEARTBEAT_TIMEOUT_SECONDS: '5' })).toThrow(/JOB_HEARTBEAT_TIMEOUT_SECONDS: must be at least 10/);
    expect(parseEnv({ JOB_HEARTBEAT_TIMEOUT_SECONDS: '10' }).JOB_HEARTBEAT_TIMEOUT_SECONDS).toBe(10);
    expect(heartbeatIntervalMs(10_000)).toBe(2500);
    expect(heartbeatIntervalMs(120_000)).toBe(30_000);
  });
});
