import Link from 'next/link';
import type { Staff } from '@/lib/auth/roles';
import { MainNav } from './main-nav';
import { SignOutButton } from './sign-out-button';

export function SiteHeader({ staff }: { staff: Staff }) {
  return (
    <header className="site-header">
      <div className="site-header-inner">
        <Link href="/" className="brand">
          SyncWatch
        </Link>
        <MainNav role={staff.role} />
        <div className="whoami">
          <span className="whoami-email" data-testid="current-user-email">
            {staff.email}
          </span>
          <span className={`role-badge role-${staff.role.toLowerCase()}`} data-testid="current-user-role">
            {staff.role}
          </span>
          <SignOutButton />
        </div>
      </div>
    </header>
  );
}
