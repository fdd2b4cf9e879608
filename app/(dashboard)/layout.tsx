import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { SiteHeader } from '@/components/layout/site-header';
import { getCurrentStaff } from '@/lib/auth/session';

/**
 * Every dashboard page: the header with who is signed in. Each page authorizes itself through
 * requireStaffPage (which audits refusals); the layout only needs to know who to show.
 */
export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const staff = await getCurrentStaff();
  if (!staff) redirect('/login');
  return (
    <>
      <SiteHeader staff={staff} />
      <main id="main" className="page">
        {children}
      </main>
    </>
  );
}
