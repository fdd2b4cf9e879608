'use server';

import { revalidatePath } from 'next/cache';
import { setStaffRole, setStaffRoleSchema } from '@/lib/auth/staff';
import { defineAction } from './define-action';
import { toStaffDto } from './staff-inputs';

/** "Change role" (ADMIN): applies on the account's next request; never demotes the last ADMIN. */
export const setStaffRoleAction = defineAction(
  { role: 'ADMIN', attempted: 'STAFF_ROLE_CHANGED', input: setStaffRoleSchema, failure: 'change the role' },
  async (input, { db, actor }) => {
    const staff = await setStaffRole(db, input.email, input.role, actor);
    revalidatePath('/settings/staff');
    return { staff: toStaffDto(staff) };
  },
);
