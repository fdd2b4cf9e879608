'use server';

import { revalidatePath } from 'next/cache';
import { generatePassword, resetStaffPassword } from '@/lib/auth/staff';
import { defineAction } from './define-action';
import { resetStaffPasswordInputSchema, toStaffDto } from './staff-inputs';

/** "Reset password" (ADMIN): set by the admin, or generated and returned this once. */
export const resetStaffPasswordAction = defineAction(
  { role: 'ADMIN', attempted: 'STAFF_PASSWORD_RESET', input: resetStaffPasswordInputSchema, failure: 'reset the password' },
  async (input, { db, actor }) => {
    const generated = 'generate' in input ? generatePassword() : null;
    const password = 'password' in input ? input.password : generated!;
    const staff = await resetStaffPassword(db, input.email, password, actor);
    revalidatePath('/settings/staff');
    return { staff: toStaffDto(staff), generatedPassword: generated };
  },
);
