-- AlterEnum
ALTER TYPE "AuditSource" ADD VALUE 'API';

-- CreateTable
CREATE TABLE "api_keys" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "scopes" TEXT[],
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_keys" (
    "api_key_id" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "response_status" INTEGER,
    "response_body" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("api_key_id","key")
);

-- CreateTable
CREATE TABLE "api_rate_windows" (
    "api_key_id" INTEGER NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "requests" INTEGER NOT NULL,

    CONSTRAINT "api_rate_windows_pkey" PRIMARY KEY ("api_key_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_name_key" ON "api_keys"("name");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_token_hash_key" ON "api_keys"("token_hash");

-- CreateIndex
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys"("created_at");

-- CreateIndex
CREATE INDEX "sync_job_items_user_id_created_at_idx" ON "sync_job_items"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "audit_events_user_id_at_idx" ON "audit_events"("user_id", "at");

-- AddForeignKey
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_api_key_id_fkey" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written: API keys name only the scopes SyncWatch knows, at least one.
ALTER TABLE "api_keys"
    ADD CONSTRAINT "api_keys_scopes_known" CHECK (
        "scopes" IS NOT NULL AND cardinality("scopes") > 0
        AND "scopes" <@ ARRAY['learners:read', 'learners:write', 'progress:write', 'licenses:write']::text[]),
    ADD CONSTRAINT "api_keys_name_not_blank" CHECK (length(btrim("name")) > 0);
ALTER TABLE "idempotency_keys"
    ADD CONSTRAINT "idempotency_keys_done_with_answer" CHECK (("completed_at" IS NULL) = ("response_status" IS NULL));
ALTER TABLE "api_rate_windows" ADD CONSTRAINT "api_rate_windows_requests_positive" CHECK ("requests" >= 1);

-- Hand-written: every coupled write serializes on its pair even when the pair's rows do not
-- exist yet (a learner's first write). sw_record_progress takes the pair lock that the
-- TypeScript writers take through lib/sync/locks.ts#lockPairs; nothing else changes.

CREATE OR REPLACE FUNCTION "sw_record_progress"(
    p_user integer,
    p_spec text,
    p_xp integer,
    p_sessions integer,
    p_expected_version integer,
    p_actor text,
    p_actor_user integer,
    p_source "AuditSource"
) RETURNS TABLE (
    progress_level integer, total_xp integer, completed_sessions integer, progress_version integer,
    license_level integer, license_started_at timestamptz, license_last_advanced_at timestamptz, license_version integer
) LANGUAGE plpgsql AS $$
DECLARE
    p "specialization_progress"%ROWTYPE;
    l "user_licenses"%ROWTYPE;
    had_progress boolean;
    had_license boolean;
    base_level integer := 1;
    base_xp integer := 0;
    base_sessions integer := 0;
    new_xp bigint;
    new_sessions bigint;
    new_level integer;
    earned_level integer;
    before_json jsonb;
BEGIN
    -- Every SyncWatch writer of a pair holds the desync list's lock shared (lib/sync/locks.ts,
    -- key 0x5e41c5): a health check writes the list holding it exclusively, so its verdict is
    -- never written about a pair while this write is in flight.
    PERFORM pg_advisory_xact_lock_shared(6177221);
    -- The pair's own lock (lib/sync/locks.ts#lockPairs), taken before any row lock: FOR UPDATE
    -- locks nothing when a row does not exist yet, so without it two first writes of a pair would
    -- both take the INSERT branch and the second would fail on the primary key.
    PERFORM pg_advisory_xact_lock(hashtext('sw-pair:' || p_spec), p_user);
    -- Fixed lock order everywhere in SyncWatch: progress, then license.
    SELECT * INTO p FROM "specialization_progress"
        WHERE "user_id" = p_user AND "specialization_id" = p_spec FOR UPDATE;
    had_progress := FOUND;
    SELECT * INTO l FROM "user_licenses"
        WHERE "user_id" = p_user AND "specialization_id" = p_spec FOR UPDATE;
    had_license := FOUND;

    IF p_expected_version IS NOT NULL AND (NOT had_progress OR p."version" <> p_expected_version) THEN
        RAISE EXCEPTION 'stale version: expected %, found %', p_expected_version, p."version"
            USING ERRCODE = 'SW409';
    END IF;

    before_json := jsonb_build_object(
        'progressLevel', p."current_level", 'licenseLevel', l."current_level",
        'totalXp', p."total_xp", 'completedSessions', p."completed_sessions");

    IF had_progress THEN
        base_level := p."current_level";
        base_xp := p."total_xp";
        base_sessions := p."completed_sessions";
    ELSIF had_license THEN
        -- License without progress: progress starts at the license level's minimum.
        SELECT r."level", r."xp_required", r."sessions_required" INTO base_level, base_xp, base_sessions
            FROM "level_requirements" r WHERE r."specialization_id" = p_spec AND r."level" = l."current_level";
    END IF;

    new_xp := base_xp::bigint + p_xp;
    new_sessions := base_sessions::bigint + p_sessions;
    -- The highest level whose XP and sessions are both met; never lower than the current one.
    SELECT coalesce(max(r."level"), 1) INTO earned_level
        FROM "level_requirements" r
        WHERE r."specialization_id" = p_spec AND r."xp_required" <= new_xp AND r."sessions_required" <= new_sessions;
    new_level := greatest(base_level, earned_level);

    IF had_progress THEN
        UPDATE "specialization_progress"
            SET "total_xp" = new_xp, "completed_sessions" = new_sessions, "current_level" = new_level
            WHERE "user_id" = p_user AND "specialization_id" = p_spec
            RETURNING * INTO p;
    ELSE
        INSERT INTO "specialization_progress" ("user_id", "specialization_id", "current_level", "total_xp", "completed_sessions")
            VALUES (p_user, p_spec, new_level, new_xp, new_sessions)
            RETURNING * INTO p;
    END IF;

    IF NOT had_license THEN
        INSERT INTO "user_licenses" ("user_id", "specialization_id", "current_level", "started_at")
            VALUES (p_user, p_spec, new_level, now())
            RETURNING * INTO l;
    ELSIF l."current_level" <> new_level THEN
        UPDATE "user_licenses"
            SET "current_level" = new_level, "last_advanced_at" = greatest(now(), "started_at")
            WHERE "user_id" = p_user AND "specialization_id" = p_spec
            RETURNING * INTO l;
    END IF;

    INSERT INTO "audit_events" ("actor", "actor_user_id", "action", "source", "user_id", "specialization_id", "before", "after")
        VALUES (p_actor, p_actor_user, 'RECORD_PROGRESS', p_source, p_user, p_spec, before_json,
                jsonb_build_object('progressLevel', p."current_level", 'licenseLevel', l."current_level",
                                   'totalXp', p."total_xp", 'completedSessions', p."completed_sessions",
                                   'xpGained', p_xp, 'sessionsCompleted', p_sessions));

    -- The pair's entries in the current-desync list: this write leaves both rows at one level,
    -- so a missing side or a level mismatch is gone; invalid progress is gone when the level is
    -- the one the XP and sessions earn; a license start in the future is untouched here.
    DELETE FROM "current_desyncs" d
        WHERE d."user_id" = p_user AND d."specialization_id" = p_spec
          AND (d."kind" IN ('LEVEL_MISMATCH', 'MISSING_LICENSE', 'MISSING_PROGRESS')
               OR (d."kind" = 'INVALID_PROGRESS' AND new_level = earned_level)
               OR (d."kind" = 'LICENSE_IN_FUTURE' AND l."started_at" <= now()));

    RETURN QUERY SELECT p."current_level", p."total_xp", p."completed_sessions", p."version",
                        l."current_level", l."started_at", l."last_advanced_at", l."version";
END
$$;
