-- The delivery engine: the senders that hold claims on outbox rows, the pause Telegram asked for,
-- when a row's request went out, and the staff's announcements (broadcasts) with their progress.

-- A sender process, alive while it beats. Rows it claimed ('sending') are its own while it beats;
-- a sender that stopped beating for SENDER_LEASE_SECONDS (or whose pid is gone on this host) is
-- dead, and its rows go back to 'pending' (bot/delivery.py, recover()).
CREATE TABLE senders (
    token       TEXT PRIMARY KEY,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    beat_at     TEXT NOT NULL
);

-- One row: until when Telegram told us (429 retry_after) to send nothing at all; every sender honours it.
CREATE TABLE delivery_pause (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    until  TEXT NOT NULL
);

-- Set just before the request for the row goes to Telegram, in its own committed transaction:
-- a row left 'sending' with started_at NULL was never tried (safe to send); with started_at set
-- it may have reached the person (sent again on recovery: at-least-once, measured in bench/).
ALTER TABLE outbox ADD COLUMN started_at TEXT;
CREATE INDEX outbox_by_claim ON outbox (state, claimed_by);
CREATE INDEX outbox_by_person ON outbox (person_id, state);
CREATE INDEX outbox_messages_by_rural_district ON outbox_messages (rural_district_id, respect_quiet);

-- An announcement composed by staff: what, to whom, when; its outbox message and the message
-- that shows its progress to the staff member who sent it.
CREATE TABLE broadcasts (
    id                   INTEGER PRIMARY KEY,
    rural_district_id    INTEGER NOT NULL REFERENCES rural_districts(id),
    created_by           INTEGER NOT NULL REFERENCES people(id),
    text_kk              TEXT NOT NULL DEFAULT '',   -- the staff's text (HTML); either may be empty:
    text_ru              TEXT NOT NULL DEFAULT '',   -- then the other one goes to everyone
    media_type           TEXT CHECK (media_type IS NULL OR media_type IN ('photo', 'document')),
    media_ref            TEXT,
    audience             TEXT NOT NULL CHECK (audience IN ('all', 'villages', 'representatives', 'event')),
    audience_ids         TEXT NOT NULL DEFAULT '[]', -- village ids, or [event id]
    urgent               INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),  -- not held in quiet hours
    send_at              TEXT NOT NULL,
    recipients           INTEGER NOT NULL DEFAULT 0,
    message_id           INTEGER REFERENCES outbox_messages(id),
    progress_chat_id     INTEGER,
    progress_message_id  INTEGER,
    progress_lang        TEXT NOT NULL DEFAULT 'kk',
    progress_shown       TEXT,                       -- the counts last shown, to edit only on change
    finished_at          TEXT,                       -- nothing left to send: progress stops updating
    cancelled_at         TEXT,
    created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    CHECK (length(trim(text_kk)) > 0 OR length(trim(text_ru)) > 0 OR media_ref IS NOT NULL)
);
CREATE INDEX broadcasts_by_rural_district ON broadcasts (rural_district_id, created_at);
CREATE INDEX broadcasts_unfinished ON broadcasts (finished_at) WHERE finished_at IS NULL;
