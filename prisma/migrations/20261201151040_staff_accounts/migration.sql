-- AlterTable
ALTER TABLE "users" ADD COLUMN     "disabled_at" TIMESTAMPTZ(3);

-- Hand-written: only a staff account can be disabled (a learner has no sign-in to disable).
ALTER TABLE "users" ADD CONSTRAINT "users_only_staff_disabled" CHECK ("disabled_at" IS NULL OR "role" <> 'STUDENT');
