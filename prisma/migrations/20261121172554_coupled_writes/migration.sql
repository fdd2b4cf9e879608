-- This is an empty migration.
-- Hand-written: the hot path of coupled writes as one server-side function, so a progress update
-- costs one round trip instead of an interactive transaction's seven (see
-- docs/decisions/004-record-progress-in-sql.md). lib/sync/coupled-writes.ts validates input and
-- maps the errors below; lib/sync/level-rules.ts states the same level rule in TypeScript, and a
-- test checks that both agree.
--
-- Errors: SW404 learner has no pair and does not exist / SW409 stale version.

CREATE FUNCTION "sw_record_progress"(
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
    before_json jsonb;
BEGIN
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
    SELECT greatest(base_level, coalesce(max(r."level"), 1)) INTO new_level
        FROM "level_requirements" r
        WHERE r."specialization_id" = p_spec AND r."xp_required" <= new_xp AND r."sessions_required" <= new_sessions;

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

    RETURN QUERY SELECT p."current_level", p."total_xp", p."completed_sessions", p."version",
                        l."current_level", l."started_at", l."last_advanced_at", l."version";
END
$$;
