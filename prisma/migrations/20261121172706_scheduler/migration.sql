-- CreateEnum
CREATE TYPE "ScheduleName" AS ENUM ('HEALTH_CHECK', 'SYNC', 'RETENTION');

-- CreateEnum
CREATE TYPE "ScheduleRunStatus" AS ENUM ('RUNNING', 'SUCCEEDED', 'SKIPPED', 'FAILED', 'ABANDONED');

-- CreateTable
CREATE TABLE "schedule_runs" (
    "id" SERIAL NOT NULL,
    "schedule" "ScheduleName" NOT NULL,
    "occurrence_at" TIMESTAMPTZ(3) NOT NULL,
    "status" "ScheduleRunStatus" NOT NULL DEFAULT 'RUNNING',
    "instance_id" TEXT NOT NULL,
    "claimed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeat_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),
    "detail" TEXT,
    "sync_job_id" INTEGER,
    "health_check_id" INTEGER,

    CONSTRAINT "schedule_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scheduler_state" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "first_started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scheduler_state_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "schedule_runs_claimed_at_idx" ON "schedule_runs"("claimed_at");

-- CreateIndex
CREATE UNIQUE INDEX "schedule_runs_schedule_occurrence_at_key" ON "schedule_runs"("schedule", "occurrence_at");

-- ---------------------------------------------------------------------------------------------
-- Hand-written below (kept by `npm run db:migration`).
-- ---------------------------------------------------------------------------------------------

-- A claim is finished exactly when it is no longer RUNNING.
ALTER TABLE "schedule_runs"
    ADD CONSTRAINT "schedule_runs_finished_iff_not_running" CHECK (("status" = 'RUNNING') = ("finished_at" IS NULL));

-- scheduler_state holds one row.
ALTER TABLE "scheduler_state"
    ADD CONSTRAINT "scheduler_state_single_row" CHECK ("id" = 1);

-- The sweep for claims whose instance stopped heartbeating reads only RUNNING rows.
CREATE INDEX "schedule_runs_running_heartbeat" ON "schedule_runs" ("heartbeat_at") WHERE "status" = 'RUNNING';
