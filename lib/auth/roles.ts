import { STAFF_ROLES, type StaffRole } from '@/lib/vocabulary';

export { STAFF_ROLES, type StaffRole } from '@/lib/vocabulary';

export interface Staff {
  id: number;
  email: string;
  role: StaffRole;
}

export function isStaffRole(role: string): role is StaffRole {
  return (STAFF_ROLES as readonly string[]).includes(role);
}

/** Whether `role` is at least `minimum` (ADMIN includes everything a VIEWER may do). */
export function roleAtLeast(role: StaffRole, minimum: StaffRole): boolean {
  return STAFF_ROLES.indexOf(role) >= STAFF_ROLES.indexOf(minimum);
}
