import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { Suspense } from 'react';
import { HistoryTable } from '@/components/learners/history-table';
import { LearnerPairs } from '@/components/learners/learner-pairs';
import { TableSkeleton } from '@/components/ui/skeletons';
import { requireStaffPage } from '@/lib/auth/guards';
import { parseHistoryPage, parseLearnerId, type SearchParams } from '@/lib/data/query-params';
import { getDb } from '@/lib/db/server';
import { getLearner } from '@/lib/sync';
import { Role } from '@/lib/vocabulary';

export const metadata: Metadata = { title: 'Learner' };

export default async function LearnerPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<SearchParams>;
}) {
  const staff = await requireStaffPage('VIEW_LEARNER');
  const [{ id: rawId }, query] = await Promise.all([params, searchParams]);
  const id = parseLearnerId(rawId);
  if (id === null) notFound();
  const learner = await getLearner(getDb(), id);
  if (!learner) notFound();
  const historyPage = parseHistoryPage(query);

  return (
    <>
      <p className="breadcrumb">
        <Link href="/learners">Learners</Link> / {learner.name}
      </p>
      <div className="page-head">
        <h1>{learner.name}</h1>
      </div>
      <p className="muted">
        {learner.email} · learner #{learner.id}
      </p>
      <LearnerPairs learner={learner} isAdmin={staff.role === Role.ADMIN} />
      <h2>History</h2>
      <Suspense key={historyPage} fallback={<TableSkeleton label="history" columns={7} />}>
        <HistoryTable userId={learner.id} requestedPage={historyPage} />
      </Suspense>
    </>
  );
}
