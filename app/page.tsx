import { getDb } from '@/lib/db/client';

export const dynamic = 'force-dynamic';

export default async function HomePage() {
  const db = getDb();
  const [learners, progress, licenses] = await Promise.all([
    db.user.count({ where: { role: 'STUDENT' } }),
    db.specializationProgress.count(),
    db.userLicense.count(),
  ]);
  return (
    <main style={{ padding: '2rem' }}>
      <h1>SyncWatch</h1>
      <p>
        {learners} learners, {progress} progress rows, {licenses} license rows.
      </p>
    </main>
  );
}
