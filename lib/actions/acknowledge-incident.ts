'use server';

import { revalidatePath } from 'next/cache';
import { acknowledgeIncident, acknowledgeSchema } from '@/lib/alerts';
import { toOpenIncidentDto } from '@/lib/data/alerts';
import { plainObject } from '@/lib/sync/validation';
import { defineAction } from './define-action';

/**
 * An incident's "Acknowledge" (ADMIN, a note required): someone is on it, so no more reminders.
 * A resolved or already acknowledged incident is refused with CONFLICT.
 */
export const acknowledgeIncidentAction = defineAction(
  { role: 'ADMIN', attempted: 'INCIDENT_ACKNOWLEDGED', input: plainObject(acknowledgeSchema), failure: 'acknowledge the incident' },
  async ({ id, note }, { db, actor }) => {
    const incident = await acknowledgeIncident(db, id, actor, note);
    revalidatePath('/incidents');
    revalidatePath(`/incidents/${incident.id}`);
    revalidatePath('/');
    return { incident: toOpenIncidentDto(incident) };
  },
);
