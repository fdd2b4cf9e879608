import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Db, DbTx } from '../db/prisma';
import { writeAuditEvent } from '../sync/audit';
import { pgError, TX_OPTIONS } from '../sync/db-errors';
import { SyncError } from '../sync/errors';
import type { Actor } from '../sync/types';
import { emailSchema, parseInput, plainObject } from '../sync/validation';
import { STAFF_ROLES, type StaffRole } from '../vocabulary';
import { hashPassword, verifyPassword } from './password';
import { checkPassword, MAX_PASSWORD_LENGTH, passwordSchema } from './password-policy';

/**
 * Staff accounts (issue 16): add, list, change role, disable, re-enable, reset a password, change
 * one's own. Used by `syncwatch users` and the staff settings pages. Every change is audited
 * (never a password or a hash) and serialized by one advisory lock, so that two admins disabling
 * each other at once cannot leave the deployment without an enabled ADMIN. The role,
 * disabled_at and session_version are re-read on every request (lib/auth/session.ts), so a change
 * applies at once; a password reset or change, and disabling, bump session_version, ending the
 * account's open sessions.
 */

export const staffRoleSchema = z.enum(STAFF_ROLES, { error: `must be one of ${STAFF_ROLES.join(', ')}` });

export const staffNameSchema = z
  .string({ error: 'must be text' })
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

export const addStaffSchema = plainObject(
  z.strictObject({ email: emailSchema, name: staffNameSchema, role: staffRoleSchema, password: passwordSchema }),
);
export const staffEmailSchema = plainObject(z.strictObject({ email: emailSchema }));
export const setStaffRoleSchema = plainObject(z.strictObject({ email: emailSchema, role: staffRoleSchema }));
export const resetStaffPasswordSchema = plainObject(z.strictObject({ email: emailSchema, password: passwordSchema }));
export const changeOwnPasswordSchema = plainObject(
  z.strictObject({
    userId: z.number().int().positive(),
    currentPassword: z.string({ error: 'must be text' }).min(1, 'is required').max(MAX_PASSWORD_LENGTH),
    newPassword: passwordSchema,
  }),
);

/** A staff account as lists show it: never the password hash. */
export interface StaffInfo {
  id: number;
  email: string;
  name: string;
  role: StaffRole;
  disabled: boolean;
  disabledAt: Date | null;
  createdAt: Date;
}

const INFO = { id: true, email: true, name: true, role: true, disabledAt: true, createdAt: true } as const;
type Row = { id: number; email: string; name: string; role: string; disabledAt: Date | null; createdAt: Date };

const toInfo = (r: Row): StaffInfo => ({
  id: r.id,
  email: r.email,
  name: r.name,
  role: r.role as StaffRole,
  disabled: r.disabledAt !== null,
  disabledAt: r.disabledAt,
  createdAt: r.createdAt,
});

/** What the audit log keeps of an account, before and after a change. */
const snapshot = (s: StaffInfo) => ({ email: s.email, name: s.name, role: s.role, disabled: s.disabled });

/** Every staff change takes this lock first (the last-admin rule reads what the others write). */
const lockStaff = (tx: DbTx) => tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('sw-staff'))`;

async function findStaff(tx: DbTx, email: string): Promise<StaffInfo> {
  const row = await tx.user.findUnique({ where: { email }, select: INFO });
  if (!row) throw new SyncError('NOT_FOUND', `There is no staff account with the email ${email}.`);
  if (row.role === 'STUDENT') throw new SyncError('NOT_FOUND', `${email} is a learner, not a staff account.`);
  return toInfo(row);
}

/** Refuses a change that would leave no enabled ADMIN: `target` stops being one. */
async function keepAnAdmin(tx: DbTx, target: StaffInfo, what: string): Promise<void> {
  if (target.role !== 'ADMIN' || target.disabled) return;
  const others = await tx.user.count({ where: { role: 'ADMIN', disabledAt: null, id: { not: target.id } } });
  if (others === 0) {
    throw new SyncError('CONFLICT', `Cannot ${what} ${target.email}: it is the last enabled ADMIN, and this would leave no admin.`);
  }
}

/**
 * A one-time password for a new or reset account: 18 random bytes as base64url (24 characters),
 * which the policy accepts. Shown once to whoever set it; the account should change it.
 */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** Adds a staff account. CONFLICT when the email belongs to an account already (staff or learner). */
export async function addStaff(
  db: Db,
  input: { email: string; name: string; role: StaffRole; password: string },
  actor: Actor,
): Promise<StaffInfo> {
  const v = parseInput(addStaffSchema, input);
  await checkPassword(v.password, { email: v.email, name: v.name });
  const passwordHash = await hashPassword(v.password);
  try {
    return await db.$transaction(async (tx) => {
      await lockStaff(tx);
      const existing = await tx.user.findUnique({ where: { email: v.email }, select: { role: true } });
      if (existing) throw conflictFor(v.email, existing.role);
      const staff = toInfo(await tx.user.create({ data: { email: v.email, name: v.name, role: v.role, passwordHash }, select: INFO }));
      await writeAuditEvent(tx, { actor, action: 'STAFF_ADDED', userId: staff.id, after: snapshot(staff) });
      return staff;
    }, TX_OPTIONS);
  } catch (err) {
    // A learner created at the same moment by another writer (not under the staff lock).
    if ((err as { code?: string }).code === 'P2002' || pgError(err).code === '23505') throw conflictFor(v.email, null);
    throw err;
  }
}

function conflictFor(email: string, role: string | null): SyncError {
  return role === 'STUDENT'
    ? new SyncError('CONFLICT', `${email} is a learner's email; a staff account needs an email of its own.`)
    : new SyncError('CONFLICT', `An account with the email ${email} already exists.`);
}

/** Every staff account (ADMIN and VIEWER, disabled ones included), by email. */
export async function listStaff(db: Db): Promise<StaffInfo[]> {
  const rows = await db.user.findMany({ where: { role: { in: [...STAFF_ROLES] } }, select: INFO, orderBy: { email: 'asc' } });
  return rows.map(toInfo);
}

/**
 * Changes a staff account's role; it applies on the account's next request. Setting the role it
 * already has changes nothing and writes no event. CONFLICT when it would demote the last ADMIN.
 */
export async function setStaffRole(db: Db, email: string, role: StaffRole, actor: Actor): Promise<StaffInfo> {
  const v = parseInput(setStaffRoleSchema, { email, role });
  return db.$transaction(async (tx) => {
    await lockStaff(tx);
    const before = await findStaff(tx, v.email);
    if (before.role === v.role) return before;
    if (v.role !== 'ADMIN') await keepAnAdmin(tx, before, 'demote');
    const after = toInfo(await tx.user.update({ where: { id: before.id }, data: { role: v.role }, select: INFO }));
    await writeAuditEvent(tx, { actor, action: 'STAFF_ROLE_CHANGED', userId: after.id, before: snapshot(before), after: snapshot(after) });
    return after;
  }, TX_OPTIONS);
}

/**
 * Disables a staff account: it can no longer sign in and its open sessions are refused on their
 * next request. The session version is bumped too, so re-enabling the account does not revive
 * them: it signs in afresh. CONFLICT for one's own account, an account already disabled, or the
 * last ADMIN.
 */
export async function disableStaff(db: Db, email: string, actor: Actor): Promise<StaffInfo> {
  const v = parseInput(staffEmailSchema, { email });
  return db.$transaction(async (tx) => {
    await lockStaff(tx);
    const before = await findStaff(tx, v.email);
    if (actor.userId != null && actor.userId === before.id) throw new SyncError('CONFLICT', 'You cannot disable your own account.');
    if (before.disabled) throw new SyncError('CONFLICT', `${before.email} is already disabled.`);
    await keepAnAdmin(tx, before, 'disable');
    // The database's clock, as every instance reads it.
    await tx.$executeRaw`UPDATE users SET disabled_at = now(), session_version = session_version + 1 WHERE id = ${before.id}`;
    const after = toInfo(await tx.user.findUniqueOrThrow({ where: { id: before.id }, select: INFO }));
    await writeAuditEvent(tx, { actor, action: 'STAFF_DISABLED', userId: after.id, before: snapshot(before), after: snapshot(after) });
    return after;
  }, TX_OPTIONS);
}

/** Re-enables a disabled staff account (its password is unchanged). CONFLICT when it is not disabled. */
export async function enableStaff(db: Db, email: string, actor: Actor): Promise<StaffInfo> {
  const v = parseInput(staffEmailSchema, { email });
  return db.$transaction(async (tx) => {
    await lockStaff(tx);
    const before = await findStaff(tx, v.email);
    if (!before.disabled) throw new SyncError('CONFLICT', `${before.email} is not disabled.`);
    const after = toInfo(await tx.user.update({ where: { id: before.id }, data: { disabledAt: null }, select: INFO }));
    await writeAuditEvent(tx, { actor, action: 'STAFF_ENABLED', userId: after.id, before: snapshot(before), after: snapshot(after) });
    return after;
  }, TX_OPTIONS);
}

/**
 * Sets another account's password (an admin, or the CLI for a lost one). The same statement bumps
 * the account's session version, so every session it has open is refused on its next request.
 */
export async function resetStaffPassword(db: Db, email: string, password: string, actor: Actor): Promise<StaffInfo> {
  const v = parseInput(resetStaffPasswordSchema, { email, password });
  const target = await db.user.findUnique({ where: { email: v.email }, select: { name: true } });
  await checkPassword(v.password, { email: v.email, name: target?.name });
  const passwordHash = await hashPassword(v.password);
  return db.$transaction(async (tx) => {
    await lockStaff(tx);
    const staff = await findStaff(tx, v.email);
    await tx.user.update({ where: { id: staff.id }, data: { passwordHash, sessionVersion: { increment: 1 } } });
    await writeAuditEvent(tx, { actor, action: 'STAFF_PASSWORD_RESET', userId: staff.id, after: snapshot(staff) });
    return staff;
  }, TX_OPTIONS);
}

/**
 * A staff member changes their own password, giving the current one. VALIDATION when the
 * current password is wrong or the new one breaks the policy; NOT_FOUND for no such enabled account.
 * The session version is bumped with it: every session of the account ends, the one that asked
 * included (the page signs it out and asks to sign in with the new password).
 */
export async function changeOwnPassword(db: Db, userId: number, currentPassword: string, newPassword: string): Promise<void> {
  const v = parseInput(changeOwnPasswordSchema, { userId, currentPassword, newPassword });
  const user = await db.user.findUnique({ where: { id: v.userId }, select: { ...INFO, passwordHash: true } });
  if (!user || user.role === 'STUDENT' || user.disabledAt) throw new SyncError('NOT_FOUND', 'There is no such enabled staff account.');
  if (!user.passwordHash || !(await verifyPassword(user.passwordHash, v.currentPassword))) {
    throw new SyncError('VALIDATION', 'The current password is not correct.', {
      issues: [{ path: 'currentPassword', message: 'is not correct' }],
    });
  }
  if (v.newPassword === v.currentPassword) {
    throw new SyncError('VALIDATION', 'The new password must differ from the current one.', {
      issues: [{ path: 'newPassword', message: 'must differ from the current password' }],
    });
  }
  await checkPassword(v.newPassword, { email: user.email, name: user.name });
  const passwordHash = await hashPassword(v.newPassword);
  const staff = toInfo(user);
  await db.$transaction(async (tx) => {
    // Only while the hash is still the one that was verified: two changes at once cannot both win.
    const { count } = await tx.user.updateMany({
      where: { id: user.id, passwordHash: user.passwordHash },
      data: { passwordHash, sessionVersion: { increment: 1 } },
    });
    if (count === 0) throw new SyncError('CONFLICT', 'The password was changed meanwhile; sign in again and retry.');
    await writeAuditEvent(tx, {
      actor: { label: user.email, userId: user.id, source: 'ADMIN' },
      action: 'STAFF_PASSWORD_CHANGED',
      userId: user.id,
      after: snapshot(staff),
    });
  }, TX_OPTIONS);
}
