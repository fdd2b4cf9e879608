import type { Metadata } from 'next';
import { ChangePasswordForm } from '@/components/settings/change-password-form';
import { requireStaffPage } from '@/lib/auth/guards';
import { getDb } from '@/lib/db/server';

export const metadata: Metadata = { title: 'Account' };

/** One's own account (any staff member): who one is, and "Change password". */
export default async function AccountPage() {
  const staff = await requireStaffPage('VIEW_ACCOUNT');
  const user = await getDb().user.findUnique({ where: { id: staff.id }, select: { name: true } });
  return (
    <>
      <div className="page-head">
        <h1>Account</h1>
      </div>
      <section className="card" aria-labelledby="account-title" style={{ marginBottom: '1rem' }}>
        <h2 id="account-title">Signed in as</h2>
        <dl className="figures-list">
          <div>
            <dt>Email</dt>
            <dd>{staff.email}</dd>
          </div>
          <div>
            <dt>Name</dt>
            <dd>{user?.name ?? ''}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd className="kind">{staff.role}</dd>
          </div>
        </dl>
      </section>
      <ChangePasswordForm />
    </>
  );
}
