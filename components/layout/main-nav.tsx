'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { StaffRole } from '@/lib/vocabulary';

const LINKS: { href: string; label: string; adminOnly?: boolean }[] = [
  { href: '/', label: 'Dashboard' },
  { href: '/incidents', label: 'Incidents' },
  { href: '/desyncs', label: 'Desyncs' },
  { href: '/learners', label: 'Learners' },
  { href: '/jobs', label: 'Sync jobs' },
  { href: '/audit', label: 'Audit log' },
  { href: '/settings/api-keys', label: 'API keys', adminOnly: true },
  { href: '/settings/notifications', label: 'Notifications', adminOnly: true },
  { href: '/settings/staff', label: 'Staff', adminOnly: true },
  { href: '/settings/account', label: 'Account' },
];

/** The main navigation; links a role may not open are not shown (the pages check again). */
export function MainNav({ role }: { role: StaffRole }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="main-nav">
      <ul>
        {LINKS.filter((l) => !l.adminOnly || role === 'ADMIN').map((l) => {
          const current = l.href === '/' ? pathname === '/' : pathname === l.href || pathname.startsWith(`${l.href}/`);
          return (
            <li key={l.href}>
              <Link href={l.href} aria-current={current ? 'page' : undefined}>
                {l.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
