'use server';

import { revalidatePath } from 'next/cache';
import { disableStaff, staffEmailSchema } from '@/lib/auth/staff';
import { defineAction } from './define-action';
import { toStaffDto } from './staff-inputs';

/** "Disable" (ADMIN): the account can no longer sign in, and its open sessions are refused at once. */
export const disableStaffAction = defineAction(
  { role: 'ADMIN', attempted: 'STAFF_DISABLED', input: staffEmailSchema, failure: 'disable the staff member' },
  async (input, { db, actor }) => {
    const staff = await disableStaff(db, input.email, actor);
    revalidatePath('/settings/staff');
    return { staff: toStaffDto(staff) };
  },
);
