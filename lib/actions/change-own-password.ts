'use server';

import { changeOwnPassword } from '@/lib/auth/staff';
import { defineAction } from './define-action';
import { changeOwnPasswordInputSchema } from './staff-inputs';

/**
 * "Change password" (any staff member, VIEWER included): one's own account only, the one the
 * session names; the current password is required and the new one must meet the policy. The
 * change ends every session of the account, this one included: `sessionEnded` tells the page to
 * sign out and ask for the new password.
 */
export const changeOwnPasswordAction = defineAction(
  { role: 'VIEWER', attempted: 'STAFF_PASSWORD_CHANGED', input: changeOwnPasswordInputSchema, failure: 'change the password' },
  async (input, { db, staff }) => {
    await changeOwnPassword(db, staff.id, input.currentPassword, input.newPassword);
    return { changed: true, sessionEnded: true };
  },
);
