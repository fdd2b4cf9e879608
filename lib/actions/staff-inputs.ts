import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, passwordSchema } from '@/lib/auth/password-policy';
import { staffNameSchema, staffRoleSchema, type StaffInfo } from '@/lib/auth/staff';
import { emailSchema, plainObject } from '@/lib/sync/validation';

/**
 * Inputs of the staff actions (issue 16). A password is either set by the admin (`password`) or
 * generated on the server (`generate: true`), never both; the generated one is returned once.
 */

const passwordChoice = <T extends z.ZodRawShape>(shape: T) =>
  plainObject(
    z.union([
      z.strictObject({ ...shape, password: passwordSchema }),
      z.strictObject({ ...shape, generate: z.literal(true, { error: 'must be true' }) }),
    ]),
  );

export const addStaffInputSchema = passwordChoice({ email: emailSchema, name: staffNameSchema, role: staffRoleSchema });

export const resetStaffPasswordInputSchema = passwordChoice({ email: emailSchema });

export const changeOwnPasswordInputSchema = plainObject(
  z.strictObject({
    currentPassword: z.string({ error: 'must be text' }).min(1, 'is required').max(MAX_PASSWORD_LENGTH),
    newPassword: passwordSchema,
  }),
);

/** A staff account as the pages and actions hand it to the browser: dates as ISO strings. */
export interface StaffDto {
  id: number;
  email: string;
  name: string;
  role: StaffInfo['role'];
  disabled: boolean;
  disabledAt: string | null;
  createdAt: string;
}

export const toStaffDto = (s: StaffInfo): StaffDto => ({
  id: s.id,
  email: s.email,
  name: s.name,
  role: s.role,
  disabled: s.disabled,
  disabledAt: s.disabledAt?.toISOString() ?? null,
  createdAt: s.createdAt.toISOString(),
});
