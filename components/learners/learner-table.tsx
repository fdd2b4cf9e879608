import Link from 'next/link';
import { DataTable } from '@/components/ui/data-table';
import { Pagination } from '@/components/ui/pagination';
import { readPage } from '@/lib/data/paging';
import { learnerQueryString, PAGE_SIZE, type LearnerQuery } from '@/lib/data/query-params';
import { getDb } from '@/lib/db/server';
import { listLearners, type LearnerPair } from '@/lib/sync';
import { ConsistencyMark } from './consistency';
import styles from './learners.module.css';

const level = (n: number | undefined) => (n === undefined ? '—' : String(n));

/** "PLAYER 3 · 3 ✓": the specialization, its progress and license levels, and whether they agree. */
function PairSummary({ pair }: { pair: LearnerPair }) {
  const [progress, license] = [level(pair.progress?.level), level(pair.license?.level)];
  return (
    <li title={`${pair.specializationId}: progress ${progress} · license ${license}`}>
      {pair.specializationId} <span className="num">{progress}</span> · <span className="num">{license}</span>{' '}
      <ConsistencyMark kind={pair.kind} />
    </li>
  );
}

/** The learners list: one page of the learners that match the search, by name, each with their pairs. */
export async function LearnerTable({ q }: { q: LearnerQuery }) {
  const result = await readPage(q.page, PAGE_SIZE, (offset) => listLearners(getDb(), { search: q.search, offset, limit: PAGE_SIZE }));

  return (
    <>
      <DataTable
        label="Learners"
        columns={[{ label: 'Name' }, { label: 'Email' }, { label: 'Specializations (progress · license)' }]}
        empty={q.search ? 'No learners match this search.' : 'No learners yet.'}
        rows={result.items.map((learner) => (
          <tr key={learner.id} data-user-id={learner.id}>
            <td>
              <Link href={`/learners/${learner.id}`} className="learner-name">
                {learner.name}
              </Link>
            </td>
            <td>{learner.email}</td>
            <td>
              {learner.pairs.length ? (
                <ul className={styles.pairs}>
                  {learner.pairs.map((pair) => (
                    <PairSummary key={pair.specializationId} pair={pair} />
                  ))}
                </ul>
              ) : (
                <span className="muted">Not enrolled</span>
              )}
            </td>
          </tr>
        ))}
      />
      <Pagination
        of={result}
        noun={['learner', 'learners']}
        hrefFor={(page) => `/learners${learnerQueryString({ search: q.search, page })}`}
      />
    </>
  );
}
