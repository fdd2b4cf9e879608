import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { z } from 'zod';
import { AcknowledgeForm } from '@/components/incidents/acknowledge-form';
import { IncidentDeliveries } from '@/components/incidents/incident-deliveries';
import { IncidentState } from '@/components/incidents/incident-state';
import { IncidentSummaryCard } from '@/components/incidents/incident-summary';
import { IncidentTimeline } from '@/components/incidents/incident-timeline';
import { LiveIndicator } from '@/components/live/live-indicator';
import { getIncident } from '@/lib/alerts';
import { requireStaffPage } from '@/lib/auth/guards';
import { incidentLabel } from '@/lib/data/alerts';
import { getDb } from '@/lib/db/server';
import { env } from '@/lib/env';

export const metadata: Metadata = { title: 'Incident' };

/** Digits only (no sign, exponent or hex), within the id column. */
const idSchema = z
  .string()
  .regex(/^[1-9]\d{0,9}$/)
  .transform(Number)
  .pipe(z.number().max(2_147_483_647));

/** One incident: what triggered it, its timeline, the notifications it caused, and "Acknowledge" (ADMIN). */
export default async function IncidentPage({ params }: { params: Promise<{ id: string }> }) {
  const staff = await requireStaffPage('VIEW_INCIDENTS');
  const id = idSchema.safeParse((await params).id);
  if (!id.success) notFound();
  const incident = await getIncident(getDb(), id.data);
  if (!incident) notFound();
  const canAcknowledge = incident.state === 'OPEN' && !incident.acknowledgedAt;
  return (
    <>
      <p className="breadcrumb">
        <Link href="/incidents">Incidents</Link> / Incident #{incident.id}
      </p>
      <div className="page-head">
        <h1>
          {incidentLabel(incident)} <IncidentState incident={incident} />
        </h1>
        <div className="page-head-actions">
          <LiveIndicator pollSeconds={env().DASHBOARD_POLL_SECONDS} refreshWhenDown />
        </div>
      </div>
      <div className="stack">
        <IncidentSummaryCard incident={incident} />
        {canAcknowledge ? <AcknowledgeForm incidentId={incident.id} role={staff.role} /> : null}
        <IncidentTimeline incident={incident} />
        <IncidentDeliveries deliveries={incident.deliveries} />
      </div>
    </>
  );
}
