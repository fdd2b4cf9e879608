import type { Metadata } from 'next';
import { AddChannelForm } from '@/components/notifications/add-channel-form';
import { ChannelsTable } from '@/components/notifications/channels-table';
import { MaintenanceTable } from '@/components/notifications/maintenance-table';
import { MuteForm } from '@/components/notifications/mute-form';
import { listChannels, listMaintenanceWindows } from '@/lib/alerts';
import { requireStaffPage } from '@/lib/auth/guards';
import { toChannelDto, toWindowDto } from '@/lib/data/alerts';
import { getDb } from '@/lib/db/server';

export const metadata: Metadata = { title: 'Notifications' };

/** The most recent maintenance windows shown beside the active ones. */
const RECENT_WINDOWS = 20;

/** Where incidents are told (ADMIN only): channels with "Send test", and maintenance windows that mute them. */
export default async function NotificationsPage() {
  await requireStaffPage('VIEW_NOTIFICATIONS', 'ADMIN');
  const db = getDb();
  const [channels, windows] = await Promise.all([listChannels(db), listMaintenanceWindows(db, { limit: RECENT_WINDOWS })]);
  return (
    <>
      <div className="page-head">
        <h1>Notifications</h1>
      </div>
      <p className="muted">
        Each incident&apos;s opening, reminders and recovery are sent to every channel that takes its condition: a webhook (a signed JSON
        POST), a Slack incoming webhook or an email. Each notification is sent once, retried while the receiver is down.
      </p>
      <section aria-labelledby="channels-title" className="stack">
        <h2 id="channels-title">Channels</h2>
        <ChannelsTable channels={channels.map(toChannelDto)} />
        <AddChannelForm />
      </section>
      <section aria-labelledby="maintenance-title" className="stack">
        <h2 id="maintenance-title">Maintenance windows</h2>
        <p className="muted">
          While a window is active, incidents of its conditions still open and are recorded; their notifications wait.
        </p>
        <MaintenanceTable windows={windows.map(toWindowDto)} />
        <MuteForm />
      </section>
    </>
  );
}
