-- DropForeignKey
ALTER TABLE "level_requirements" DROP CONSTRAINT "level_requirements_specialization_id_fkey";

-- DropForeignKey
ALTER TABLE "specialization_progress" DROP CONSTRAINT "specialization_progress_user_id_fkey";

-- DropForeignKey
ALTER TABLE "specialization_progress" DROP CONSTRAINT "specialization_progress_specialization_id_current_level_fkey";

-- DropForeignKey
ALTER TABLE "user_licenses" DROP CONSTRAINT "user_licenses_user_id_fkey";

-- DropForeignKey
ALTER TABLE "user_licenses" DROP CONSTRAINT "user_licenses_specialization_id_current_level_fkey";

-- AddForeignKey
ALTER TABLE "level_requirements" ADD CONSTRAINT "level_requirements_specialization_id_fkey" FOREIGN KEY ("specialization_id") REFERENCES "specializations"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "specialization_progress" ADD CONSTRAINT "specialization_progress_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "specialization_progress" ADD CONSTRAINT "specialization_progress_specialization_id_current_level_fkey" FOREIGN KEY ("specialization_id", "current_level") REFERENCES "level_requirements"("specialization_id", "level") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "user_licenses" ADD CONSTRAINT "user_licenses_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- AddForeignKey
ALTER TABLE "user_licenses" ADD CONSTRAINT "user_licenses_specialization_id_current_level_fkey" FOREIGN KEY ("specialization_id", "current_level") REFERENCES "level_requirements"("specialization_id", "level") ON DELETE RESTRICT ON UPDATE RESTRICT;

-- ---------------------------------------------------------------------------------------------
-- Hand-written below (kept by `npm run db:migration`): the invariant holes an outside review found.
-- The keys of pairs no longer cascade (the foreign keys above, ON UPDATE RESTRICT); the levels of
-- a specialization are checked at COMMIT, one specialization at a time and race-proof; a license
-- cannot start in the future. See docs/decisions/003-invariants-in-the-database.md.
-- ---------------------------------------------------------------------------------------------

-- The init migration's statement triggers checked the whole table with the writer's own snapshot
-- and at the end of each statement: two concurrent transactions could each pass and jointly break
-- the order, a specialization could be inserted without levels, and nothing said the levels reach
-- max_level. They are replaced by the one check below.
DROP TRIGGER "level_requirements_thresholds" ON "level_requirements";
DROP TRIGGER "specializations_max_level" ON "specializations";
DROP FUNCTION "check_level_requirements"();

-- The one place that enforces a specialization's levels: exactly 1..max_level, and XP and sessions
-- strictly increasing from one level to the next (level 1 requiring nothing stays the CHECK
-- level_requirements_level_one_free; levels >= 1 the CHECK level_requirements_level_positive, so
-- distinct levels counting max_level with max_level the highest are exactly 1..max_level).
--
-- Race-proof: it first writes the specialization's row (a no-op UPDATE), which locks it until the
-- transaction ends, so concurrent checks of one specialization run one after the other. Under READ
-- COMMITTED the queries after the lock take a new snapshot: the waiter checks the levels as
-- committed by the other transaction plus its own changes. Under REPEATABLE READ or SERIALIZABLE,
-- whose snapshot cannot see the other's commit, the write itself fails with 40001
-- (serialization_failure); a SELECT ... FOR UPDATE would not fail there and would check a stale table.
CREATE FUNCTION "check_specialization_levels"(p_spec text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_max integer;
    v_count integer;
    v_top integer;
    v_bad integer;
BEGIN
    UPDATE "specializations" SET "name" = "name" WHERE "id" = p_spec RETURNING "max_level" INTO v_max;
    IF NOT FOUND THEN
        -- Deleted or renamed later in the transaction: its levels cannot outlive it (foreign key),
        -- and a rename queued a check of the new id.
        RETURN;
    END IF;

    SELECT count(*), max(r."level") INTO v_count, v_top
        FROM "level_requirements" r WHERE r."specialization_id" = p_spec;
    IF v_count <> v_max OR v_top IS DISTINCT FROM v_max THEN
        RAISE EXCEPTION 'specialization % must have exactly the levels 1..% (its max_level): it has % level(s), the highest %',
                p_spec, v_max, v_count, coalesce(v_top::text, 'none')
            USING ERRCODE = 'check_violation', CONSTRAINT = 'specializations_levels_one_to_max', TABLE = 'specializations';
    END IF;

    SELECT t."level" INTO v_bad
        FROM (
            SELECT r."level", r."xp_required", r."sessions_required",
                   lag(r."xp_required") OVER w AS prev_xp,
                   lag(r."sessions_required") OVER w AS prev_sessions
            FROM "level_requirements" r
            WHERE r."specialization_id" = p_spec
            WINDOW w AS (ORDER BY r."level")
        ) t
        WHERE t."xp_required" <= t.prev_xp OR t."sessions_required" <= t.prev_sessions
        ORDER BY t."level"
        LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'level requirements of % must strictly increase in XP and sessions: level % does not require more than level %',
                p_spec, v_bad, v_bad - 1
            USING ERRCODE = 'check_violation', CONSTRAINT = 'level_requirements_thresholds_increase', TABLE = 'level_requirements';
    END IF;
END
$$;

CREATE FUNCTION "level_requirements_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM "check_specialization_levels"(OLD."specialization_id");
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW."specialization_id" IS DISTINCT FROM OLD."specialization_id") THEN
        PERFORM "check_specialization_levels"(NEW."specialization_id");
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION "specializations_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM "check_specialization_levels"(NEW."id");
    RETURN NULL;
END
$$;

-- Deferred to COMMIT, so a transaction may insert a specialization and then its levels, or add a
-- level and raise max_level, in either order. (The check's own no-op UPDATE sets "name" only, so
-- it does not fire specializations_levels again.)
CREATE CONSTRAINT TRIGGER "level_requirements_levels"
    AFTER INSERT OR UPDATE OR DELETE ON "level_requirements"
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION "level_requirements_changed"();

CREATE CONSTRAINT TRIGGER "specializations_levels"
    AFTER INSERT OR UPDATE OF "id", "max_level" ON "specializations"
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION "specializations_changed"();

-- A license does not start in the future. A CHECK may not call now(), hence a trigger. The
-- tolerance, 5 minutes, covers clock skew between an application server that sends its own time
-- and the database; the comparison is with clock_timestamp() (the moment of the write) rather than
-- now() (the start of the transaction), so a long transaction writing the current time is not
-- refused. Rows are checked when written: INSERT, or an UPDATE that sets started_at.
CREATE FUNCTION "check_license_started_at"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW."started_at" > clock_timestamp() + interval '5 minutes' THEN
        RAISE EXCEPTION 'license of learner % for % cannot start in the future: started_at %, database time %',
                NEW."user_id", NEW."specialization_id", NEW."started_at", clock_timestamp()
            USING ERRCODE = 'check_violation', CONSTRAINT = 'user_licenses_started_not_in_future',
                  TABLE = 'user_licenses', COLUMN = 'started_at';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER "user_licenses_started_not_in_future"
    BEFORE INSERT OR UPDATE OF "started_at" ON "user_licenses"
    FOR EACH ROW EXECUTE FUNCTION "check_license_started_at"();

-- Existing rows must already follow the new rules, as ADD CONSTRAINT would require: the migration
-- fails (and, being one script, changes nothing) otherwise.
DO $$
DECLARE
    s record;
    n integer;
BEGIN
    FOR s IN SELECT "id" FROM "specializations" ORDER BY "id" LOOP
        PERFORM "check_specialization_levels"(s."id");
    END LOOP;
    SELECT count(*) INTO n FROM "user_licenses" WHERE "started_at" > clock_timestamp() + interval '5 minutes';
    IF n > 0 THEN
        RAISE EXCEPTION '% license(s) start in the future; correct their started_at before migrating', n
            USING ERRCODE = 'check_violation', CONSTRAINT = 'user_licenses_started_not_in_future';
    END IF;
END
$$;
