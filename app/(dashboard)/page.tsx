import type { Metadata } from 'next';
import { Suspense } from 'react';
import { DashboardLive } from '@/components/dashboard/dashboard-live';
import { DashboardSkeleton } from '@/components/ui/skeletons';
import { requireStaffPage } from '@/lib/auth/guards';
import { getDashboardData } from '@/lib/data/dashboard';
import { env } from '@/lib/env';

export const metadata: Metadata = { title: 'Dashboard' };

async function LiveDashboard() {
  const staff = await requireStaffPage('VIEW_DASHBOARD');
  const initial = await getDashboardData();
  return <DashboardLive initial={initial} role={staff.role} defaultSeconds={env().DASHBOARD_POLL_SECONDS} />;
}

export default function DashboardPage() {
  return (
    <Suspense fallback={<DashboardSkeleton />}>
      <LiveDashboard />
    </Suspense>
  );
}
