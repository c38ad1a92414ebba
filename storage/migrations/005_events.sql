-- Gatherings (жиын / сход), separate gatherings of one village (бөлек жиын / раздельный сход) and
-- meetings (жиналыс / собрание): the calendar, who they concern, the agenda, the answers of the
-- invited, the reminders and the protocol afterwards. Instants are ISO-8601 UTC text.

CREATE TABLE events (
    id                  INTEGER PRIMARY KEY,
    rural_district_id   INTEGER NOT NULL REFERENCES rural_districts(id),
    kind                TEXT NOT NULL CHECK (kind IN ('gathering', 'separate_gathering', 'meeting')),
    title_kk            TEXT NOT NULL DEFAULT '',
    title_ru            TEXT NOT NULL DEFAULT '',
    place               TEXT NOT NULL CHECK (length(trim(place)) > 0),
    starts_at           TEXT NOT NULL,
    ends_at             TEXT NOT NULL,
    report_hearing      INTEGER NOT NULL DEFAULT 0 CHECK (report_hearing IN (0, 1)),  -- the akim reports
    status              TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    sequence            INTEGER NOT NULL DEFAULT 0,  -- bumped on every move (iCalendar SEQUENCE)
    protocol_text       TEXT,
    protocol_file_id    TEXT,
    protocol_file_name  TEXT,
    protocol_document_id INTEGER,  -- the document published under Documents, when that feature exists
    report_text         TEXT,
    report_file_id      TEXT,
    report_file_name    TEXT,
    report_document_id  INTEGER,
    created_by          INTEGER REFERENCES people(id),
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    cancelled_at        TEXT,
    CHECK (length(trim(title_kk)) > 0 OR length(trim(title_ru)) > 0),
    CHECK (ends_at > starts_at),
    -- only a gathering hears the akim's report
    CHECK (report_hearing = 0 OR kind = 'gathering')
);
CREATE INDEX events_by_start ON events (rural_district_id, starts_at);

-- The villages an event concerns: a gathering's or a meeting's (every village by default), the
-- one village of a separate gathering.
CREATE TABLE event_villages (
    event_id    INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    village_id  INTEGER NOT NULL REFERENCES villages(id),
    PRIMARY KEY (event_id, village_id)
);

CREATE TABLE event_agenda (
    id             INTEGER PRIMARY KEY,
    event_id       INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    text           TEXT NOT NULL CHECK (length(trim(text)) > 0),
    initiative_id  INTEGER,  -- an initiative flagged for the agenda, when the item came from one
    UNIQUE (event_id, position)
);

-- «I'll come» / «I can't come»: one answer per person per event, changeable.
CREATE TABLE event_rsvps (
    event_id    INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    answer      TEXT NOT NULL CHECK (answer IN ('yes', 'no')),
    answered_at TEXT NOT NULL,
    PRIMARY KEY (event_id, person_id)
);

-- One row per reminder moment; the scheduler claims it once (pending → sent or skipped).
CREATE TABLE event_reminders (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    minutes_before  INTEGER NOT NULL CHECK (minutes_before > 0),
    due_at          TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'skipped', 'cancelled')),
    claimed_at      TEXT,
    UNIQUE (event_id, minutes_before)
);
CREATE INDEX event_reminders_due ON event_reminders (state, due_at);

-- Who is invited: every resident of the villages of a gathering or separate gathering; the
-- representatives of the villages of a meeting and the chair. Anyone else may follow as a listener.
CREATE VIEW event_invitees (event_id, person_id) AS
    SELECT e.id, p.id
      FROM events e
      JOIN event_villages ev ON ev.event_id = e.id
      JOIN people p ON p.rural_district_id = e.rural_district_id AND p.village_id = ev.village_id
     WHERE e.kind IN ('gathering', 'separate_gathering')
    UNION
    SELECT e.id, r.person_id
      FROM events e
      JOIN roles r ON r.rural_district_id = e.rural_district_id
     WHERE e.kind = 'meeting'
       AND (r.role = 'chair'
            OR (r.role = 'representative'
                AND r.village_id IN (SELECT village_id FROM event_villages WHERE event_id = e.id)));
