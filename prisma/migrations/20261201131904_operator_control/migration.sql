-- AlterEnum
ALTER TYPE "SyncJobStatus" ADD VALUE 'CANCELLED';

-- AlterEnum
ALTER TYPE "SyncTrigger" ADD VALUE 'UNDO';

-- AlterEnum
ALTER TYPE "SyncItemOutcome" ADD VALUE 'CONFLICT';

-- AlterTable
ALTER TABLE "sync_jobs" ADD COLUMN     "cancelled_by" TEXT,
ADD COLUMN     "conflicts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "scope" JSONB,
ADD COLUMN     "undoes_job_id" INTEGER;

-- AlterTable
ALTER TABLE "sync_job_items" ADD COLUMN     "license_version" INTEGER,
ADD COLUMN     "progress_version" INTEGER;

-- CreateIndex
CREATE INDEX "sync_jobs_trigger_started_at_idx" ON "sync_jobs"("trigger", "started_at");

-- CreateIndex
CREATE INDEX "sync_jobs_actor_started_at_idx" ON "sync_jobs"("actor", "started_at");

-- CreateIndex
CREATE INDEX "sync_jobs_undoes_job_id_idx" ON "sync_jobs"("undoes_job_id");

-- CreateIndex
CREATE INDEX "sync_job_items_job_id_outcome_id_idx" ON "sync_job_items"("job_id", "outcome", "id");

-- CreateIndex
CREATE INDEX "sync_job_items_job_id_user_id_id_idx" ON "sync_job_items"("job_id", "user_id", "id");

-- AddForeignKey
ALTER TABLE "sync_jobs" ADD CONSTRAINT "sync_jobs_undoes_job_id_fkey" FOREIGN KEY ("undoes_job_id") REFERENCES "sync_jobs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Hand-written: invariants of cancel and undo (docs/decisions/015-operator-control.md). The new
-- enum values cannot be used in the transaction that adds them, so the checks compare as text.
ALTER TABLE "sync_jobs"
    ADD CONSTRAINT "sync_jobs_conflicts_nonnegative" CHECK ("conflicts" >= 0),
    -- Only an UNDO job links to the job it undoes (the link is cleared when retention prunes that job).
    ADD CONSTRAINT "sync_jobs_only_undo_links" CHECK ("undoes_job_id" IS NULL OR "trigger"::text = 'UNDO'),
    ADD CONSTRAINT "sync_jobs_undo_not_itself" CHECK ("undoes_job_id" IS DISTINCT FROM "id"),
    -- A CANCELLED job names who cancelled it, and only a CANCELLED job does.
    ADD CONSTRAINT "sync_jobs_cancelled_by_iff_cancelled" CHECK (("status"::text = 'CANCELLED') = ("cancelled_by" IS NOT NULL)),
    ADD CONSTRAINT "sync_jobs_scope_is_object" CHECK ("scope" IS NULL OR jsonb_typeof("scope") = 'object');

ALTER TABLE "sync_job_items"
    ADD CONSTRAINT "sync_job_items_versions_positive" CHECK (coalesce("progress_version", 1) >= 1 AND coalesce("license_version", 1) >= 1);

-- One undo per job: while it runs, and once it has put anything back (an undo that was cancelled,
-- failed, or found only conflicts leaves the job undoable). Two undos checked at once cannot both land.
CREATE UNIQUE INDEX "sync_jobs_one_undo" ON "sync_jobs" ("undoes_job_id")
    WHERE "status" = 'RUNNING' OR ("status" IN ('SUCCEEDED', 'PARTIAL') AND "synced" > 0);
