-- AlterTable
ALTER TABLE "users" ADD COLUMN     "session_version" INTEGER NOT NULL DEFAULT 1;

-- Hand-written: a session version starts at 1 and only grows (lib/auth/staff.ts bumps it on a
-- password reset or change, which ends the account's other sessions).
ALTER TABLE "users" ADD CONSTRAINT "users_session_version_positive" CHECK ("session_version" >= 1);
