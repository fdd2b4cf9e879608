/**
 * The one SQL definition of a desync, shared by the health check, the sync job's planning and
 * the benchmark: every (learner, specialization) pair from a FULL OUTER JOIN of progress and
 * license, classified. Orphans (learner or specialization gone) are only possible where the
 * foreign keys were bypassed.
 */
export const CLASSIFIED_PAIRS_SQL = `
  SELECT coalesce(p.user_id, l.user_id) AS user_id,
         coalesce(p.specialization_id, l.specialization_id) AS spec,
         p.current_level AS pl,
         l.current_level AS ll,
         greatest(p.updated_at, l.updated_at) AS changed_at,
         CASE
           WHEN NOT EXISTS (SELECT 1 FROM users u WHERE u.id = coalesce(p.user_id, l.user_id))
             OR NOT EXISTS (SELECT 1 FROM specializations s WHERE s.id = coalesce(p.specialization_id, l.specialization_id))
             THEN CASE WHEN p.user_id IS NOT NULL THEN 'ORPHAN_PROGRESS' ELSE 'ORPHAN_LICENSE' END
           WHEN l.user_id IS NULL THEN 'MISSING_LICENSE'
           WHEN p.user_id IS NULL THEN 'MISSING_PROGRESS'
           WHEN p.current_level <> l.current_level THEN 'LEVEL_MISMATCH'
         END AS kind
  FROM specialization_progress p
  FULL OUTER JOIN user_licenses l ON l.user_id = p.user_id AND l.specialization_id = p.specialization_id`;
