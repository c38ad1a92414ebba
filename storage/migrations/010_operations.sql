-- Running the bot for years: the operator's district settings, operators kept in the database, the
-- two-person approval of large announcements, the "stop all sending" hold, an append-only audit
-- trail naming actors by person id, and personal data (the consent text's versions, when a person
-- last wrote, deletion and retention). Instants are ISO-8601 UTC text; days are 'YYYY-MM-DD'.

-- A district's setting the operator sets (the rest are in 001, 003 and 009): an announcement to
-- more residents than this needs a second staff member's or the chair's approval when the district
-- has one.
ALTER TABLE rural_districts ADD COLUMN approval_threshold INTEGER NOT NULL DEFAULT 500 CHECK (approval_threshold >= 0);

-- Operators added from the command line or the chat, besides OPERATOR_IDS of the settings.
CREATE TABLE operators (
    person_id  INTEGER PRIMARY KEY REFERENCES people(id),
    added_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
);

-- last_seen_on: the last day (UTC) the person wrote to the bot (written at most once a day), for
-- retention. erased_at: the person's data were deleted (on request or by retention); the row stays,
-- anonymised, where supports and ballots still count.
ALTER TABLE people ADD COLUMN last_seen_on TEXT;
ALTER TABLE people ADD COLUMN erased_at TEXT;
UPDATE people SET last_seen_on = substr(COALESCE(consent_at, created_at), 1, 10);
CREATE INDEX people_idle ON people (last_seen_on) WHERE erased_at IS NULL;

-- A version of the built-in consent text (the catalogs') carries the hash of its template in each
-- language, empty texts and no own text: a changed built-in text is a new version.
ALTER TABLE consent_texts ADD COLUMN builtin_kk_sha256 TEXT;
ALTER TABLE consent_texts ADD COLUMN builtin_ru_sha256 TEXT;
-- People who agreed to the built-in text before versions were kept (consent_version 0) agreed to an
-- older text than this code's: version 0 is that one, and the next start registers the new one.
INSERT INTO consent_texts (version, text_kk, text_ru, builtin_kk_sha256, builtin_ru_sha256)
    SELECT 0, '', '', 'before-010', 'before-010'
     WHERE EXISTS (SELECT 1 FROM people WHERE consent_version = 0)
       AND NOT EXISTS (SELECT 1 FROM consent_texts WHERE version = 0);

-- The audit trail names actors by the bot's person id, never by Telegram id: a person whose data
-- were deleted leaves their actions without a person behind them. Rebuilt once, here, before the
-- triggers below make it append-only (no code updates or deletes a row: tests/test_audit.py).
CREATE TABLE audit_log_v10 (
    id                 INTEGER PRIMARY KEY,
    at                 TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    actor_person_id    INTEGER,          -- people.id; NULL for the command line and the scheduler
    actor_kind         TEXT NOT NULL CHECK (actor_kind IN ('staff', 'operator', 'cli', 'system', 'refused',
                                                           'chair', 'resident')),
    rural_district_id  INTEGER REFERENCES rural_districts(id),
    action             TEXT NOT NULL,
    object_type        TEXT,
    object_id          INTEGER,
    before_json        TEXT,
    after_json         TEXT
);
INSERT INTO audit_log_v10 (id, at, actor_person_id, actor_kind, rural_district_id, action, object_type, object_id,
                           before_json, after_json)
    SELECT a.id, a.at, (SELECT p.id FROM people p WHERE p.telegram_id = a.actor_telegram_id), a.actor_kind,
           a.rural_district_id, a.action, a.object_type, a.object_id, a.before_json, a.after_json
      FROM audit_log a;
DROP TABLE audit_log;
ALTER TABLE audit_log_v10 RENAME TO audit_log;
CREATE INDEX audit_by_rural_district ON audit_log (rural_district_id, at);
CREATE INDEX audit_by_actor ON audit_log (actor_person_id, at);
CREATE INDEX audit_by_action ON audit_log (action, at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- The operator's "stop all sending": while the row exists the sender claims nothing.
CREATE TABLE delivery_hold (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    since         TEXT NOT NULL,
    by_person_id  INTEGER,
    reason        TEXT
);

-- A message waiting for a second person's approval (a large announcement): never claimed.
ALTER TABLE outbox_messages ADD COLUMN held INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1));
ALTER TABLE broadcasts ADD COLUMN approval TEXT CHECK (approval IS NULL OR approval IN ('pending', 'approved', 'rejected'));
ALTER TABLE broadcasts ADD COLUMN approved_by INTEGER REFERENCES people(id);
ALTER TABLE broadcasts ADD COLUMN approved_at TEXT;

-- A deleted person's ballot in a contest still open keeps, as its phone, only a keyed hash (HMAC)
-- of the number (contest_votes.phone and contest_paper_voters.phone, migration 009), so the number
-- cannot vote twice; the contests listed here hold such hashes, and lose them when they close.
CREATE TABLE hashed_ballots (
    contest_id  INTEGER PRIMARY KEY REFERENCES contests(id) ON DELETE CASCADE
);

-- The service's own small facts: the last error and when, the day retention last ran, whether a
-- VACUUM is due after a deletion, the last daily backup, and the generated vote-hash key when
-- VOTE_HASH_KEY is not set.
CREATE TABLE service_state (
    name   TEXT PRIMARY KEY,
    value  TEXT,
    at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
) WITHOUT ROWID;
