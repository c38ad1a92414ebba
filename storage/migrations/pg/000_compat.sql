-- PostgreSQL only, run before the migrations at every start (CREATE OR REPLACE): the few SQLite
-- functions storage/ uses, with SQLite's meaning, so one SQL serves both engines (storage/dialect.py).
-- Instants are ISO-8601 UTC text in both ('2026-11-25T10:00:00.000Z'); 'now' is the statement's time.

CREATE OR REPLACE FUNCTION sqlite_instant(ts text, mods text[]) RETURNS timestamp
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t timestamp;
    m text;
    parts text[];
BEGIN
    IF ts IS NULL THEN
        RETURN NULL;
    END IF;
    IF lower(ts) = 'now' THEN
        t := statement_timestamp() AT TIME ZONE 'UTC';
    ELSE
        BEGIN
            t := ts::timestamptz AT TIME ZONE 'UTC';
        EXCEPTION WHEN others THEN
            RETURN NULL;  -- SQLite answers NULL to a text that is not a time
        END;
    END IF;
    FOREACH m IN ARRAY coalesce(mods, ARRAY[]::text[]) LOOP
        IF m IS NULL THEN
            RETURN NULL;
        END IF;
        m := lower(trim(m));
        parts := regexp_match(m, '^([+-]?[0-9]+(\.[0-9]+)?)\s+(second|minute|hour|day|month|year)s?$');
        IF parts IS NOT NULL THEN
            t := t + (parts[1] || ' ' || parts[3])::interval;
        ELSIF m = 'start of day' THEN
            t := date_trunc('day', t);
        ELSIF m = 'start of month' THEN
            t := date_trunc('month', t);
        ELSIF m = 'start of year' THEN
            t := date_trunc('year', t);
        ELSIF m IN ('utc', 'localtime', 'auto', 'subsec', 'subsecond') THEN
            NULL;  -- the server and the bot both keep UTC
        ELSE
            RETURN NULL;
        END IF;
    END LOOP;
    RETURN t;
END
$$;

CREATE OR REPLACE FUNCTION strftime(fmt text, ts text, VARIADIC mods text[]) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t timestamp := sqlite_instant(ts, mods);
    out text := '';
    i int := 1;
    c text;
BEGIN
    IF t IS NULL OR fmt IS NULL THEN
        RETURN NULL;
    END IF;
    WHILE i <= length(fmt) LOOP
        c := substr(fmt, i, 1);
        IF c = '%' AND i < length(fmt) THEN
            i := i + 1;
            c := substr(fmt, i, 1);
            out := out || CASE c
                WHEN 'Y' THEN to_char(t, 'YYYY')
                WHEN 'm' THEN to_char(t, 'MM')
                WHEN 'd' THEN to_char(t, 'DD')
                WHEN 'H' THEN to_char(t, 'HH24')
                WHEN 'M' THEN to_char(t, 'MI')
                WHEN 'S' THEN to_char(t, 'SS')
                WHEN 'f' THEN to_char(t, 'SS.MS')
                WHEN 'j' THEN to_char(t, 'DDD')
                WHEN 'w' THEN extract(dow FROM t)::int::text
                WHEN 's' THEN floor(extract(epoch FROM t))::bigint::text
                WHEN '%' THEN '%'
                ELSE '%' || c END;
        ELSE
            out := out || c;
        END IF;
        i := i + 1;
    END LOOP;
    RETURN out;
END
$$;

CREATE OR REPLACE FUNCTION strftime(fmt text, ts text) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT strftime(fmt, ts, VARIADIC ARRAY[]::text[]) $$;

CREATE OR REPLACE FUNCTION strftime(fmt text) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT strftime(fmt, 'now', VARIADIC ARRAY[]::text[]) $$;

CREATE OR REPLACE FUNCTION datetime(ts text, VARIADIC mods text[]) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT strftime('%Y-%m-%d %H:%M:%S', ts, VARIADIC mods) $$;

CREATE OR REPLACE FUNCTION datetime(ts text) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT strftime('%Y-%m-%d %H:%M:%S', ts, VARIADIC ARRAY[]::text[]) $$;

CREATE OR REPLACE FUNCTION date(ts text, VARIADIC mods text[]) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT strftime('%Y-%m-%d', ts, VARIADIC mods) $$;

CREATE OR REPLACE FUNCTION date(ts text) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT strftime('%Y-%m-%d', ts, VARIADIC ARRAY[]::text[]) $$;

CREATE OR REPLACE FUNCTION instr(haystack text, needle text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT strpos(haystack, needle) $$;

-- SQLite's integers are PostgreSQL's bigint here: substr takes them too
CREATE OR REPLACE FUNCTION substr(s text, start bigint, len bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT substr(s, start::integer, len::integer) $$;

CREATE OR REPLACE FUNCTION substr(s text, start bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT substr(s, start::integer) $$;

-- printf('%02d', n): the only form the migrations use
CREATE OR REPLACE FUNCTION printf(fmt text, n bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN fmt = '%02d' THEN lpad(n::text, 2, '0') WHEN fmt = '%d' THEN n::text ELSE NULL END
$$;

CREATE OR REPLACE FUNCTION sqlite_group_concat(acc text, value text, sep text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN acc WHEN acc IS NULL THEN value ELSE acc || sep || value END
$$;

CREATE OR REPLACE FUNCTION sqlite_group_concat(acc text, value text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT sqlite_group_concat(acc, value, ',') $$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'group_concat') THEN
        CREATE AGGREGATE group_concat(text) (SFUNC = sqlite_group_concat, STYPE = text);
        CREATE AGGREGATE group_concat(text, text) (SFUNC = sqlite_group_concat, STYPE = text);
    END IF;
END
$$;

-- the few questions storage/ asks SQLite's catalog ("is this table there?")
CREATE OR REPLACE VIEW sqlite_master AS
    SELECT CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END AS type,
           table_name::text AS name, table_name::text AS tbl_name
      FROM information_schema.tables
     WHERE table_schema = current_schema();

-- json_extract(doc, '$.key'): SQLite's paths are SQL/JSON paths too; a string comes back unquoted
CREATE OR REPLACE FUNCTION json_extract(doc text, path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE jsonb_typeof(v) WHEN 'string' THEN v #>> '{}' WHEN 'null' THEN NULL ELSE v::text END
      FROM (SELECT jsonb_path_query_first(doc::jsonb, path::jsonpath) AS v) AS found
$$;

-- SUM(a = b): SQLite counts a comparison as 0 or 1
CREATE OR REPLACE FUNCTION sqlite_sum_bool(acc bigint, value boolean) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN acc ELSE coalesce(acc, 0) + CASE WHEN value THEN 1 ELSE 0 END END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE p.proname = 'sum' AND n.nspname = current_schema()) THEN
        CREATE AGGREGATE sum(boolean) (SFUNC = sqlite_sum_bool, STYPE = bigint);
    END IF;
END
$$;
