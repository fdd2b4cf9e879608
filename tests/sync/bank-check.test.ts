import { describe, expect, it } from 'vitest';
import { runBankCheck } from '../../tooling/bench/bank-check';
import { testDatabaseUrl } from '../support/db';

/** The fast variant of the bank check; `npm run stress -- bank` runs 10,000 updates from 200 callers. */
describe('bank check', () => {
  it('2,000 mixed coupled updates from 50 callers over 20 hot pairs lose nothing', async () => {
    const result = await runBankCheck(testDatabaseUrl, { updates: 2_000, callers: 50, pairs: 20, syncJobEvery: 400 });
    expect(result.unexpectedErrors).toEqual([]);
    expect(result.inconsistentPairs).toBe(0);
    expect(result.xpInDatabase).toBe(result.xpIncrements + result.xpRaisedByAdvances);
    expect(result.audit.recordProgress).toBe(result.applied.recordProgress);
    expect(result.audit.advanceLicense).toBe(result.applied.advanceLicense);
    expect(result.audit.syncPair).toBe(result.applied.syncPair);
    expect(result.audit.syncJobRepairs).toBe(result.audit.syncJobRepairsRecorded);
    expect(result.applied.syncJobs + result.applied.alreadyRunning).toBe(5);
    expect(result.ok).toBe(true);
  });
});
