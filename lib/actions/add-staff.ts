'use server';

import { revalidatePath } from 'next/cache';
import { addStaff, generatePassword } from '@/lib/auth/staff';
import { defineAction } from './define-action';
import { addStaffInputSchema, toStaffDto } from './staff-inputs';

/**
 * "Add staff member" (ADMIN): with a password the admin set, or a generated one-time password,
 * which the answer carries the one time it is ever shown (the database keeps only its hash).
 */
export const addStaffAction = defineAction(
  { role: 'ADMIN', attempted: 'STAFF_ADDED', input: addStaffInputSchema, failure: 'add the staff member' },
  async (input, { db, actor }) => {
    const generated = 'generate' in input ? generatePassword() : null;
    const password = 'password' in input ? input.password : generated!;
    const staff = await addStaff(db, { email: input.email, name: input.name, role: input.role, password }, actor);
    revalidatePath('/settings/staff');
    return { staff: toStaffDto(staff), generatedPassword: generated };
  },
);
