/**
 * The one SQL definition of a desync, shared by the health check, the sync job's planning and
 * the benchmark: every (learner, specialization) pair from a FULL OUTER JOIN of progress and
 * license, classified with a small integer code (cheaper to aggregate on than text). Orphans
 * (learner or specialization gone) are only possible where the foreign keys were bypassed.
 */

export const KIND_CODES = ['CONSISTENT', 'LEVEL_MISMATCH', 'MISSING_LICENSE', 'MISSING_PROGRESS', 'ORPHAN_PROGRESS', 'ORPHAN_LICENSE'] as const;

/** SQL expression turning a kind code back into its name. */
export const KIND_NAME_SQL = (code: string) =>
  `(ARRAY['LEVEL_MISMATCH', 'MISSING_LICENSE', 'MISSING_PROGRESS', 'ORPHAN_PROGRESS', 'ORPHAN_LICENSE'])[${code}]`;

export const CLASSIFIED_PAIRS_SQL = `
  SELECT coalesce(p.user_id, l.user_id) AS user_id,
         coalesce(p.specialization_id, l.specialization_id) AS spec,
         p.current_level AS pl,
         l.current_level AS ll,
         p.updated_at AS p_updated,
         l.updated_at AS l_updated,
         CASE
           WHEN u.id IS NULL OR coalesce(p.specialization_id, l.specialization_id) NOT IN (SELECT id FROM specializations)
             THEN CASE WHEN p.user_id IS NOT NULL THEN 4 ELSE 5 END
           WHEN l.user_id IS NULL THEN 2
           WHEN p.user_id IS NULL THEN 3
           WHEN p.current_level <> l.current_level THEN 1
           ELSE 0
         END AS k
  FROM specialization_progress p
  FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id
  LEFT JOIN users u ON u.id = coalesce(p.user_id, l.user_id)`;
