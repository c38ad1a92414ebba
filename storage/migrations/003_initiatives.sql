-- Civic initiatives: what residents propose, its review by the akim's office, supports, and the
-- per-district settings of the review. Statuses and their allowed changes: bot/initiatives.py.

-- Per rural district: the review deadline in working days, how many initiatives one person may
-- send in 24 hours, and how many supports put an initiative on the next gathering's agenda.
ALTER TABLE rural_districts ADD COLUMN initiative_review_days INTEGER NOT NULL DEFAULT 15
    CHECK (initiative_review_days BETWEEN 1 AND 40);
ALTER TABLE rural_districts ADD COLUMN initiatives_per_day INTEGER NOT NULL DEFAULT 3
    CHECK (initiatives_per_day BETWEEN 1 AND 50);
ALTER TABLE rural_districts ADD COLUMN initiative_support_threshold INTEGER NOT NULL DEFAULT 30
    CHECK (initiative_support_threshold >= 1);

CREATE TABLE initiatives (
    id                 INTEGER PRIMARY KEY,
    rural_district_id  INTEGER NOT NULL REFERENCES rural_districts(id),
    number             INTEGER NOT NULL,  -- shown to people: №1, №2 … within the rural district
    village_id         INTEGER REFERENCES villages(id),
    author_id          INTEGER REFERENCES people(id) ON DELETE SET NULL,
    draft_token        TEXT,              -- one draft becomes one initiative, however often Submit is tapped
    topic              TEXT NOT NULL CHECK (topic IN ('greening', 'roads', 'water', 'waste', 'sports', 'other')),
    title              TEXT NOT NULL CHECK (length(trim(title)) > 0 AND length(title) <= 100),
    body               TEXT NOT NULL CHECK (length(trim(body)) > 0 AND length(body) <= 2000),
    photos_json        TEXT NOT NULL DEFAULT '[]',  -- Telegram file ids of this bot
    latitude           REAL,
    longitude          REAL,
    voice_file_id      TEXT,
    status             TEXT NOT NULL DEFAULT 'submitted'
                       CHECK (status IN ('submitted', 'review', 'accepted', 'rejected', 'in_progress', 'done',
                                         'extended', 'forwarded', 'merged', 'hidden')),
    published          INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    forwarded_to       TEXT,
    merged_into        INTEGER REFERENCES initiatives(id),
    submitted_at       TEXT NOT NULL,
    deadline_on        TEXT NOT NULL,     -- the last day of the review, in the district's calendar
    deadline_at        TEXT NOT NULL,     -- the instant that day ends (UTC): overdue after it
    remind_at          TEXT NOT NULL,     -- when staff are reminded that the deadline is near
    reminded_at        TEXT,
    decided_at         TEXT,
    agenda_flagged_at  TEXT,              -- reached the support threshold: offered for the next gathering
    updated_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    UNIQUE (rural_district_id, number),
    UNIQUE (author_id, draft_token),
    CHECK (latitude IS NULL OR latitude BETWEEN -90 AND 90),
    CHECK (longitude IS NULL OR longitude BETWEEN -180 AND 180)
);
CREATE INDEX initiatives_queue ON initiatives (rural_district_id, status, submitted_at);
CREATE INDEX initiatives_by_author ON initiatives (author_id, submitted_at);
CREATE INDEX initiatives_due ON initiatives (remind_at) WHERE reminded_at IS NULL;

-- Every status change with the staff's answer: the author's history of their initiative.
CREATE TABLE initiative_history (
    id             INTEGER PRIMARY KEY,
    initiative_id  INTEGER NOT NULL REFERENCES initiatives(id) ON DELETE CASCADE,
    at             TEXT NOT NULL,
    actor_id       INTEGER REFERENCES people(id) ON DELETE SET NULL,
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    answer         TEXT,
    new_deadline   TEXT,  -- extended: the new last day
    forwarded_to   TEXT   -- forwarded: the body named
);
CREATE INDEX initiative_history_by_initiative ON initiative_history (initiative_id, id);

-- One support per person per initiative: the rule that must never break is the primary key.
CREATE TABLE initiative_supports (
    initiative_id  INTEGER NOT NULL REFERENCES initiatives(id) ON DELETE CASCADE,
    person_id      INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    at             TEXT NOT NULL,
    PRIMARY KEY (initiative_id, person_id)
);

-- How a staff member hears of new initiatives: each as it arrives, or one digest a day.
CREATE TABLE initiative_staff_prefs (
    person_id       INTEGER PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
    digest          INTEGER NOT NULL DEFAULT 0 CHECK (digest IN (0, 1)),
    digest_sent_on  TEXT,  -- the local day of the last digest
    digest_since    TEXT   -- initiatives submitted after this instant go into the next digest
);
