'use server';

import { revalidatePath } from 'next/cache';
import { endMaintenanceWindow } from '@/lib/alerts';
import { toWindowDto } from '@/lib/data/alerts';
import { windowByIdSchema } from './alert-inputs';
import { defineAction } from './define-action';

/** A maintenance window's "End now" (ADMIN): the notifications it held are sent from now on. */
export const endMaintenanceWindowAction = defineAction(
  { role: 'ADMIN', attempted: 'MAINTENANCE_ENDED', input: windowByIdSchema, failure: 'end the maintenance window' },
  async ({ id }, { db, actor }) => {
    const window = await endMaintenanceWindow(db, id, actor);
    revalidatePath('/settings/notifications');
    revalidatePath('/incidents');
    revalidatePath('/');
    return { window: toWindowDto(window) };
  },
);
