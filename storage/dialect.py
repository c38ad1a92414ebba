"""SQLite's SQL, as storage/ writes it, turned into PostgreSQL's (``storage/postgres.py``).

The storage modules write one SQL for both engines. Most of it is portable already (``ON
CONFLICT``, ``RETURNING``, ``coalesce``, ``substr``); the date functions SQLite has and
PostgreSQL lacks (``strftime``, ``datetime``, ``date``, ``group_concat``, ``instr``, ``printf``)
are defined in PostgreSQL itself with SQLite's meaning (``migrations/pg/000_compat.sql``), so the
statements keep them as they are. What is left is rewritten here, once per statement (cached):

- ``?`` placeholders become ``$1, $2, …`` (never inside a quoted string);
- ``INSERT OR IGNORE INTO t …`` becomes ``INSERT INTO t … ON CONFLICT DO NOTHING``;
- ``x GLOB 'pattern'`` becomes a regular expression match;
- ``PRAGMA data_version`` (has anything changed?) reads the write-ahead log's position;
- ``a IS NOT b`` with a value is ``IS DISTINCT FROM``, ``CASE WHEN ? THEN`` tests ``? <> 0``;
- ``? IS NULL`` (a parameter PostgreSQL cannot type) is ``?::text IS NULL``;
- in an upsert's ``DO UPDATE SET c = c + 1`` the bare column is the target row's (PostgreSQL
  calls it ambiguous), and ``max(a, b)`` / ``min(a, b)`` of two values are ``greatest`` / ``least``;
- in a migration, the column types (``INTEGER`` is 64-bit there), ``INTEGER PRIMARY KEY`` (an
  identity), ``WITHOUT ROWID``, and each ``CREATE TRIGGER … BEGIN … END`` (a PL/pgSQL function
  and its trigger; ``RAISE(ABORT, …)`` is a constraint violation in both).
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|--[^\n]*|\?|(?<!:):[A-Za-z_]\w*|[^'\"?:-]+|-|:")
_QUOTED = re.compile(r"('(?:[^']|'')*')")
_OR_IGNORE = re.compile(r"^(\s*INSERT)\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_GLOB = re.compile(r"\bGLOB\s+'((?:[^']|'')*)'")
_SCALAR_MAX = re.compile(r"\b(max|min)\(([^()]*,[^()]*)\)", re.IGNORECASE)  # two arguments: not the aggregate
_UNTYPED = re.compile(r"\?(?=\s+IS\s+(?:NOT\s+)?NULL\b)", re.IGNORECASE)
_IS_NOT_VALUE = re.compile(r"\bIS\s+NOT\s+(?!NULL\b|DISTINCT\b|TRUE\b|FALSE\b)", re.IGNORECASE)
_IS_VALUE = re.compile(r"\bIS\s+(?!NOT\b|NULL\b|DISTINCT\b|TRUE\b|FALSE\b)", re.IGNORECASE)
_WHEN_PARAMETER = re.compile(r"\bWHEN\s+\?\s+THEN\b", re.IGNORECASE)
_INSERT_TABLE = re.compile(r"^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+(\w+)", re.IGNORECASE)


def _placeholders(sql: str) -> str:
    out, n, names = [], 0, named_parameters(sql)
    for token in _TOKENS.findall(sql):
        if token == "?":
            n += 1
            out.append(f"${n}")
        elif token.startswith(":") and len(token) > 1:
            out.append(f"${names.index(token[1:]) + 1}")
        else:
            out.append(token)
    return "".join(out)


@lru_cache(maxsize=1024)
def named_parameters(sql: str) -> list[str]:
    """The ``:name`` parameters of a statement, each once, in order of first use (``$1…``)."""
    names: list[str] = []
    for token in _TOKENS.findall(sql):
        if token.startswith(":") and len(token) > 1 and token[1:] not in names:
            names.append(token[1:])
    return names


def glob_to_regex(pattern: str) -> str:
    """A GLOB pattern (``*``, ``?``, ``[...]``, case-sensitive, whole string) as a POSIX regex."""
    out, i = ["^"], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("^") else body) + "]")
            i = end
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out) + "$"


def _glob(match: re.Match[str]) -> str:
    return "~ '" + glob_to_regex(match.group(1).replace("''", "'")).replace("'", "''") + "'"


def _top_level_split(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += (c == "(") - (c == ")")
        if c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _upsert(sql: str) -> str:
    head, sep, tail = sql.partition("DO UPDATE SET")
    if not sep:
        return sql
    table = _INSERT_TABLE.match(head)
    if table is None:
        return sql
    name = table.group(1)
    end = re.search(r"\b(WHERE|RETURNING)\b", tail)
    assignments, rest = (tail[: end.start()], tail[end.start() :]) if end else (tail, "")
    out = []
    for assignment in _top_level_split(assignments):
        column, eq, value = assignment.partition("=")
        bare = re.compile(rf"(?<![.\w]){re.escape(column.strip())}\b")
        out.append(column + eq + bare.sub(f"{name}.{column.strip()}", value) if eq else assignment)
    return head + sep + ",".join(out) + rest


def _unquoted(text: str) -> str:
    """The rewrites that must not touch a quoted string."""
    if "max(" in text.lower() or "min(" in text.lower():
        text = _SCALAR_MAX.sub(_greatest, text)
    if " IS " in text.upper():  # SQLite's IS [NOT] with a value: IS [NOT] DISTINCT FROM
        text = _IS_VALUE.sub("IS NOT DISTINCT FROM ", _IS_NOT_VALUE.sub("IS DISTINCT FROM ", text))
    text = _WHEN_PARAMETER.sub("WHEN ?::bigint <> 0 THEN", text)  # a flag given as 0 or 1
    if "?" in text:  # a parameter only tested for NULL has no type PostgreSQL could infer
        text = _UNTYPED.sub("?::text", text)
    return text


def _greatest(match: re.Match[str]) -> str:
    return ("greatest(" if match.group(1).lower() == "max" else "least(") + match.group(2) + ")"


@lru_cache(maxsize=4096)
def to_postgres(sql: str) -> str:
    """One statement of storage/ in PostgreSQL's words."""
    if sql.strip().upper() == "PRAGMA DATA_VERSION":
        return "SELECT ('x' || lpad(replace(pg_current_wal_lsn()::text, '/', ''), 16, '0'))::bit(64)::bigint"
    text = sql.replace("/* FOR UPDATE SKIP LOCKED */", "FOR UPDATE SKIP LOCKED")
    if _OR_IGNORE.match(text):
        text = _OR_IGNORE.sub(r"\1 INTO", text, count=1)
        returning = _RETURNING.search(text)
        if returning:
            text = text[: returning.start()] + "ON CONFLICT DO NOTHING " + text[returning.start() :]
        else:
            text = text.rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    if "GLOB" in text:
        text = _GLOB.sub(_glob, text)
    text = _upsert(text)
    text = "".join(part if i % 2 else _unquoted(part) for i, part in enumerate(_QUOTED.split(text)))
    return _placeholders(text) if "?" in text or ":" in text else text


def has_returning(sql: str) -> bool:
    return "RETURNING" in sql.upper() and _RETURNING.search(sql) is not None


def inserted_table(sql: str) -> str | None:
    """The table an ``INSERT`` writes to (its new row's id is returned), else None."""
    match = _INSERT_TABLE.match(sql)
    return match.group(1).lower() if match else None


# --- migrations ---------------------------------------------------------------------------------

_TRIGGER = re.compile(
    r"^CREATE\s+TRIGGER\s+(?P<name>\w+)\s+(?P<when>BEFORE|AFTER)\s+(?P<event>INSERT|DELETE|UPDATE(?:\s+OF\s+[\w\s,]+?)?)"
    r"\s+ON\s+(?P<table>\w+)(?:\s+FOR\s+EACH\s+ROW)?(?:\s+WHEN\s+(?P<cond>.*?))?\s+BEGIN\s+(?P<body>.*)\s*END;?$",
    re.IGNORECASE | re.DOTALL,
)
_RAISE = re.compile(r"SELECT\s+RAISE\s*\(\s*ABORT\s*,\s*'((?:[^']|'')*)'\s*\)", re.IGNORECASE)
_IS_NOT = re.compile(r"\bIS\s+NOT\s+(?=(NEW|OLD)\.)", re.IGNORECASE)
_TYPES = (
    (re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\b"), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (re.compile(r"(?<!AS )\bINTEGER\b"), "BIGINT"),  # CAST(x AS INTEGER) stays
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
    (re.compile(r"\)\s*WITHOUT\s+ROWID\s*;?\s*$"), ")"),
)


_LEADING_COMMENTS = re.compile(r"^(\s*--[^\n]*\n)+")


def _trigger(match: re.Match[str]) -> list[str]:
    name, when, event, table = match["name"], match["when"].upper(), match["event"], match["table"]
    statements = [s.strip() for s in match["body"].strip().rstrip(";").split(";") if s.strip()]
    body = ";\n".join(to_postgres(s) for s in statements) + ";"
    body = _RAISE.sub(lambda m: f"RAISE EXCEPTION '{m.group(1)}' USING ERRCODE = '23000'", body)
    body = _IS_NOT.sub("IS DISTINCT FROM ", body)
    cond = _IS_NOT.sub("IS DISTINCT FROM ", match["cond"]) if match["cond"] else None
    if cond:
        body = f"IF {cond} THEN\n{body}\nEND IF;"
    kind = event.split()[0].upper()
    result = "NULL" if when == "AFTER" else ("OLD" if kind == "DELETE" else "NEW")
    function = (
        f"CREATE OR REPLACE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n{body}\n"
        f"RETURN {result};\nEND\n$fn$"
    )
    return [function, f"CREATE TRIGGER {name} {when} {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}_fn()"]


def migration_to_postgres(statements: list[str]) -> list[str]:
    """The statements of one SQLite migration (storage/migrations/NNN_*.sql) for PostgreSQL."""
    out: list[str] = []
    for statement in statements:
        statement = _LEADING_COMMENTS.sub("", statement)
        trigger = _TRIGGER.match(statement.strip())
        if trigger:
            out.extend(_trigger(trigger))
            continue
        text = statement
        if re.match(r"\s*(CREATE|ALTER)\s+TABLE\b", text, re.IGNORECASE):
            for pattern, replacement in _TYPES:
                text = pattern.sub(replacement, text)
        out.append(to_postgres(text.rstrip().rstrip(";")))
    return out
