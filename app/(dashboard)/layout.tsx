import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { SiteHeader } from '@/components/layout/site-header';
import { LiveEvents } from '@/components/live/live-events';
import { getCurrentStaff } from '@/lib/auth/session';

/**
 * Every dashboard page: the header with who is signed in, and the live events of the signed-in
 * pages (one event stream per tab, components/live/live-events.tsx; the root layout's
 * Providers also serve the login page). Each page authorizes itself through requireStaffPage
 * (which audits refusals); the layout only needs to know who to show.
 */
export default async function DashboardLayout({ children }: { children: ReactNode }) {
  const staff = await getCurrentStaff();
  if (!staff) redirect('/login');
  return (
    <LiveEvents>
      <SiteHeader staff={staff} />
      <main id="main" className="page">
        {children}
      </main>
    </LiveEvents>
  );
}
