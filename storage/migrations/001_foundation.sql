-- The places the bot serves, the people it talks to, their roles, consent, the audit trail and
-- the conversations' state. Instants are ISO-8601 UTC text ('2026-11-25T10:00:00.000Z').

CREATE TABLE regions (
    id       INTEGER PRIMARY KEY,
    name_kk  TEXT NOT NULL CHECK (length(trim(name_kk)) > 0),
    name_ru  TEXT NOT NULL CHECK (length(trim(name_ru)) > 0),
    UNIQUE (name_kk)
);

CREATE TABLE districts (
    id         INTEGER PRIMARY KEY,
    region_id  INTEGER NOT NULL REFERENCES regions(id),
    name_kk    TEXT NOT NULL CHECK (length(trim(name_kk)) > 0),
    name_ru    TEXT NOT NULL CHECK (length(trim(name_ru)) > 0),
    UNIQUE (region_id, name_kk)
);

-- The unit the bot serves: an ауылдық округ, or an ауыл / кент with its own akim.
CREATE TABLE rural_districts (
    id           INTEGER PRIMARY KEY,
    district_id  INTEGER NOT NULL REFERENCES districts(id),
    kind         TEXT NOT NULL DEFAULT 'rural_district'
                 CHECK (kind IN ('rural_district', 'village', 'settlement')),
    name_kk      TEXT NOT NULL CHECK (length(trim(name_kk)) > 0),
    name_ru      TEXT NOT NULL CHECK (length(trim(name_ru)) > 0),
    office_kk    TEXT,  -- the akim's office as the data owner, e.g. «Ақсай ауылдық округі әкімінің аппараты»
    office_ru    TEXT,
    timezone     TEXT NOT NULL DEFAULT 'Asia/Almaty',
    quiet_start  TEXT NOT NULL DEFAULT '22:00' CHECK (quiet_start GLOB '[0-2][0-9]:[0-5][0-9]'),
    quiet_end    TEXT NOT NULL DEFAULT '08:00' CHECK (quiet_end GLOB '[0-2][0-9]:[0-5][0-9]'),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    UNIQUE (district_id, name_kk)
);

CREATE TABLE villages (
    id                 INTEGER PRIMARY KEY,
    rural_district_id  INTEGER NOT NULL REFERENCES rural_districts(id),
    name_kk            TEXT NOT NULL CHECK (length(trim(name_kk)) > 0),
    name_ru            TEXT NOT NULL CHECK (length(trim(name_ru)) > 0),
    UNIQUE (rural_district_id, name_kk)
);
CREATE INDEX villages_by_rural_district ON villages (rural_district_id);

-- Consent texts, versioned per deployment; a person who accepted an older version is asked again.
CREATE TABLE consent_texts (
    version     INTEGER PRIMARY KEY,
    text_kk     TEXT NOT NULL,
    text_ru     TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
);

-- Kept without consent (needed to run the bot at all): telegram id, language, rural district,
-- village. Everything else personal needs consent.
CREATE TABLE people (
    id                   INTEGER PRIMARY KEY,
    telegram_id          INTEGER NOT NULL UNIQUE,
    language             TEXT NOT NULL DEFAULT 'kk' CHECK (language IN ('kk', 'ru')),
    language_chosen      INTEGER NOT NULL DEFAULT 0 CHECK (language_chosen IN (0, 1)),
    rural_district_id    INTEGER REFERENCES rural_districts(id),
    village_id           INTEGER REFERENCES villages(id),
    consent_version      INTEGER,  -- 0: the built-in text of the catalogs; N: consent_texts.version
    consent_at           TEXT,
    consent_declined_at  TEXT,
    full_name            TEXT,
    phone                TEXT CHECK (phone IS NULL OR phone GLOB '+7[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
    notify_announcements INTEGER NOT NULL DEFAULT 1 CHECK (notify_announcements IN (0, 1)),
    notify_reminders     INTEGER NOT NULL DEFAULT 1 CHECK (notify_reminders IN (0, 1)),
    unreachable_at       TEXT,   -- set when Telegram answers 403 / chat not found; cleared when they write
    created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
);
CREATE INDEX people_by_village ON people (rural_district_id, village_id);

-- Roles beyond «resident» (which everyone with a rural district is). Operators are global and
-- come from the settings (OPERATOR_IDS).
CREATE TABLE roles (
    person_id          INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    rural_district_id  INTEGER NOT NULL REFERENCES rural_districts(id),
    role               TEXT NOT NULL CHECK (role IN ('representative', 'chair', 'staff')),
    village_id         INTEGER REFERENCES villages(id),  -- the village a representative speaks for
    granted_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    PRIMARY KEY (person_id, rural_district_id, role)
);
-- One chair per rural district.
CREATE UNIQUE INDEX one_chair_per_rural_district ON roles (rural_district_id) WHERE role = 'chair';

-- Every admin and operator action: who, when, what, before and after.
CREATE TABLE audit_log (
    id                 INTEGER PRIMARY KEY,
    at                 TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    actor_telegram_id  INTEGER,          -- NULL for the command line and the scheduler
    actor_kind         TEXT NOT NULL CHECK (actor_kind IN ('staff', 'operator', 'cli', 'system', 'refused')),
    rural_district_id  INTEGER REFERENCES rural_districts(id),
    action             TEXT NOT NULL,
    object_type        TEXT,
    object_id          INTEGER,
    before_json        TEXT,
    after_json         TEXT
);
CREATE INDEX audit_by_rural_district ON audit_log (rural_district_id, at);

-- aiogram's finite-state machine, so a conversation survives a restart.
CREATE TABLE fsm_states (
    bot_id      INTEGER NOT NULL,
    chat_id     INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    thread_id   INTEGER NOT NULL DEFAULT 0,
    destiny     TEXT NOT NULL DEFAULT 'default',
    state       TEXT,
    data_json   TEXT NOT NULL DEFAULT '{}',
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    PRIMARY KEY (bot_id, chat_id, user_id, thread_id, destiny)
);
