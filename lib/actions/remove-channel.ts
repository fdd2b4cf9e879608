'use server';

import { revalidatePath } from 'next/cache';
import { removeChannel } from '@/lib/alerts';
import { channelByNameSchema } from './alert-inputs';
import { defineAction } from './define-action';

/** A channel's "Remove" (ADMIN): nothing more is sent to it; its pending deliveries go with it. */
export const removeChannelAction = defineAction(
  { role: 'ADMIN', attempted: 'CHANNEL_REMOVED', input: channelByNameSchema, failure: 'remove the channel' },
  async ({ name }, { db, actor }) => {
    await removeChannel(db, name, actor);
    revalidatePath('/settings/notifications');
    return {};
  },
);
