-- CreateEnum
CREATE TYPE "ForeignWrites" AS ENUM ('OBSERVE', 'HEAL', 'ENFORCE');

-- CreateEnum
CREATE TYPE "PairEffect" AS ENUM ('BROKE', 'CHANGED', 'FIXED', 'WRITE');

-- CreateEnum
CREATE TYPE "CheckKind" AS ENUM ('SNAPSHOT', 'AUDIT');

-- AlterEnum
ALTER TYPE "AuditSource" ADD VALUE 'DATABASE';

-- AlterEnum
ALTER TYPE "ScheduleName" ADD VALUE 'AUDIT';

-- DropForeignKey
ALTER TABLE "current_desyncs" DROP CONSTRAINT "current_desyncs_health_check_id_fkey";

-- AlterTable
ALTER TABLE "current_desyncs" DROP COLUMN "health_check_id",
ADD COLUMN     "cause_event_id" BIGINT,
ADD COLUMN     "caused_by" TEXT NOT NULL DEFAULT 'audit';
ALTER TABLE "current_desyncs" ALTER COLUMN "caused_by" DROP DEFAULT;

-- AlterTable
ALTER TABLE "health_checks" ADD COLUMN     "drift" INTEGER,
ADD COLUMN     "drift_detail" JSONB,
ADD COLUMN     "kind" "CheckKind" NOT NULL DEFAULT 'SNAPSHOT';

-- CreateTable
CREATE TABLE "pair_events" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "txid" BIGINT,
    "user_id" INTEGER NOT NULL,
    "specialization_id" TEXT NOT NULL,
    "effect" "PairEffect" NOT NULL,
    "kind" "DesyncKind",
    "side" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "writer" TEXT NOT NULL,
    "writer_kind" TEXT NOT NULL,
    "db_user" TEXT,
    "application_name" TEXT,
    "client_addr" TEXT,

    CONSTRAINT "pair_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sw_count_deltas" (
    "id" BIGSERIAL NOT NULL,
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "n" BIGINT NOT NULL,

    CONSTRAINT "sw_count_deltas_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sw_pending" (
    "id" BIGSERIAL NOT NULL,
    "xid" BIGINT NOT NULL,
    "user_id" INTEGER NOT NULL,
    "spec" TEXT NOT NULL,
    "side" TEXT NOT NULL,
    "old_level" INTEGER,
    "new_level" INTEGER,
    "old_xp" INTEGER,
    "new_xp" INTEGER,
    "old_sessions" INTEGER,
    "new_sessions" INTEGER,
    "old_started_at" TIMESTAMPTZ(3),
    "new_started_at" TIMESTAMPTZ(3),

    CONSTRAINT "sw_pending_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sw_pending_tx" (
    "xid" BIGINT NOT NULL,

    CONSTRAINT "sw_pending_tx_pkey" PRIMARY KEY ("xid")
);

-- CreateTable
CREATE TABLE "sw_audit_candidates" (
    "check_id" INTEGER NOT NULL,
    "user_id" INTEGER NOT NULL,
    "specialization_id" TEXT NOT NULL,

    CONSTRAINT "sw_audit_candidates_pkey" PRIMARY KEY ("check_id","user_id","specialization_id")
);

-- CreateTable
CREATE TABLE "sw_state" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "foreign_writes" "ForeignWrites" NOT NULL DEFAULT 'OBSERVE',
    "audit_requested_at" TIMESTAMPTZ(3),
    "audit_request_reason" TEXT,

    CONSTRAINT "sw_state_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "pair_events_at_idx" ON "pair_events"("at");

-- CreateIndex
CREATE INDEX "pair_events_user_id_at_idx" ON "pair_events"("user_id", "at");

-- CreateIndex
CREATE INDEX "pair_events_writer_at_idx" ON "pair_events"("writer", "at");

-- CreateIndex
CREATE INDEX "sw_count_deltas_scope_key_idx" ON "sw_count_deltas"("scope", "key");

-- CreateIndex
CREATE INDEX "sw_pending_xid_idx" ON "sw_pending"("xid");

-- CreateIndex
CREATE INDEX "current_desyncs_caused_by_since_idx" ON "current_desyncs"("caused_by", "since");

-- Hand-written: detection at commit (docs/decisions/014-detection-at-commit.md).
--
-- Every write of a pair's rows, by any writer (SyncWatch, its API, psql, legacy SQL), notes the
-- pair in sw_pending and queues ONE deferred judge per transaction (a row in sw_pending_tx, whose
-- constraint trigger fires at commit). The judge locks the pairs it judges (sorted, so judges never
-- deadlock), then, in a statement whose snapshot sees every transaction that judged them before,
-- classifies each pair (sw_desync_kind, the SQL twin of lib/sync/classify.ts), updates the desync
-- set and its counters, and records who caused each change (pair_events). A coupled write's two
-- statements are therefore judged on the committed state, never between them.
--   - Inserts and deletes are noted set-based, by statement triggers over transition tables.
--   - Updates are noted by row triggers whose WHEN clause lets through only changes that can move
--     a verdict (a key, a level, a progress crossing its level's rules, a license start): an XP
--     write inside its level's band never reaches PL/pgSQL.
--   - A TRUNCATE, a disabled trigger or session_replication_role = replica bypass all this: the
--     full audit (lib/sync/audit-pass.ts) finds and repairs the difference and records it as drift.

ALTER TABLE "sw_pending" SET UNLOGGED;
ALTER TABLE "sw_pending_tx" SET UNLOGGED;
ALTER TABLE "sw_audit_candidates" SET UNLOGGED;
ALTER TABLE "sw_pending" ADD CONSTRAINT "sw_pending_side_known" CHECK ("side" IN ('P', 'L', 'R', 'X'));
ALTER TABLE "pair_events" ADD CONSTRAINT "pair_events_side_known"
    CHECK ("side" IN ('progress', 'license', 'both', 'requirements', 'none'));
ALTER TABLE "sw_count_deltas" ADD CONSTRAINT "sw_count_deltas_scope_known" CHECK ("scope" IN ('progress_rows', 'desyncs', 'caused'));
ALTER TABLE "sw_state" ADD CONSTRAINT "sw_state_single_row" CHECK ("id" = 1);
INSERT INTO "sw_state" ("id") VALUES (1);

-- The level rules as one expression: true when a progress row's level is not in its
-- specialization's table, its XP or sessions are below that level's minimum, or they meet the next
-- level's (thresholds strictly increase, so meeting any higher level means meeting the next one).
-- Generated from level_requirements with the thresholds as literals, so that it inlines into a
-- trigger's WHEN clause and the audit's scan without a look-up per row; regenerated by the judge
-- at the commit of a transaction that changed level_requirements (before it judges), so that two
-- such transactions wait for each other only at commit, as their level checks already do.
CREATE FUNCTION "sw_regenerate_rules"() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    body text;
BEGIN
    SELECT string_agg(format('WHEN %L THEN CASE lvl %s ELSE true END', s."specialization_id", s.whens), ' '
                      ORDER BY s."specialization_id")
        INTO body
        FROM (SELECT r."specialization_id",
                     string_agg(format('WHEN %s THEN NOT (xp >= %s AND se >= %s)%s', r."level", r."xp_required", r."sessions_required",
                                       CASE WHEN n."level" IS NULL THEN ''
                                            ELSE format(' OR (xp >= %s AND se >= %s)', n."xp_required", n."sessions_required") END),
                                ' ' ORDER BY r."level") AS whens
              FROM "level_requirements" r
              LEFT JOIN "level_requirements" n ON n."specialization_id" = r."specialization_id" AND n."level" = r."level" + 1
              GROUP BY r."specialization_id") s;
    EXECUTE format(
        'CREATE OR REPLACE FUNCTION "sw_progress_breaks_rules"(spec text, lvl integer, xp integer, se integer) '
        'RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS %L',
        'SELECT ' || CASE WHEN body IS NULL THEN 'true' ELSE format('CASE spec %s ELSE true END', body) END);
END
$$;
SELECT "sw_regenerate_rules"();

-- The classifier, in the order of lib/sync/classify.ts#classifyPair (tests/sync/classify-sql.test.ts
-- holds the two to the same answers).
CREATE FUNCTION "sw_desync_kind"(
    orphan boolean, has_progress boolean, progress_breaks boolean, has_license boolean,
    progress_level integer, license_level integer, license_in_future boolean
) RETURNS "DesyncKind" LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN NOT has_progress AND NOT has_license THEN NULL
        WHEN orphan THEN CASE WHEN has_progress THEN 'ORPHAN_PROGRESS'::"DesyncKind" ELSE 'ORPHAN_LICENSE'::"DesyncKind" END
        WHEN has_progress AND progress_breaks THEN 'INVALID_PROGRESS'::"DesyncKind"
        WHEN NOT has_license THEN 'MISSING_LICENSE'::"DesyncKind"
        WHEN NOT has_progress THEN 'MISSING_PROGRESS'::"DesyncKind"
        WHEN progress_level <> license_level THEN 'LEVEL_MISMATCH'::"DesyncKind"
        WHEN license_in_future THEN 'LICENSE_IN_FUTURE'::"DesyncKind"
    END
$$;

-- A license starting in the future. started_at keeps milliseconds, so a start written as now() may
-- round up to just past the statement's time: that is not the future.
CREATE FUNCTION "sw_license_in_future"(started_at timestamptz) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT started_at > statement_timestamp() + interval '1 millisecond'
$$;

-- SyncWatch's own writers name themselves (lib/sync/writers.ts); the judge reads the name.
CREATE FUNCTION "sw_writer_label"(source "AuditSource", label text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN source = 'API' THEN 'api:' || label ELSE label END
$$;
CREATE FUNCTION "sw_set_writer"(source "AuditSource", label text) RETURNS void LANGUAGE sql AS $$
    SELECT set_config('syncwatch.writer', "sw_writer_label"(source, label), true),
           set_config('syncwatch.writer_kind', source::text, true);
$$;

-- Queues this transaction's judge once (a transaction-local setting remembers it; a rolled-back
-- savepoint rolls both back).
CREATE FUNCTION "sw_queue_judge"() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('syncwatch.judge', true), '') = '' THEN
        PERFORM set_config('syncwatch.judge', 'queued', true);
        INSERT INTO "sw_pending_tx" ("xid") VALUES (pg_current_xact_id()::text::bigint) ON CONFLICT DO NOTHING;
    END IF;
END
$$;

-- INSERT and DELETE of progress rows, noted set-based from the statement's transition table; the
-- progress-row counters move with them.
CREATE FUNCTION "sw_progress_inserted_or_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "sw_pending" ("xid", "user_id", "spec", "side", "new_level", "new_xp", "new_sessions")
            SELECT pg_current_xact_id()::text::bigint, n."user_id", n."specialization_id", 'P', n."current_level", n."total_xp", n."completed_sessions"
            FROM new_rows n;
        IF FOUND THEN
            INSERT INTO "sw_count_deltas" ("scope", "key", "n")
                SELECT 'progress_rows', n."specialization_id", count(*) FROM new_rows n GROUP BY n."specialization_id";
        END IF;
    ELSE
        INSERT INTO "sw_pending" ("xid", "user_id", "spec", "side", "old_level", "old_xp", "old_sessions")
            SELECT pg_current_xact_id()::text::bigint, o."user_id", o."specialization_id", 'P', o."current_level", o."total_xp", o."completed_sessions"
            FROM old_rows o;
        IF FOUND THEN
            INSERT INTO "sw_count_deltas" ("scope", "key", "n")
                SELECT 'progress_rows', o."specialization_id", -count(*) FROM old_rows o GROUP BY o."specialization_id";
        END IF;
    END IF;
    IF FOUND THEN PERFORM "sw_queue_judge"(); END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION "sw_progress_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    x bigint := pg_current_xact_id()::text::bigint;
BEGIN
    IF (OLD."user_id", OLD."specialization_id") = (NEW."user_id", NEW."specialization_id") THEN
        INSERT INTO "sw_pending" ("xid", "user_id", "spec", "side", "old_level", "new_level", "old_xp", "new_xp", "old_sessions", "new_sessions")
            VALUES (x, NEW."user_id", NEW."specialization_id", 'P', OLD."current_level", NEW."current_level",
                    OLD."total_xp", NEW."total_xp", OLD."completed_sessions", NEW."completed_sessions");
    ELSE
        -- The row moved to another pair: the old pair lost it, the new one gained it.
        INSERT INTO "sw_pending" ("xid", "user_id", "spec", "side", "old_level", "new_level", "old_xp", "new_xp", "old_sessions", "new_sessions")
            VALUES (x, OLD."user_id", OLD."specialization_id", 'P', OLD."current_level", NULL, OLD."total_xp", NULL, OLD."completed_sessions", NULL),
                   (x, NEW."user_id", NEW."specialization_id", 'P', NULL, NEW."current_level", NULL, NEW."total_xp", NULL, NEW."completed_sessions");
        IF OLD."specialization_id" <> NEW."specialization_id" THEN
            INSERT INTO "sw_count_deltas" ("scope", "key", "n")
                VALUES ('progress_rows', OLD."specialization_id", -1), ('progress_rows', NEW."specialization_id", 1);
        END IF;
    END IF;
    PERFORM "sw_queue_judge"();
    RETURN NULL;
END
$$;

CREATE FUNCTION "sw_license_inserted_or_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "sw_pending" ("xid", "user_id", "spec", "side", "new_level", "new_started_at")
            SELECT pg_current_xact_id()::text::bigint, n."user_id", n."specialization_id", 'L', n."current_level", n."started_at" FROM new_rows n;
    ELSE
        INSERT INTO "sw_pending" ("xid", "user_id", "spec", "side", "old_level", "old_started_at")
            SELECT pg_current_xact_id()::text::bigint, o."user_id", o."specialization_id", 'L', o."current_level", o."started_at" FROM old_rows o;
    END IF;
    IF FOUND THEN PERFORM "sw_queue_judge"(); END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION "sw_license_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    x bigint := pg_current_xact_id()::text::bigint;
BEGIN
    IF (OLD."user_id", OLD."specialization_id") = (NEW."user_id", NEW."specialization_id") THEN
        INSERT INTO "sw_pending" ("xid", "user_id", "spec", "side", "old_level", "new_level", "old_started_at", "new_started_at")
            VALUES (x, NEW."user_id", NEW."specialization_id", 'L', OLD."current_level", NEW."current_level", OLD."started_at", NEW."started_at");
    ELSE
        INSERT INTO "sw_pending" ("xid", "user_id", "spec", "side", "old_level", "new_level", "old_started_at", "new_started_at")
            VALUES (x, OLD."user_id", OLD."specialization_id", 'L', OLD."current_level", NULL, OLD."started_at", NULL),
                   (x, NEW."user_id", NEW."specialization_id", 'L', NULL, NEW."current_level", NULL, NEW."started_at");
    END IF;
    PERFORM "sw_queue_judge"();
    RETURN NULL;
END
$$;

CREATE TRIGGER "specialization_progress_note_insert" AFTER INSERT ON "specialization_progress"
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "sw_progress_inserted_or_deleted"();
CREATE TRIGGER "specialization_progress_note_delete" AFTER DELETE ON "specialization_progress"
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "sw_progress_inserted_or_deleted"();
-- The WHEN clause calls the rules through a PL/pgSQL wrapper: a WHEN clause is prepared for every
-- UPDATE statement, and inlining the generated SQL function there (twice) measured 0.3 ms per
-- single-row UPDATE, where the wrapper's cached plan costs microseconds (docs/performance.md).
CREATE FUNCTION "sw_breaks_rules"(spec text, lvl integer, xp integer, se integer) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN "sw_progress_breaks_rules"(spec, lvl, xp, se);
END
$$;
CREATE TRIGGER "specialization_progress_note_update" AFTER UPDATE ON "specialization_progress" FOR EACH ROW
    WHEN (OLD."user_id" <> NEW."user_id" OR OLD."specialization_id" <> NEW."specialization_id"
          OR OLD."current_level" <> NEW."current_level"
          OR ((OLD."total_xp", OLD."completed_sessions") IS DISTINCT FROM (NEW."total_xp", NEW."completed_sessions")
              AND "sw_breaks_rules"(OLD."specialization_id", OLD."current_level", OLD."total_xp", OLD."completed_sessions")
                  <> "sw_breaks_rules"(NEW."specialization_id", NEW."current_level", NEW."total_xp", NEW."completed_sessions")))
    EXECUTE FUNCTION "sw_progress_updated"();
CREATE TRIGGER "user_licenses_note_insert" AFTER INSERT ON "user_licenses"
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "sw_license_inserted_or_deleted"();
CREATE TRIGGER "user_licenses_note_delete" AFTER DELETE ON "user_licenses"
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "sw_license_inserted_or_deleted"();
CREATE TRIGGER "user_licenses_note_update" AFTER UPDATE ON "user_licenses" FOR EACH ROW
    WHEN (OLD."user_id" <> NEW."user_id" OR OLD."specialization_id" <> NEW."specialization_id"
          OR OLD."current_level" <> NEW."current_level" OR OLD."started_at" IS DISTINCT FROM NEW."started_at")
    EXECUTE FUNCTION "sw_license_updated"();

-- A threshold change can move the verdict of every progress row at the changed level or the one
-- below it (whose "earns the next level" it changes): those pairs are noted for the judge.
CREATE FUNCTION "sw_requirements_note"(specs text[], levels integer[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    -- Until this transaction commits, the WHEN clauses of every other transaction still use the
    -- rules as they were: an XP write that crosses only a new threshold would go unnoted, and this
    -- judge, which reads only what is committed, would miss it. So progress writers and a threshold
    -- change exclude each other: this waits for the writers in flight (whose rows are then noted
    -- below), and writers wait for this commit (and then see the regenerated rules). Threshold
    -- changes are rare admin edits; two of them do not exclude each other (SHARE with SHARE).
    LOCK TABLE "specialization_progress" IN SHARE MODE;
    -- Within this transaction the WHEN clauses still use the rules as they were: a row they then
    -- let through unnoted is at a level whose rules did not change, or is noted right here.
    PERFORM set_config('syncwatch.rules_changed', 'on', true);
    PERFORM "sw_queue_judge"();
    INSERT INTO "sw_pending" ("xid", "user_id", "spec", "side", "old_level", "new_level", "old_xp", "new_xp", "old_sessions", "new_sessions")
        SELECT pg_current_xact_id()::text::bigint, p."user_id", p."specialization_id", 'R', p."current_level", p."current_level",
               p."total_xp", p."total_xp", p."completed_sessions", p."completed_sessions"
        FROM "specialization_progress" p
        WHERE (p."specialization_id", p."current_level") IN (
            SELECT DISTINCT c.s, c.l + d.d FROM unnest(specs, levels) AS c(s, l) CROSS JOIN (VALUES (0), (-1)) AS d(d));
END
$$;
CREATE FUNCTION "sw_requirements_inserted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM "sw_requirements_note"(ARRAY(SELECT "specialization_id" FROM new_rows), ARRAY(SELECT "level" FROM new_rows));
    RETURN NULL;
END
$$;
CREATE FUNCTION "sw_requirements_deleted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM "sw_requirements_note"(ARRAY(SELECT "specialization_id" FROM old_rows), ARRAY(SELECT "level" FROM old_rows));
    RETURN NULL;
END
$$;
CREATE FUNCTION "sw_requirements_updated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM "sw_requirements_note"(
        ARRAY(SELECT "specialization_id" FROM new_rows UNION ALL SELECT "specialization_id" FROM old_rows),
        ARRAY(SELECT "level" FROM new_rows UNION ALL SELECT "level" FROM old_rows));
    RETURN NULL;
END
$$;
CREATE TRIGGER "level_requirements_note_insert" AFTER INSERT ON "level_requirements"
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "sw_requirements_inserted"();
CREATE TRIGGER "level_requirements_note_delete" AFTER DELETE ON "level_requirements"
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "sw_requirements_deleted"();
CREATE TRIGGER "level_requirements_note_update" AFTER UPDATE ON "level_requirements"
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "sw_requirements_updated"();

-- TRUNCATE fires no row triggers: the counters it invalidates are reset, and the next snapshot
-- runs a full audit at once (the set's entries for the truncated side are now wrong).
CREATE FUNCTION "sw_pair_table_truncated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'specialization_progress' THEN
        DELETE FROM "sw_count_deltas" WHERE "scope" = 'progress_rows';
    END IF;
    UPDATE "sw_state" SET "audit_requested_at" = now(), "audit_request_reason" = 'TRUNCATE ' || TG_TABLE_NAME WHERE "id" = 1;
    RETURN NULL;
END
$$;
CREATE FUNCTION "sw_desyncs_truncated"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM "sw_count_deltas" WHERE "scope" = 'desyncs';
    RETURN NULL;
END
$$;
CREATE TRIGGER "specialization_progress_truncated" AFTER TRUNCATE ON "specialization_progress"
    FOR EACH STATEMENT EXECUTE FUNCTION "sw_pair_table_truncated"();
CREATE TRIGGER "user_licenses_truncated" AFTER TRUNCATE ON "user_licenses"
    FOR EACH STATEMENT EXECUTE FUNCTION "sw_pair_table_truncated"();
CREATE TRIGGER "current_desyncs_truncated" AFTER TRUNCATE ON "current_desyncs"
    FOR EACH STATEMENT EXECUTE FUNCTION "sw_desyncs_truncated"();

-- The desync counters follow the set itself, in the statement that changes it, whoever writes it:
-- the judge, or a hand deleting entries (a clean-up, a tamperer). Counters and set then never
-- disagree (a TRUNCATE resets both), so the audit's correction of the counters measures counters
-- written to directly, and a set edited by hand is drift once (its entries), not twice.
CREATE FUNCTION "sw_desyncs_counted"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO "sw_count_deltas" ("scope", "key", "n")
            SELECT 'desyncs', n."kind"::text || ':' || n."specialization_id", count(*) FROM new_rows n GROUP BY n."kind", n."specialization_id";
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO "sw_count_deltas" ("scope", "key", "n")
            SELECT 'desyncs', o."kind"::text || ':' || o."specialization_id", -count(*) FROM old_rows o GROUP BY o."kind", o."specialization_id";
    ELSE
        -- An entry's kind or specialization changed in place (never by the judge, which only updates levels).
        INSERT INTO "sw_count_deltas" ("scope", "key", "n")
            VALUES ('desyncs', OLD."kind"::text || ':' || OLD."specialization_id", -1),
                   ('desyncs', NEW."kind"::text || ':' || NEW."specialization_id", 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER "current_desyncs_count_insert" AFTER INSERT ON "current_desyncs"
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "sw_desyncs_counted"();
CREATE TRIGGER "current_desyncs_count_delete" AFTER DELETE ON "current_desyncs"
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "sw_desyncs_counted"();
CREATE TRIGGER "current_desyncs_count_update" AFTER UPDATE OF "kind", "specialization_id" ON "current_desyncs" FOR EACH ROW
    WHEN (OLD."kind" IS DISTINCT FROM NEW."kind" OR OLD."specialization_id" IS DISTINCT FROM NEW."specialization_id")
    EXECUTE FUNCTION "sw_desyncs_counted"();

-- Judges pairs: locks them, classifies them on the latest committed state (plus this
-- transaction's own writes), brings their entries in the desync set and its counters up to date,
-- and records each change with its cause. Pending rows of transaction `x` say what was written;
-- x is NULL when the audit or the clock re-judges. Returns the pairs whose entry changed and, when
-- `collect`, the pairs this judgement broke (for FOREIGN_WRITES=enforce).
--
-- Its statement takes arrays, so PostgreSQL would plan it anew at every call (a custom plan per
-- call measured 2.6 ms per judged pair, a generic plan 0.44 ms): the plan is forced generic.
CREATE FUNCTION "sw_judge_pairs"(
    users integer[], specs text[], x bigint, p_writer text, p_writer_kind text, collect boolean DEFAULT false
) RETURNS TABLE (changed integer, broke integer, broken jsonb) LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    -- Per-pair serialization: another transaction judging one of these pairs holds its lock until
    -- it commits, and the statement below, started after the lock, sees that commit. The locks
    -- are 1,024 buckets of pairs, not one per pair: the server's lock table holds a few thousand
    -- locks per connection, and one per pair made a transaction writing 20,000 pairs fail with
    -- "out of shared memory". Two pairs in one bucket only wait for each other a little longer.
    PERFORM count(pg_advisory_xact_lock(1398229572, k.b))   -- 1398229572: 'SWJD', the judge's namespace
        FROM (SELECT DISTINCT hashtext(t.s || ':' || t.u) & 1023 AS b FROM unnest(users, specs) AS t(u, s) ORDER BY 1 OFFSET 0) k;
    WITH keys AS MATERIALIZED (SELECT DISTINCT t.u AS user_id, t.s AS spec FROM unnest(users, specs) AS t(u, s)),
    pend AS (DELETE FROM "sw_pending" p WHERE x IS NOT NULL AND p."xid" = x RETURNING p.*),
    written AS (
        SELECT p."user_id", p."spec",
               CASE WHEN bool_or(p."side" = 'P') AND bool_or(p."side" = 'L') THEN 'both'
                    WHEN bool_or(p."side" = 'P') THEN 'progress'
                    WHEN bool_or(p."side" = 'L') THEN 'license'
                    WHEN bool_or(p."side" = 'R') THEN 'requirements'
                    ELSE 'none' END AS side,
               -- Only the sides written; a row that did not exist (before) or no longer does (after) is null.
               CASE WHEN bool_or(p."side" IN ('P', 'R')) THEN jsonb_build_object('progress',
                   (array_agg(CASE WHEN p."old_level" IS NULL THEN 'null'::jsonb ELSE jsonb_build_object(
                       'level', p."old_level", 'totalXp', p."old_xp", 'completedSessions', p."old_sessions") END ORDER BY p."id")
                       FILTER (WHERE p."side" IN ('P', 'R')))[1]) ELSE '{}' END
               || CASE WHEN bool_or(p."side" = 'L') THEN jsonb_build_object('license',
                   (array_agg(CASE WHEN p."old_level" IS NULL THEN 'null'::jsonb ELSE jsonb_build_object(
                       'level', p."old_level", 'startedAt', p."old_started_at") END ORDER BY p."id") FILTER (WHERE p."side" = 'L'))[1])
                   ELSE '{}' END AS before,
               CASE WHEN bool_or(p."side" IN ('P', 'R')) THEN jsonb_build_object('progress',
                   (array_agg(CASE WHEN p."new_level" IS NULL THEN 'null'::jsonb ELSE jsonb_build_object(
                       'level', p."new_level", 'totalXp', p."new_xp", 'completedSessions', p."new_sessions") END ORDER BY p."id" DESC)
                       FILTER (WHERE p."side" IN ('P', 'R')))[1]) ELSE '{}' END
               || CASE WHEN bool_or(p."side" = 'L') THEN jsonb_build_object('license',
                   (array_agg(CASE WHEN p."new_level" IS NULL THEN 'null'::jsonb ELSE jsonb_build_object(
                       'level', p."new_level", 'startedAt', p."new_started_at") END ORDER BY p."id" DESC) FILTER (WHERE p."side" = 'L'))[1])
                   ELSE '{}' END AS after
        FROM pend p GROUP BY p."user_id", p."spec"),
    state AS (
        SELECT k.user_id, k.spec, p."current_level" AS pl, l."current_level" AS ll,
               "sw_desync_kind"(u."id" IS NULL OR s."id" IS NULL, p."user_id" IS NOT NULL,
                                "sw_progress_breaks_rules"(k.spec, p."current_level", p."total_xp", p."completed_sessions"),
                                l."user_id" IS NOT NULL, p."current_level", l."current_level", "sw_license_in_future"(l."started_at")) AS kind
        FROM keys k
        LEFT JOIN "specialization_progress" p ON p."user_id" = k.user_id AND p."specialization_id" = k.spec
        LEFT JOIN "user_licenses" l ON l."user_id" = k.user_id AND l."specialization_id" = k.spec
        LEFT JOIN "users" u ON u."id" = k.user_id
        LEFT JOIN "specializations" s ON s."id" = k.spec),
    old AS (
        SELECT DISTINCT ON (d."user_id", d."specialization_id") d."user_id", d."specialization_id", d."kind", d."progress_level", d."license_level"
        FROM "current_desyncs" d JOIN keys k ON d."user_id" = k.user_id AND d."specialization_id" = k.spec
        ORDER BY d."user_id", d."specialization_id", d."since"),
    verdict AS MATERIALIZED (
        SELECT st.*, o."kind" AS old_kind, o."progress_level" AS old_pl, o."license_level" AS old_ll,
               CASE WHEN o."kind" IS NULL AND st.kind IS NOT NULL THEN 'BROKE'
                    WHEN o."kind" IS NOT NULL AND st.kind IS NULL THEN 'FIXED'
                    WHEN o."kind" <> st.kind THEN 'CHANGED' END AS effect,
               w.side, w.before, w.after
        FROM state st
        LEFT JOIN old o ON o."user_id" = st.user_id AND o."specialization_id" = st.spec
        LEFT JOIN written w ON w."user_id" = st.user_id AND w."spec" = st.spec),
    events AS (
        INSERT INTO "pair_events" ("at", "txid", "user_id", "specialization_id", "effect", "kind", "side", "before", "after",
                                   "writer", "writer_kind", "db_user", "application_name", "client_addr")
        SELECT clock_timestamp(), x, v.user_id, v.spec, coalesce(v.effect, 'WRITE')::"PairEffect", v.kind, coalesce(v.side, 'none'),
               v.before, v.after, p_writer, p_writer_kind, session_user::text, nullif(current_setting('application_name', true), ''),
               host(inet_client_addr())
        FROM verdict v
        WHERE v.effect IS NOT NULL OR (p_writer_kind = 'SQL' AND v.side IS NOT NULL)
        RETURNING "id", "user_id", "specialization_id"),
    -- The desync counters follow these two writes by the set's own triggers (sw_desyncs_counted).
    removed AS (
        DELETE FROM "current_desyncs" d USING verdict v
        WHERE d."user_id" = v.user_id AND d."specialization_id" = v.spec AND d."kind" IS DISTINCT FROM v.kind
        RETURNING 1),
    upserted AS (
        INSERT INTO "current_desyncs" ("user_id", "specialization_id", "kind", "progress_level", "license_level", "since", "caused_by", "cause_event_id")
        SELECT v.user_id, v.spec, v.kind, v.pl, v.ll, clock_timestamp(), p_writer, e."id"
        FROM verdict v LEFT JOIN events e ON e."user_id" = v.user_id AND e."specialization_id" = v.spec
        WHERE v.kind IS NOT NULL AND (v.effect IS NOT NULL OR v.old_pl IS DISTINCT FROM v.pl OR v.old_ll IS DISTINCT FROM v.ll)
        ON CONFLICT ("user_id", "specialization_id", "kind") DO UPDATE
            SET "progress_level" = EXCLUDED."progress_level", "license_level" = EXCLUDED."license_level"
        RETURNING 1),
    deltas AS (
        INSERT INTO "sw_count_deltas" ("scope", "key", "n")
        SELECT 'caused', p_writer, count(*) FROM verdict v WHERE v.effect IN ('BROKE', 'CHANGED') HAVING count(*) > 0
        RETURNING 1)
    SELECT (SELECT count(*) FROM verdict v WHERE v.effect IS NOT NULL
                OR (v.kind IS NOT NULL AND (v.old_pl IS DISTINCT FROM v.pl OR v.old_ll IS DISTINCT FROM v.ll)))::integer,
           (SELECT count(*) FROM verdict v WHERE v.effect IN ('BROKE', 'CHANGED'))::integer,
           CASE WHEN collect THEN (
               SELECT jsonb_agg(jsonb_build_object('userId', v.user_id, 'specializationId', v.spec, 'kind', v.kind,
                                                   'progressLevel', v.pl, 'licenseLevel', v.ll) ORDER BY v.user_id, v.spec)
               FROM verdict v WHERE v.effect IN ('BROKE', 'CHANGED')) END
    INTO changed, broke, broken;
    -- Open pages refetch (lib/events); notifications are sent at commit, duplicates folded.
    IF changed > 0 THEN
        PERFORM pg_notify('syncwatch', 'desyncs');
    END IF;
    RETURN NEXT;
END
$$;

-- FOREIGN_WRITES=heal: a foreign write that left a pair out of sync is completed in its own
-- transaction by the repair policy where the policy can: progress written (alone) with a level
-- the rules allow, and the license missing or at another level -> the license follows. A license
-- written alone, or progress that breaks the rules, is left for detection: never silently reverted.
CREATE FUNCTION "sw_heal"(x bigint, p_writer text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    WITH touched AS (
        SELECT p."user_id", p."spec" FROM "sw_pending" p WHERE p."xid" = x
        GROUP BY p."user_id", p."spec" HAVING bool_or(p."side" = 'P') AND NOT bool_or(p."side" = 'L')),
    st AS MATERIALIZED (
        SELECT t."user_id", t."spec", p."current_level" AS pl, l."current_level" AS ll
        FROM touched t
        JOIN "specialization_progress" p ON p."user_id" = t."user_id" AND p."specialization_id" = t."spec"
        LEFT JOIN "user_licenses" l ON l."user_id" = t."user_id" AND l."specialization_id" = t."spec"
        WHERE EXISTS (SELECT 1 FROM "users" u WHERE u."id" = t."user_id")
          AND NOT "sw_progress_breaks_rules"(t."spec", p."current_level", p."total_xp", p."completed_sessions")
          AND (l."user_id" IS NULL OR l."current_level" <> p."current_level")),
    created AS (
        INSERT INTO "user_licenses" ("user_id", "specialization_id", "current_level", "started_at")
        SELECT st."user_id", st."spec", st.pl, now() FROM st WHERE st.ll IS NULL
        ON CONFLICT DO NOTHING
        RETURNING "user_id", "specialization_id"),
    moved AS (
        UPDATE "user_licenses" l SET "current_level" = st.pl, "last_advanced_at" = greatest(now(), l."started_at")
        FROM st WHERE st.ll IS NOT NULL AND l."user_id" = st."user_id" AND l."specialization_id" = st."spec"
        RETURNING l."user_id", l."specialization_id")
    INSERT INTO "audit_events" ("actor", "action", "source", "user_id", "specialization_id", "before", "after", "reason")
    SELECT p_writer, 'FOREIGN_WRITE_HEALED', 'DATABASE', st."user_id", st."spec",
           jsonb_build_object('progressLevel', st.pl, 'licenseLevel', st.ll),
           jsonb_build_object('progressLevel', st.pl, 'licenseLevel', st.pl),
           'FOREIGN_WRITES=heal: the license follows the progress level written by ' || p_writer
    FROM st JOIN (SELECT * FROM created UNION ALL SELECT * FROM moved) h
        ON h."user_id" = st."user_id" AND h."specialization_id" = st."spec";
END
$$;

-- The judge of one transaction, at its commit.
CREATE FUNCTION "sw_judge_transaction"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    x bigint := NEW."xid";
    mode "ForeignWrites";
    own text := nullif(current_setting('syncwatch.writer', true), '');
    writer text := coalesce(own, 'sql:' || coalesce(nullif(current_setting('application_name', true), ''), session_user::text));
    writer_kind text := coalesce(nullif(current_setting('syncwatch.writer_kind', true), ''), 'SQL');
    allow boolean := lower(coalesce(current_setting('syncwatch.allow_desync', true), '')) IN ('on', 'true', '1', 'yes');
    users integer[];
    specs text[];
    v record;
    first jsonb;
BEGIN
    -- Writes the judge itself makes (a heal) are noted without queueing another judge.
    PERFORM set_config('syncwatch.judge', 'running', true);
    DELETE FROM "sw_pending_tx" WHERE "xid" = x;
    IF current_setting('syncwatch.rules_changed', true) = 'on' THEN
        -- Threshold changes of different specializations (one specialization's are serialized by its
        -- level check) regenerate one after the other: two concurrent CREATE OR REPLACE of one
        -- function fail with "tuple concurrently updated", and the later must read the thresholds
        -- the earlier committed. A table lock (self-conflicting, compatible with the judges' reads
        -- of sw_state and with its updates): acquiring a relation lock also takes in the catalog
        -- changes committed meanwhile, so the function replaced is the one the earlier committed.
        LOCK TABLE "sw_state" IN SHARE UPDATE EXCLUSIVE MODE;
        PERFORM "sw_regenerate_rules"();
        PERFORM set_config('syncwatch.rules_changed', '', true);
    END IF;
    SELECT s."foreign_writes" INTO mode FROM "sw_state" s WHERE s."id" = 1;
    IF own IS NULL AND mode = 'HEAL' AND NOT allow THEN
        PERFORM "sw_heal"(x, writer);
    END IF;
    SELECT array_agg(k."user_id"), array_agg(k."spec") INTO users, specs
        FROM (SELECT DISTINCT p."user_id", p."spec" FROM "sw_pending" p WHERE p."xid" = x) k;
    IF users IS NOT NULL THEN
        SELECT * INTO v FROM "sw_judge_pairs"(users, specs, x, writer, writer_kind, own IS NULL AND mode = 'ENFORCE');
        IF own IS NULL AND mode = 'ENFORCE' AND v.broke > 0 THEN
            IF allow THEN
                INSERT INTO "audit_events" ("actor", "action", "source", "user_id", "specialization_id", "after", "reason")
                SELECT writer, 'DESYNC_ALLOWED', 'DATABASE', (b->>'userId')::int, b->>'specializationId', b,
                       'FOREIGN_WRITES=enforce, opted out with SET LOCAL syncwatch.allow_desync = on'
                FROM jsonb_array_elements(v.broken) b;
            ELSE
                first := v.broken->0;
                RAISE EXCEPTION 'syncwatch: this transaction would leave learner % / % out of sync (%: progress level %, license level %)%',
                        first->>'userId', first->>'specializationId', first->>'kind',
                        coalesce(first->>'progressLevel', 'none'), coalesce(first->>'licenseLevel', 'none'),
                        CASE WHEN v.broke > 1 THEN format(' and %s other pair(s)', v.broke - 1) ELSE '' END
                    USING ERRCODE = 'SWD01',
                          HINT = 'FOREIGN_WRITES=enforce: write the progress and the license rows in one transaction, '
                                 'or SET LOCAL syncwatch.allow_desync = on (recorded) for a migration.';
            END IF;
        END IF;
    END IF;
    PERFORM set_config('syncwatch.judge', '', true);
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER "sw_pending_tx_judge" AFTER INSERT ON "sw_pending_tx"
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "sw_judge_transaction"();

-- Notes pairs for this transaction's judge without writing them (a re-judgement: the sync job's
-- pairs found consistent, whose entry in the set may be stale). Returns how many were noted.
CREATE FUNCTION "sw_note_pairs"(users integer[], specs text[]) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    INSERT INTO "sw_pending" ("xid", "user_id", "spec", "side")
        -- side X: re-judge only (no row was written)
        SELECT DISTINCT pg_current_xact_id()::text::bigint, t.u, t.s, 'X' FROM unnest(users, specs) AS t(u, s);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN PERFORM "sw_queue_judge"(); END IF;
    RETURN n;
END
$$;

-- The audit's re-judgement of the pairs it found different, a batch per transaction; the changes
-- it makes are the drift (the triggers were bypassed for these pairs).
CREATE FUNCTION "sw_audit_batch"(p_check integer, p_limit integer) RETURNS TABLE (judged integer, changed integer) LANGUAGE plpgsql AS $$
DECLARE
    users integer[];
    specs text[];
    v record;
BEGIN
    WITH b AS (
        DELETE FROM "sw_audit_candidates" c
        WHERE (c."check_id", c."user_id", c."specialization_id") IN (
            SELECT c2."check_id", c2."user_id", c2."specialization_id" FROM "sw_audit_candidates" c2
            WHERE c2."check_id" = p_check ORDER BY c2."user_id", c2."specialization_id" LIMIT p_limit)
        RETURNING c."user_id", c."specialization_id")
    SELECT array_agg(b."user_id"), array_agg(b."specialization_id") INTO users, specs FROM b;
    IF users IS NULL THEN
        RETURN QUERY SELECT 0, 0;
        RETURN;
    END IF;
    SELECT * INTO v FROM "sw_judge_pairs"(users, specs, NULL, 'audit', 'AUDIT');
    RETURN QUERY SELECT cardinality(users), v.changed;
END
$$;

-- Jobs and stored checks tell open pages at commit (lib/events).
CREATE FUNCTION "sw_notify_topic"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('syncwatch', TG_ARGV[0]);
    RETURN NULL;
END
$$;
CREATE TRIGGER "sync_jobs_notify" AFTER INSERT OR UPDATE ON "sync_jobs" FOR EACH STATEMENT EXECUTE FUNCTION "sw_notify_topic"('jobs');
CREATE TRIGGER "health_checks_notify" AFTER INSERT ON "health_checks" FOR EACH STATEMENT EXECUTE FUNCTION "sw_notify_topic"('checks');

-- SyncWatch's coupled write names its writer for the judge and no longer edits the desync set
-- itself (the judge does, at commit); the desync-list lock of the former health check is gone.
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
    -- The judge at commit (sw_judge_transaction) attributes this write to its actor.
    PERFORM "sw_set_writer"(p_source, p_actor);
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

    RETURN QUERY SELECT p."current_level", p."total_xp", p."completed_sessions", p."version",
                        l."current_level", l."started_at", l."last_advanced_at", l."version";
END
$$;

-- The counters start from the tables as they are; the first snapshot runs a full audit, which
-- fills the set with what the former health check had not seen yet and records it as drift.
INSERT INTO "sw_count_deltas" ("scope", "key", "n")
    SELECT 'progress_rows', "specialization_id", count(*) FROM "specialization_progress" GROUP BY "specialization_id";
INSERT INTO "sw_count_deltas" ("scope", "key", "n")
    SELECT 'desyncs', "kind"::text || ':' || "specialization_id", count(*) FROM "current_desyncs" GROUP BY "kind", "specialization_id";
UPDATE "sw_state" SET "audit_requested_at" = now(), "audit_request_reason" = 'migration detection_at_commit' WHERE "id" = 1;
