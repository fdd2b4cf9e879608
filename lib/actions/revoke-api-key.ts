'use server';

import { revalidatePath } from 'next/cache';
import { revokeApiKey, revokeApiKeySchema, toApiKeyDto } from '@/lib/api/keys';
import { defineAction } from './define-action';

/** A key's "Revoke" (ADMIN): refused from the next request on, on every instance. */
export const revokeApiKeyAction = defineAction(
  { role: 'ADMIN', attempted: 'API_KEY_REVOKED', input: revokeApiKeySchema, failure: 'revoke the API key' },
  async ({ name }, { db, actor }) => {
    const key = await revokeApiKey(db, name, actor);
    revalidatePath('/settings/api-keys');
    return { key: toApiKeyDto(key) };
  },
);
