'use server';

import { revalidatePath } from 'next/cache';
import { enableStaff, staffEmailSchema } from '@/lib/auth/staff';
import { defineAction } from './define-action';
import { toStaffDto } from './staff-inputs';

/** "Enable" (ADMIN): a disabled account may sign in again, with its password unchanged. */
export const enableStaffAction = defineAction(
  { role: 'ADMIN', attempted: 'STAFF_ENABLED', input: staffEmailSchema, failure: 'enable the staff member' },
  async (input, { db, actor }) => {
    const staff = await enableStaff(db, input.email, actor);
    revalidatePath('/settings/staff');
    return { staff: toStaffDto(staff) };
  },
);
