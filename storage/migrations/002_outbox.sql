-- The outbox: every message that is not a direct reply. A message (its texts per language) and a
-- row per recipient; features put rows in, one sender delivers them (bot/delivery.py).

CREATE TABLE outbox_messages (
    id                 INTEGER PRIMARY KEY,
    rural_district_id  INTEGER NOT NULL REFERENCES rural_districts(id),
    kind               TEXT NOT NULL,   -- reminder, vote_result, status, answer, announcement, notice, staff
    priority           INTEGER NOT NULL DEFAULT 5,  -- lower goes first: 0 answers/reminders … 9 announcements
    respect_quiet      INTEGER NOT NULL DEFAULT 1 CHECK (respect_quiet IN (0, 1)),
    texts_json         TEXT NOT NULL,   -- {"kk": "...", "ru": "..."}: rendered in the recipient's language at send time
    buttons_json       TEXT,            -- {"kk": [[{"text":..,"callback_data":..}]], "ru": ...}
    media_type         TEXT CHECK (media_type IS NULL OR media_type IN ('photo', 'document')),
    media_ref          TEXT,            -- a file_id of this bot
    not_before         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    created_by         INTEGER REFERENCES people(id),
    source_type        TEXT,            -- what the message is about: 'broadcast', 'event', 'contest', ...
    source_id          INTEGER,
    cancelled_at       TEXT,
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
);

CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    message_id    INTEGER NOT NULL REFERENCES outbox_messages(id) ON DELETE CASCADE,
    person_id     INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    state         TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'skipped', 'cancelled')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    claimed_by    TEXT,
    claimed_at    TEXT,
    sent_at       TEXT,
    telegram_message_id INTEGER,
    error         TEXT,
    UNIQUE (message_id, person_id)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt);
CREATE INDEX outbox_by_message ON outbox (message_id, state);
