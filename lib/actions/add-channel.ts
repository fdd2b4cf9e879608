'use server';

import { revalidatePath } from 'next/cache';
import { addChannel, addChannelSchema } from '@/lib/alerts';
import { toChannelDto } from '@/lib/data/alerts';
import { plainObject } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/**
 * "Add channel" (ADMIN): a webhook, Slack or email channel. The answer carries the channel as
 * listed, its URL masked; the secret never comes back.
 */
export const addChannelAction = defineAction(
  { role: 'ADMIN', attempted: 'CHANNEL_ADDED', input: plainObject(addChannelSchema), failure: 'add the channel' },
  async (input, { db, actor }) => {
    const channel = await addChannel(db, input, actor);
    revalidatePath('/settings/notifications');
    return { channel: toChannelDto(channel) };
  },
);
