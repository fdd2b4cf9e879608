-- AlterEnum (PostgreSQL 12+ adds several values in one migration; they are not used before it commits)
ALTER TYPE "DesyncKind" ADD VALUE 'INVALID_PROGRESS';
ALTER TYPE "DesyncKind" ADD VALUE 'LICENSE_IN_FUTURE';

-- AlterTable
ALTER TABLE "health_checks" ADD COLUMN     "invalid_progress" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "license_in_future" INTEGER NOT NULL DEFAULT 0;

-- Hand-written: sw_record_progress (migration coupled_writes) takes the desync list's writer
-- lock and keeps its pair's entries in current_desyncs true, so the list never shows a pair
-- this write just made consistent (docs/decisions/011-desync-kinds-and-repair-policy.md).
-- The level rule is unchanged: lib/sync/level-rules.ts#levelEarned states the same in
-- TypeScript, and tests/sync/coupled-writes.test.ts checks that both agree.

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
