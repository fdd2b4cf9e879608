import type { Metadata } from 'next';
import { AddStaffForm } from '@/components/settings/add-staff-form';
import { StaffTable } from '@/components/settings/staff-table';
import { toStaffDto } from '@/lib/actions/staff-inputs';
import { requireStaffPage } from '@/lib/auth/guards';
import { listStaff } from '@/lib/auth/staff';
import { getDb } from '@/lib/db/server';

export const metadata: Metadata = { title: 'Staff' };

/** Staff accounts (ADMIN only): add, change role, disable or enable, reset a password. */
export default async function StaffPage() {
  await requireStaffPage('VIEW_STAFF', 'ADMIN');
  const staff = (await listStaff(getDb())).map(toStaffDto);
  return (
    <>
      <div className="page-head">
        <h1>Staff</h1>
      </div>
      <p className="muted">
        Staff sign in with an email and a password. A change of role or a disabled account applies on the account&apos;s next request; the
        last enabled ADMIN cannot be demoted or disabled.
      </p>
      <AddStaffForm />
      <StaffTable staff={staff} />
    </>
  );
}
