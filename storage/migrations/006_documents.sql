-- Documents (programmes, protocols, decisions, budget papers, akim reports, audit results ...),
-- their files, questions about akim reports, and budgets by year.

-- A file staff uploaded (PDF or office file, at most 20 MB: what a bot can download back with
-- getFile). The bytes are kept (``path`` under the data directory next to the database) so
-- another bot, whose file_ids differ, can upload it again.
CREATE TABLE document_files (
    id           INTEGER PRIMARY KEY,
    file_name    TEXT,
    mime_type    TEXT,
    size         INTEGER CHECK (size IS NULL OR (size >= 0 AND size <= 20971520)),
    sha256       TEXT,
    path         TEXT,             -- relative to the database's directory; NULL until downloaded
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
);

-- A file_id belongs to one bot. bot_id 0: a file_id whose bot is not known (given by another feature).
CREATE TABLE document_file_ids (
    file_ref        INTEGER NOT NULL REFERENCES document_files(id) ON DELETE CASCADE,
    bot_id          INTEGER NOT NULL,
    file_id         TEXT NOT NULL,
    file_unique_id  TEXT,
    PRIMARY KEY (file_ref, bot_id)
);

-- One row per version. Versions of one document share ``series_id`` (the id of the first version);
-- publishing a new version sets ``superseded_at``/``superseded_by`` on the previous one.
CREATE TABLE documents (
    id                 INTEGER PRIMARY KEY,
    rural_district_id  INTEGER NOT NULL REFERENCES rural_districts(id),
    series_id          INTEGER REFERENCES documents(id),
    version            INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    kind               TEXT NOT NULL CHECK (kind IN (
                           'development_programme', 'protocol_gathering', 'protocol_meeting', 'decision',
                           'budget_revenues', 'citizen_budget', 'paid_services', 'improvement_rules',
                           'grazing_places', 'akim_report', 'audit_results', 'announcement', 'other')),
    status             TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    title_kk           TEXT NOT NULL DEFAULT '',
    title_ru           TEXT NOT NULL DEFAULT '',
    text_kk            TEXT,
    text_ru            TEXT,
    file_kk            INTEGER REFERENCES document_files(id),
    file_ru            INTEGER REFERENCES document_files(id),
    url                TEXT CHECK (url IS NULL OR url GLOB 'http*://*'),  -- the single platform: the official place
    issuer             TEXT,          -- the body that issued audit results (audit commission, Supreme Audit Chamber)
    year               INTEGER,       -- the budget year of budget papers
    event_id           INTEGER,       -- the gathering or meeting a protocol is of (events, migration 005)
    search             TEXT NOT NULL DEFAULT '',  -- both titles folded (SQLite's LOWER leaves Cyrillic alone)
    created_by         INTEGER REFERENCES people(id),
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    published_at       TEXT,
    superseded_at      TEXT,
    superseded_by      INTEGER REFERENCES documents(id),
    CHECK (length(trim(title_kk)) > 0 OR length(trim(title_ru)) > 0),
    CHECK (coalesce(length(trim(text_kk)), 0) > 0 OR coalesce(length(trim(text_ru)), 0) > 0
           OR file_kk IS NOT NULL OR file_ru IS NOT NULL),
    CHECK ((status = 'published') = (published_at IS NOT NULL))
);
CREATE INDEX documents_current ON documents (rural_district_id, kind, status, superseded_at, published_at);
CREATE INDEX documents_by_series ON documents (series_id, version);
CREATE INDEX documents_by_event ON documents (event_id) WHERE event_id IS NOT NULL;
-- One current published version per series.
CREATE UNIQUE INDEX one_current_version ON documents (series_id)
    WHERE status = 'published' AND superseded_at IS NULL;

-- A resident's question about an akim's report, or ahead of the gathering where the akim will report.
CREATE TABLE report_questions (
    id                 INTEGER PRIMARY KEY,
    rural_district_id  INTEGER NOT NULL REFERENCES rural_districts(id),
    document_id        INTEGER REFERENCES documents(id),   -- the report's series id
    event_id           INTEGER,                            -- the gathering (events, migration 005)
    person_id          INTEGER REFERENCES people(id) ON DELETE SET NULL,
    text               TEXT CHECK (text IS NULL OR length(text) <= 4000),
    voice_file_id      TEXT,
    voice_bot_id       INTEGER,
    voice_duration     INTEGER,
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    answer             TEXT,
    answered_by        INTEGER REFERENCES people(id) ON DELETE SET NULL,
    answered_at        TEXT,
    published          INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    hidden             INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1)),
    CHECK (document_id IS NOT NULL OR event_id IS NOT NULL),
    CHECK (coalesce(length(trim(text)), 0) > 0 OR voice_file_id IS NOT NULL),
    CHECK (published = 0 OR answer IS NOT NULL)
);
CREATE INDEX report_questions_by_document ON report_questions (document_id);
CREATE INDEX report_questions_by_event ON report_questions (event_id) WHERE event_id IS NOT NULL;

-- One support per person per question: the rule lives here, not in an ``if``.
CREATE TABLE report_question_supports (
    question_id  INTEGER NOT NULL REFERENCES report_questions(id) ON DELETE CASCADE,
    person_id    INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    PRIMARY KEY (question_id, person_id)
);

-- A rural district's budget for a year. ``target`` is the staff's self-sufficiency target for
-- years the decree sets none (2026 on); the decree's 25 % (2024) and 30 % (2025) win over it.
CREATE TABLE budgets (
    id                 INTEGER PRIMARY KEY,
    rural_district_id  INTEGER NOT NULL REFERENCES rural_districts(id),
    year               INTEGER NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    target             REAL CHECK (target IS NULL OR (target > 0 AND target <= 1)),
    updated_by         INTEGER REFERENCES people(id) ON DELETE SET NULL,
    updated_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    UNIQUE (rural_district_id, year)
);

-- Revenues by source (own revenues or transfers from above) and spending by programme, in tenge.
CREATE TABLE budget_lines (
    id          INTEGER PRIMARY KEY,
    budget_id   INTEGER NOT NULL REFERENCES budgets(id) ON DELETE CASCADE,
    side        TEXT NOT NULL CHECK (side IN ('revenue', 'spending')),
    source      TEXT,   -- revenue: 'own' or 'transfer'; NULL for spending
    code        TEXT,   -- a known source or programme ('property_tax', 'water_use', ...), or NULL
    name_kk     TEXT NOT NULL DEFAULT '',
    name_ru     TEXT NOT NULL DEFAULT '',
    amount      INTEGER NOT NULL CHECK (amount >= 0),
    position    INTEGER NOT NULL DEFAULT 0,
    CHECK ((side = 'revenue') = (source IS NOT NULL)),
    CHECK (source IS NULL OR source IN ('own', 'transfer')),
    CHECK (code IS NOT NULL OR length(trim(name_kk)) > 0 OR length(trim(name_ru)) > 0)
);
CREATE INDEX budget_lines_by_budget ON budget_lines (budget_id, side, position);
