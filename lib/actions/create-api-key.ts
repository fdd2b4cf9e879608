'use server';

import { revalidatePath } from 'next/cache';
import { createApiKey, createApiKeySchema, toApiKeyDto } from '@/lib/api/keys';
import { defineAction } from './define-action';

/**
 * "Create API key" (ADMIN): the answer carries the token, the one time it is ever shown; the
 * database keeps only its hash.
 */
export const createApiKeyAction = defineAction(
  { role: 'ADMIN', attempted: 'API_KEY_CREATED', input: createApiKeySchema, failure: 'create the API key' },
  async (input, { db, actor }) => {
    const { key, token } = await createApiKey(db, input, actor);
    revalidatePath('/settings/api-keys');
    return { key: toApiKeyDto(key), token };
  },
);
