import type { Metadata } from 'next';
import { Suspense } from 'react';
import { DashboardLive } from '@/components/dashboard/dashboard-live';
import { OpenIncidents } from '@/components/dashboard/open-incidents';
import { DashboardSkeleton } from '@/components/ui/skeletons';
import { listOpenIncidents } from '@/lib/alerts';
import { requireStaffPage } from '@/lib/auth/guards';
import { toOpenIncidentDto } from '@/lib/data/alerts';
import { getDashboardData } from '@/lib/data/dashboard';
import { getDb } from '@/lib/db/server';
import { env } from '@/lib/env';

export const metadata: Metadata = { title: 'Dashboard' };

async function LiveDashboard() {
  const staff = await requireStaffPage('VIEW_DASHBOARD');
  const [initial, incidents] = await Promise.all([getDashboardData(), listOpenIncidents(getDb())]);
  return (
    <DashboardLive initial={initial} role={staff.role} defaultSeconds={env().DASHBOARD_POLL_SECONDS}>
      <OpenIncidents initial={incidents.map(toOpenIncidentDto)} pollSeconds={env().DASHBOARD_POLL_SECONDS} />
    </DashboardLive>
  );
}

export default function DashboardPage() {
  return (
    <Suspense fallback={<DashboardSkeleton />}>
      <LiveDashboard />
    </Suspense>
  );
}
