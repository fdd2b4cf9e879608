-- CreateEnum
CREATE TYPE "IncidentCondition" AS ENUM ('CONSISTENCY_BELOW_TARGET', 'SYNC_OVERDUE', 'SYNC_JOB_FAILED', 'ORPHANS_PRESENT', 'AUDIT_DRIFT', 'WRITER_BURST');

-- CreateEnum
CREATE TYPE "IncidentEventKind" AS ENUM ('OPENED', 'NOTIFIED', 'DELIVERY_FAILED', 'REMINDED', 'ACKNOWLEDGED', 'MUTED', 'RESOLVED');

-- CreateEnum
CREATE TYPE "ChannelKind" AS ENUM ('WEBHOOK', 'SLACK', 'EMAIL');

-- CreateEnum
CREATE TYPE "NotificationEvent" AS ENUM ('OPEN', 'RESOLVED', 'REMINDER', 'TEST');

-- CreateTable
CREATE TABLE "incidents" (
    "id" SERIAL NOT NULL,
    "condition" "IncidentCondition" NOT NULL,
    "subject" TEXT NOT NULL DEFAULT '',
    "opened_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "opened_figures" JSONB NOT NULL,
    "resolved_at" TIMESTAMPTZ(3),
    "resolved_figures" JSONB,
    "acknowledged_at" TIMESTAMPTZ(3),
    "acknowledged_by" TEXT,
    "ack_note" TEXT,
    "last_notice_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "incidents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "incident_events" (
    "id" BIGSERIAL NOT NULL,
    "incident_id" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "kind" "IncidentEventKind" NOT NULL,
    "actor" TEXT,
    "detail" JSONB,

    CONSTRAINT "incident_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "notification_channels" (
    "id" SERIAL NOT NULL,
    "kind" "ChannelKind" NOT NULL,
    "name" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "secret" TEXT,
    "conditions" "IncidentCondition"[] DEFAULT ARRAY[]::"IncidentCondition"[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT NOT NULL,

    CONSTRAINT "notification_channels_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deliveries" (
    "id" BIGSERIAL NOT NULL,
    "channel_id" INTEGER NOT NULL,
    "incident_id" INTEGER,
    "event" "NotificationEvent" NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "not_before" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimed_until" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "first_attempt_at" TIMESTAMPTZ(3),
    "last_status" TEXT,
    "last_error" TEXT,
    "delivered_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),

    CONSTRAINT "deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "maintenance_windows" (
    "id" SERIAL NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "conditions" "IncidentCondition"[] DEFAULT ARRAY[]::"IncidentCondition"[],
    "reason" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),

    CONSTRAINT "maintenance_windows_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "incidents_opened_at_idx" ON "incidents"("opened_at");

-- CreateIndex
CREATE INDEX "incidents_resolved_at_idx" ON "incidents"("resolved_at");

-- CreateIndex
CREATE INDEX "incident_events_incident_id_at_idx" ON "incident_events"("incident_id", "at");

-- CreateIndex
CREATE UNIQUE INDEX "notification_channels_name_key" ON "notification_channels"("name");

-- CreateIndex
CREATE INDEX "deliveries_channel_id_id_idx" ON "deliveries"("channel_id", "id");

-- CreateIndex
CREATE INDEX "deliveries_incident_id_id_idx" ON "deliveries"("incident_id", "id");

-- CreateIndex
CREATE INDEX "maintenance_windows_ends_at_idx" ON "maintenance_windows"("ends_at");

-- AddForeignKey
ALTER TABLE "incident_events" ADD CONSTRAINT "incident_events_incident_id_fkey" FOREIGN KEY ("incident_id") REFERENCES "incidents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "notification_channels"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_incident_id_fkey" FOREIGN KEY ("incident_id") REFERENCES "incidents"("id") ON DELETE CASCADE ON UPDATE CASCADE;
-- Hand-written: the invariants of incidents, channels, the outbox and maintenance windows
-- (docs/decisions/016-incidents-and-alerts.md).

-- At most one open incident per condition and subject, whichever instance evaluates.
CREATE UNIQUE INDEX "incidents_one_open" ON "incidents" ("condition", "subject") WHERE "resolved_at" IS NULL;
ALTER TABLE "incidents"
    ADD CONSTRAINT "incidents_resolved_after_opened" CHECK ("resolved_at" IS NULL OR "resolved_at" >= "opened_at"),
    ADD CONSTRAINT "incidents_resolved_with_figures" CHECK (("resolved_at" IS NULL) = ("resolved_figures" IS NULL)),
    ADD CONSTRAINT "incidents_acknowledged_by_someone" CHECK (("acknowledged_at" IS NULL) = ("acknowledged_by" IS NULL)),
    ADD CONSTRAINT "incidents_acknowledged_after_opened" CHECK ("acknowledged_at" IS NULL OR "acknowledged_at" >= "opened_at"),
    ADD CONSTRAINT "incidents_subject_only_for_writers" CHECK ("subject" = '' OR "condition" = 'WRITER_BURST');

ALTER TABLE "notification_channels"
    ADD CONSTRAINT "notification_channels_name_not_blank" CHECK (length(btrim("name")) BETWEEN 1 AND 100),
    ADD CONSTRAINT "notification_channels_target_not_blank" CHECK (length(btrim("target")) BETWEEN 1 AND 2048),
    ADD CONSTRAINT "notification_channels_secret_only_webhooks" CHECK ("secret" IS NULL OR "kind" = 'WEBHOOK'),
    ADD CONSTRAINT "notification_channels_conditions_set" CHECK ("conditions" IS NOT NULL);

ALTER TABLE "deliveries"
    ADD CONSTRAINT "deliveries_attempts_nonnegative" CHECK ("attempts" >= 0),
    ADD CONSTRAINT "deliveries_delivered_or_failed" CHECK ("delivered_at" IS NULL OR "failed_at" IS NULL),
    -- Sent or given up only after an attempt, and the first attempt recorded with it.
    ADD CONSTRAINT "deliveries_finished_after_attempts" CHECK (("delivered_at" IS NULL AND "failed_at" IS NULL) OR "attempts" > 0),
    ADD CONSTRAINT "deliveries_first_attempt_iff_attempted" CHECK (("attempts" > 0) = ("first_attempt_at" IS NOT NULL)),
    ADD CONSTRAINT "deliveries_incident_unless_test" CHECK (("incident_id" IS NULL) = ("event" = 'TEST'));
-- The worker's queue: what is still to send, by when it may be sent.
CREATE INDEX "deliveries_pending" ON "deliveries" ("not_before", "id") WHERE "delivered_at" IS NULL AND "failed_at" IS NULL;

ALTER TABLE "maintenance_windows"
    ADD CONSTRAINT "maintenance_windows_ends_after_start" CHECK ("ends_at" > "starts_at"),
    ADD CONSTRAINT "maintenance_windows_reason_not_blank" CHECK (length(btrim("reason")) BETWEEN 1 AND 500),
    ADD CONSTRAINT "maintenance_windows_conditions_set" CHECK ("conditions" IS NOT NULL);

-- Open pages hear of incidents as they open, change and resolve (lib/events/topics.ts).
CREATE TRIGGER "incidents_notify" AFTER INSERT OR UPDATE ON "incidents" FOR EACH STATEMENT EXECUTE FUNCTION "sw_notify_topic"('incidents');
-- A notice sent or given up shows on the incident's timeline at once.
CREATE TRIGGER "incident_events_notify" AFTER INSERT ON "incident_events" FOR EACH STATEMENT EXECUTE FUNCTION "sw_notify_topic"('incidents');
