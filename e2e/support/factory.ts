import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../lib/auth/password';
import type { Sql, SpecializationId } from './sql';

/** Learners and pairs a test needs, each with a unique email, removed after the test. */

/** A pair to create: a level for each row, or null for a row that must not exist. */
export interface PairSpec {
  spec: SpecializationId;
  progressLevel: number | null;
  licenseLevel: number | null;
}

export interface Learner {
  id: number;
  email: string;
  name: string;
}

export interface Factory {
  /** A short random tag, unique to this test; every email the factory makes contains it. */
  tag: string;
  /** `count` learners, each with the pairs `pairsFor(i)` describes, inserted set-based. */
  learners(count: number, pairsFor: (i: number) => PairSpec[]): Promise<Learner[]>;
  learner(pairs: PairSpec[]): Promise<Learner>;
  /** A user with a password (any role), for sign-in tests. */
  user(opts: { role: 'STUDENT' | 'VIEWER' | 'ADMIN'; password: string }): Promise<Learner>;
}

/** A factory for one test, and the clean-up that removes what it made. */
export function createFactory(sql: Sql): { factory: Factory; cleanUp: () => Promise<void> } {
  const tag = `e2e${randomBytes(4).toString('hex')}`;
  const created: number[] = [];
  let n = 0;

  const learners: Factory['learners'] = async (count, pairsFor) => {
    const emails: string[] = [];
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      n++;
      emails.push(`${tag}-${n}@learners.e2e.test`);
      names.push(`E2E ${tag} ${n}`);
    }
    const rows = await sql<{ id: number; email: string; name: string }>(
      `INSERT INTO users (email, name, role) SELECT e, nm, 'STUDENT' FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(e, nm, o)
       ORDER BY o RETURNING id, email, name`,
      [emails, names],
    );
    rows.sort((a, b) => a.id - b.id);
    created.push(...rows.map((r) => r.id));
    const p = { user: [] as number[], spec: [] as string[], level: [] as number[] };
    const l = { user: [] as number[], spec: [] as string[], level: [] as number[] };
    rows.forEach((row, i) => {
      for (const pair of pairsFor(i)) {
        if (pair.progressLevel !== null) {
          p.user.push(row.id);
          p.spec.push(pair.spec);
          p.level.push(pair.progressLevel);
        }
        if (pair.licenseLevel !== null) {
          l.user.push(row.id);
          l.spec.push(pair.spec);
          l.level.push(pair.licenseLevel);
        }
      }
    });
    // Progress rows carry exactly the XP and sessions of their level, so they are valid.
    await sql(
      `INSERT INTO specialization_progress (user_id, specialization_id, current_level, total_xp, completed_sessions)
       SELECT t.u, t.s, t.lv, r.xp_required, r.sessions_required
       FROM unnest($1::int[], $2::text[], $3::int[]) AS t(u, s, lv)
       JOIN level_requirements r ON r.specialization_id = t.s AND r.level = t.lv`,
      [p.user, p.spec, p.level],
    );
    await sql(
      `INSERT INTO user_licenses (user_id, specialization_id, current_level, started_at)
       SELECT u, s, lv, now() - interval '30 days' FROM unnest($1::int[], $2::text[], $3::int[]) AS t(u, s, lv)`,
      [l.user, l.spec, l.level],
    );
    return rows;
  };

  const factory: Factory = {
    tag,
    learners,
    async learner(pairs) {
      const [one] = await learners(1, () => pairs);
      return one!;
    },
    async user({ role, password }) {
      n++;
      const email = `${tag}-${n}@staff.e2e.test`;
      const [row] = await sql<{ id: number; email: string; name: string }>(
        `INSERT INTO users (email, name, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING id, email, name`,
        [email, `E2E ${role.toLowerCase()} ${tag}`, role, await hashPassword(password)],
      );
      created.push(row!.id);
      return row!;
    },
  };

  const cleanUp = async () => {
    if (!created.length) return;
    // Remove what this test made; the pairs' history (job items, audit events) stays, as in
    // production when a learner leaves.
    await sql('DELETE FROM current_desyncs WHERE user_id = ANY($1)', [created]);
    await sql('DELETE FROM specialization_progress WHERE user_id = ANY($1)', [created]);
    await sql('DELETE FROM user_licenses WHERE user_id = ANY($1)', [created]);
    await sql('DELETE FROM users WHERE id = ANY($1)', [created]);
  };
  return { factory, cleanUp };
}
