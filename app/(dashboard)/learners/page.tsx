import type { Metadata } from 'next';
import { Suspense } from 'react';
import { LearnerSearch } from '@/components/learners/learner-search';
import { LearnerTable } from '@/components/learners/learner-table';
import { Notices } from '@/components/ui/notices';
import { TableSkeleton } from '@/components/ui/skeletons';
import { requireStaffPage } from '@/lib/auth/guards';
import { parseLearnerQuery, type SearchParams } from '@/lib/data/query-params';

export const metadata: Metadata = { title: 'Learners' };

export default async function LearnersPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requireStaffPage('VIEW_LEARNERS');
  const q = parseLearnerQuery(await searchParams);

  return (
    <>
      <div className="page-head">
        <h1>Learners</h1>
      </div>
      <LearnerSearch current={q.search} />
      <Notices notices={q.notices} />
      <Suspense key={JSON.stringify(q)} fallback={<TableSkeleton label="learners" columns={3} />}>
        <LearnerTable q={q} />
      </Suspense>
    </>
  );
}
