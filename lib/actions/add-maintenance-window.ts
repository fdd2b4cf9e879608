'use server';

import { revalidatePath } from 'next/cache';
import { addMaintenanceWindow, maintenanceSchema } from '@/lib/alerts';
import { toWindowDto } from '@/lib/data/alerts';
import { plainObject } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/**
 * "Mute" (ADMIN): a maintenance window until a time, for all or some conditions, with a reason.
 * Incidents still open and are recorded; their notifications wait until the window ends.
 */
export const addMaintenanceWindowAction = defineAction(
  { role: 'ADMIN', attempted: 'MAINTENANCE_STARTED', input: plainObject(maintenanceSchema), failure: 'start the maintenance window' },
  async (input, { db, actor }) => {
    const window = await addMaintenanceWindow(db, input, actor);
    revalidatePath('/settings/notifications');
    revalidatePath('/incidents');
    revalidatePath('/');
    return { window: toWindowDto(window) };
  },
);
