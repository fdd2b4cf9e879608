'use server';

import { revalidatePath } from 'next/cache';
import { sendTestNotification } from '@/lib/alerts';
import { channelByNameSchema } from './alert-inputs';
import { defineAction } from './define-action';

/**
 * A channel's "Send test" (ADMIN): queues a TEST delivery and answers its id at once; the page
 * follows it through GET /api/notifications/deliveries/:id until it is delivered or failed.
 */
export const sendTestNotificationAction = defineAction(
  { role: 'ADMIN', attempted: 'CHANNEL_TESTED', input: channelByNameSchema, failure: 'send the test notification' },
  async ({ name }, { db, actor }) => {
    const { deliveryId } = await sendTestNotification(db, name, actor);
    revalidatePath('/settings/notifications');
    return { deliveryId };
  },
);
