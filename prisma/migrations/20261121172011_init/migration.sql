-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('STUDENT', 'VIEWER', 'ADMIN');

-- CreateEnum
CREATE TYPE "DesyncKind" AS ENUM ('LEVEL_MISMATCH', 'MISSING_LICENSE', 'MISSING_PROGRESS', 'ORPHAN_PROGRESS', 'ORPHAN_LICENSE');

-- CreateEnum
CREATE TYPE "SyncJobStatus" AS ENUM ('RUNNING', 'SUCCEEDED', 'PARTIAL', 'FAILED', 'ABANDONED');

-- CreateEnum
CREATE TYPE "SyncTrigger" AS ENUM ('SCHEDULED', 'MANUAL');

-- CreateEnum
CREATE TYPE "SyncItemOutcome" AS ENUM ('SYNCED', 'FAILED', 'REPORTED', 'SKIPPED');

-- CreateEnum
CREATE TYPE "AuditSource" AS ENUM ('APP', 'SYNC_JOB', 'ADMIN', 'CLI');

-- CreateTable
CREATE TABLE "users" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'STUDENT',
    "password_hash" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "specializations" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "max_level" INTEGER NOT NULL,

    CONSTRAINT "specializations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "level_requirements" (
    "specialization_id" TEXT NOT NULL,
    "level" INTEGER NOT NULL,
    "xp_required" INTEGER NOT NULL,
    "sessions_required" INTEGER NOT NULL,

    CONSTRAINT "level_requirements_pkey" PRIMARY KEY ("specialization_id","level")
);

-- CreateTable
CREATE TABLE "specialization_progress" (
    "user_id" INTEGER NOT NULL,
    "specialization_id" TEXT NOT NULL,
    "current_level" INTEGER NOT NULL,
    "total_xp" INTEGER NOT NULL,
    "completed_sessions" INTEGER NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "specialization_progress_pkey" PRIMARY KEY ("user_id","specialization_id")
);

-- CreateTable
CREATE TABLE "user_licenses" (
    "user_id" INTEGER NOT NULL,
    "specialization_id" TEXT NOT NULL,
    "current_level" INTEGER NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "last_advanced_at" TIMESTAMPTZ(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_licenses_pkey" PRIMARY KEY ("user_id","specialization_id")
);

-- CreateTable
CREATE TABLE "current_desyncs" (
    "user_id" INTEGER NOT NULL,
    "specialization_id" TEXT NOT NULL,
    "kind" "DesyncKind" NOT NULL,
    "progress_level" INTEGER,
    "license_level" INTEGER,
    "since" TIMESTAMPTZ(3) NOT NULL,
    "health_check_id" INTEGER NOT NULL,

    CONSTRAINT "current_desyncs_pkey" PRIMARY KEY ("user_id","specialization_id","kind")
);

-- CreateTable
CREATE TABLE "health_checks" (
    "id" SERIAL NOT NULL,
    "checked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "duration_ms" INTEGER NOT NULL,
    "total_pairs" INTEGER NOT NULL,
    "consistent_pairs" INTEGER NOT NULL,
    "consistency_rate" DOUBLE PRECISION NOT NULL,
    "level_mismatch" INTEGER NOT NULL,
    "missing_license" INTEGER NOT NULL,
    "missing_progress" INTEGER NOT NULL,
    "orphan_progress" INTEGER NOT NULL,
    "orphan_license" INTEGER NOT NULL,
    "by_specialization" JSONB NOT NULL,
    "source" "AuditSource" NOT NULL DEFAULT 'APP',

    CONSTRAINT "health_checks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sync_jobs" (
    "id" SERIAL NOT NULL,
    "status" "SyncJobStatus" NOT NULL DEFAULT 'RUNNING',
    "trigger" "SyncTrigger" NOT NULL,
    "actor" TEXT NOT NULL,
    "actor_user_id" INTEGER,
    "reason" TEXT,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "duration_ms" INTEGER,
    "found" INTEGER NOT NULL DEFAULT 0,
    "total" INTEGER NOT NULL DEFAULT 0,
    "done" INTEGER NOT NULL DEFAULT 0,
    "synced" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "reported" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,

    CONSTRAINT "sync_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sync_job_items" (
    "id" BIGSERIAL NOT NULL,
    "job_id" INTEGER NOT NULL,
    "user_id" INTEGER NOT NULL,
    "specialization_id" TEXT NOT NULL,
    "kind" "DesyncKind" NOT NULL,
    "before" JSONB NOT NULL,
    "after" JSONB,
    "outcome" "SyncItemOutcome" NOT NULL,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sync_job_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "actor_user_id" INTEGER,
    "action" TEXT NOT NULL,
    "source" "AuditSource" NOT NULL,
    "user_id" INTEGER,
    "specialization_id" TEXT,
    "before" JSONB,
    "after" JSONB,
    "reason" TEXT,
    "sync_job_id" INTEGER,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE INDEX "specialization_progress_specialization_id_current_level_idx" ON "specialization_progress"("specialization_id", "current_level");

-- CreateIndex
CREATE INDEX "user_licenses_specialization_id_current_level_idx" ON "user_licenses"("specialization_id", "current_level");

-- CreateIndex
CREATE INDEX "current_desyncs_since_user_id_specialization_id_idx" ON "current_desyncs"("since", "user_id", "specialization_id");

-- CreateIndex
CREATE INDEX "current_desyncs_kind_since_idx" ON "current_desyncs"("kind", "since");

-- CreateIndex
CREATE INDEX "current_desyncs_specialization_id_since_idx" ON "current_desyncs"("specialization_id", "since");

-- CreateIndex
CREATE INDEX "health_checks_checked_at_idx" ON "health_checks"("checked_at");

-- CreateIndex
CREATE INDEX "sync_jobs_started_at_idx" ON "sync_jobs"("started_at");

-- CreateIndex
CREATE INDEX "sync_jobs_status_finished_at_idx" ON "sync_jobs"("status", "finished_at");

-- CreateIndex
CREATE INDEX "sync_job_items_job_id_id_idx" ON "sync_job_items"("job_id", "id");

-- CreateIndex
CREATE INDEX "audit_events_at_id_idx" ON "audit_events"("at", "id");

-- CreateIndex
CREATE INDEX "audit_events_actor_at_idx" ON "audit_events"("actor", "at");

-- CreateIndex
CREATE INDEX "audit_events_action_at_idx" ON "audit_events"("action", "at");

-- CreateIndex
CREATE INDEX "audit_events_user_id_specialization_id_idx" ON "audit_events"("user_id", "specialization_id");

-- AddForeignKey
ALTER TABLE "level_requirements" ADD CONSTRAINT "level_requirements_specialization_id_fkey" FOREIGN KEY ("specialization_id") REFERENCES "specializations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "specialization_progress" ADD CONSTRAINT "specialization_progress_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "specialization_progress" ADD CONSTRAINT "specialization_progress_specialization_id_current_level_fkey" FOREIGN KEY ("specialization_id", "current_level") REFERENCES "level_requirements"("specialization_id", "level") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_licenses" ADD CONSTRAINT "user_licenses_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_licenses" ADD CONSTRAINT "user_licenses_specialization_id_current_level_fkey" FOREIGN KEY ("specialization_id", "current_level") REFERENCES "level_requirements"("specialization_id", "level") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "current_desyncs" ADD CONSTRAINT "current_desyncs_health_check_id_fkey" FOREIGN KEY ("health_check_id") REFERENCES "health_checks"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sync_job_items" ADD CONSTRAINT "sync_job_items_job_id_fkey" FOREIGN KEY ("job_id") REFERENCES "sync_jobs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------------------------
-- Hand-written below: invariants Prisma's schema language cannot express, and reference data.
-- (Kept by `npm run db:migration`, which only diffs schema.prisma snapshots.)
-- ---------------------------------------------------------------------------------------------

ALTER TABLE "users"
    ADD CONSTRAINT "users_email_not_blank" CHECK (length(btrim("email")) > 0),
    ADD CONSTRAINT "users_staff_have_password" CHECK ("role" = 'STUDENT' OR "password_hash" IS NOT NULL);

ALTER TABLE "specializations"
    ADD CONSTRAINT "specializations_max_level_range" CHECK ("max_level" BETWEEN 1 AND 100);

ALTER TABLE "level_requirements"
    ADD CONSTRAINT "level_requirements_level_positive" CHECK ("level" >= 1),
    ADD CONSTRAINT "level_requirements_xp_nonnegative" CHECK ("xp_required" >= 0),
    ADD CONSTRAINT "level_requirements_sessions_nonnegative" CHECK ("sessions_required" >= 0),
    ADD CONSTRAINT "level_requirements_level_one_free" CHECK ("level" <> 1 OR ("xp_required" = 0 AND "sessions_required" = 0));

ALTER TABLE "specialization_progress"
    ADD CONSTRAINT "specialization_progress_total_xp_nonnegative" CHECK ("total_xp" >= 0),
    ADD CONSTRAINT "specialization_progress_sessions_nonnegative" CHECK ("completed_sessions" >= 0),
    ADD CONSTRAINT "specialization_progress_version_positive" CHECK ("version" >= 1);

ALTER TABLE "user_licenses"
    ADD CONSTRAINT "user_licenses_version_positive" CHECK ("version" >= 1),
    ADD CONSTRAINT "user_licenses_advanced_after_start" CHECK ("last_advanced_at" IS NULL OR "last_advanced_at" >= "started_at");

ALTER TABLE "sync_jobs"
    ADD CONSTRAINT "sync_jobs_counts_nonnegative" CHECK ("found" >= 0 AND "total" >= 0 AND "done" >= 0 AND "synced" >= 0 AND "failed" >= 0 AND "reported" >= 0),
    ADD CONSTRAINT "sync_jobs_finished_iff_not_running" CHECK (("status" = 'RUNNING') = ("finished_at" IS NULL));

-- At most one sync job runs at a time, across every process and instance.
CREATE UNIQUE INDEX "sync_jobs_one_running" ON "sync_jobs" ((true)) WHERE "status" = 'RUNNING';

-- Every UPDATE of a pair's row, raw SQL from legacy code included, bumps its version (so a screen
-- holding a stale version gets CONFLICT) and its updated_at (so "out of sync since" is honest).
CREATE FUNCTION "touch_pair_row"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW."version" := OLD."version" + 1;
    NEW."updated_at" := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER "specialization_progress_touch" BEFORE UPDATE ON "specialization_progress"
    FOR EACH ROW EXECUTE FUNCTION "touch_pair_row"();
CREATE TRIGGER "user_licenses_touch" BEFORE UPDATE ON "user_licenses"
    FOR EACH ROW EXECUTE FUNCTION "touch_pair_row"();

-- Level thresholds: levels are 1..max_level without gaps, and XP and sessions strictly increase.
CREATE FUNCTION "check_level_requirements"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1
        FROM (
            SELECT r."specialization_id", r."level", r."xp_required", r."sessions_required", s."max_level",
                   lag(r."level") OVER w AS prev_level,
                   lag(r."xp_required") OVER w AS prev_xp,
                   lag(r."sessions_required") OVER w AS prev_sessions
            FROM "level_requirements" r
            JOIN "specializations" s ON s."id" = r."specialization_id"
            WINDOW w AS (PARTITION BY r."specialization_id" ORDER BY r."level")
        ) t
        WHERE t."level" > t."max_level"
           OR (t.prev_level IS NULL AND t."level" <> 1)
           OR (t.prev_level IS NOT NULL AND (t."level" <> t.prev_level + 1
                OR t."xp_required" <= t.prev_xp OR t."sessions_required" <= t.prev_sessions))
    ) THEN
        RAISE EXCEPTION 'level requirements must run 1..max_level with strictly increasing XP and sessions'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER "level_requirements_thresholds"
    AFTER INSERT OR UPDATE OR DELETE ON "level_requirements"
    FOR EACH STATEMENT EXECUTE FUNCTION "check_level_requirements"();

CREATE TRIGGER "specializations_max_level"
    AFTER UPDATE OF "max_level" ON "specializations"
    FOR EACH STATEMENT EXECUTE FUNCTION "check_level_requirements"();

-- Reference data. PLAYER level 2 (25,000 XP, 12 sessions) is the old system's figure.
INSERT INTO "specializations" ("id", "name", "max_level") VALUES
    ('PLAYER', 'Player', 8),
    ('COACH', 'Coach', 8),
    ('INTERNSHIP', 'Internship', 3);

INSERT INTO "level_requirements" ("specialization_id", "level", "xp_required", "sessions_required") VALUES
    ('PLAYER', 1, 0, 0),
    ('PLAYER', 2, 25000, 12),
    ('PLAYER', 3, 55000, 26),
    ('PLAYER', 4, 95000, 42),
    ('PLAYER', 5, 145000, 60),
    ('PLAYER', 6, 200000, 80),
    ('PLAYER', 7, 260000, 102),
    ('PLAYER', 8, 320000, 126),
    ('COACH', 1, 0, 0),
    ('COACH', 2, 20000, 10),
    ('COACH', 3, 45000, 22),
    ('COACH', 4, 80000, 36),
    ('COACH', 5, 125000, 52),
    ('COACH', 6, 180000, 70),
    ('COACH', 7, 240000, 90),
    ('COACH', 8, 300000, 112),
    ('INTERNSHIP', 1, 0, 0),
    ('INTERNSHIP', 2, 15000, 8),
    ('INTERNSHIP', 3, 40000, 20);
