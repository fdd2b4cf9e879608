import type { z } from 'zod';
import type { Db } from '../db/prisma';
import { advanceLicense } from '../sync/coupled-writes';
import { demoteLicense } from '../sync/demotion';
import { lockPairs } from '../sync/locks';
import { readPair } from '../sync/pair';
import type { Actor } from '../sync/types';
import type { setLicenseBody } from './schemas';

/**
 * PUT .../license: a level at or above the current license level is an advance (advanceLicense),
 * below it a demotion (demoteLicense, which requires a reason). `db` is the write's transaction
 * (lib/api/idempotency.ts#runWrite): the pair is locked as the engine locks it before the current
 * level is read, so no other writer moves it between the decision and the write (the engine
 * takes the same locks again, which PostgreSQL grants at once to the holder).
 */
export async function setLicenseLevel(
  db: Db,
  learnerId: number,
  specialization: string,
  body: z.output<typeof setLicenseBody>,
  actor: Actor,
): Promise<'ADVANCED' | 'DEMOTED'> {
  await lockPairs(db, actor, [{ userId: learnerId, specializationId: specialization }]);
  const current = await readPair(db, learnerId, specialization, false);
  const opts = { expectedVersion: body.expectedVersion };
  if (current.license && body.level < current.license.level) {
    await demoteLicense(db, learnerId, specialization, body.level, actor, body.reason ?? '', opts);
    return 'DEMOTED';
  }
  await advanceLicense(db, learnerId, specialization, body.level, actor, body.reason, opts);
  return 'ADVANCED';
}
