-- Contests people can trust (issue 13): the census of voters, paper voters in the same register as
-- the bot's, approval ballots, anomalies judged by the meeting's chair, pressure reports, and the
-- progress of funded projects with the residents' verdict.

-- Per rural district: only numbers on the census vote in its contests (set by staff or an operator).
ALTER TABLE rural_districts ADD COLUMN census_required INTEGER NOT NULL DEFAULT 0
    CHECK (census_required IN (0, 1));

-- A census (the office's own register of voters): one 'current' per district, at most one 'pending'
-- (uploaded, its report shown, waiting for the staff's confirmation). A replaced one stays while a
-- contest still checks against it (frozen at its first vote), then it is deleted.
CREATE TABLE censuses (
    id                 INTEGER PRIMARY KEY,
    rural_district_id  INTEGER NOT NULL REFERENCES rural_districts(id),
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'current', 'replaced')),
    file_name          TEXT,
    entries            INTEGER NOT NULL DEFAULT 0 CHECK (entries >= 0),
    report_json        TEXT NOT NULL DEFAULT '{}',
    uploaded_by        INTEGER REFERENCES people(id) ON DELETE SET NULL,
    uploaded_at        TEXT NOT NULL,
    applied_at         TEXT
);
CREATE UNIQUE INDEX one_current_census ON censuses (rural_district_id) WHERE status = 'current';
CREATE UNIQUE INDEX one_pending_census ON censuses (rural_district_id) WHERE status = 'pending';

-- One number once per census: the primary key is the rule, and the vote's lookup.
CREATE TABLE census_entries (
    census_id   INTEGER NOT NULL REFERENCES censuses(id) ON DELETE CASCADE,
    phone       TEXT NOT NULL CHECK (phone GLOB '+7[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
    village_id  INTEGER REFERENCES villages(id),
    full_name   TEXT CHECK (full_name IS NULL OR length(full_name) <= 200),
    line        INTEGER NOT NULL,  -- the line of the file it came from
    PRIMARY KEY (census_id, phone)
) WITHOUT ROWID;

-- The census a contest checks against (NULL: none), bound until its first vote; the number of
-- projects a voter may choose (1: one project; more: an approval ballot).
ALTER TABLE contests ADD COLUMN census_id INTEGER REFERENCES censuses(id);
ALTER TABLE contests ADD COLUMN max_choices INTEGER NOT NULL DEFAULT 1 CHECK (max_choices BETWEEN 1 AND 10);

-- The chair's (or an operator's) decision on one flagged group of votes: keep them or annul them.
CREATE TABLE contest_decisions (
    id            INTEGER PRIMARY KEY,
    contest_id    INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    flag          TEXT NOT NULL,  -- kind.village.local hour, as bot/rules/anomalies.py names it
    decision      TEXT NOT NULL CHECK (decision IN ('keep', 'annul')),
    reason        TEXT NOT NULL CHECK (length(trim(reason)) > 0 AND length(reason) <= 500),
    votes         INTEGER NOT NULL CHECK (votes >= 0),  -- how many votes it covered
    decided_by    INTEGER REFERENCES people(id) ON DELETE SET NULL,
    decided_as    TEXT NOT NULL CHECK (decided_as IN ('chair', 'operator')),
    decided_at    TEXT NOT NULL,
    UNIQUE (contest_id, flag)
);

-- The votes cast in the bot, rebuilt: the phone keeps a column of its own with no format check
-- (issue 14 replaces it by a keyed hash when the voter asks to be deleted, and clears it after
-- closing), and an annulled vote stays recorded but leaves the tally.
CREATE TABLE contest_votes_new (
    id           INTEGER PRIMARY KEY,
    contest_id   INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    project_id   INTEGER NOT NULL REFERENCES contest_projects(id) ON DELETE CASCADE,  -- the (first) choice
    person_id    INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    phone        TEXT CHECK (phone IS NULL OR length(phone) BETWEEN 12 AND 128),
    village_id   INTEGER REFERENCES villages(id),  -- the voter's village when voting, for turnout
    cast_at      TEXT NOT NULL,
    changed_at   TEXT,
    changes      INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL DEFAULT 'counted' CHECK (status IN ('counted', 'annulled')),
    decision_id  INTEGER REFERENCES contest_decisions(id)
);
INSERT INTO contest_votes_new (id, contest_id, project_id, person_id, phone, village_id, cast_at, changed_at, changes)
    SELECT id, contest_id, project_id, person_id, phone, village_id, cast_at, changed_at, changes FROM contest_votes;
DROP TABLE contest_votes;
ALTER TABLE contest_votes_new RENAME TO contest_votes;
CREATE UNIQUE INDEX one_vote_per_person ON contest_votes (contest_id, person_id);
CREATE UNIQUE INDEX one_vote_per_phone ON contest_votes (contest_id, phone);
CREATE INDEX contest_votes_by_project ON contest_votes (contest_id, project_id);
CREATE INDEX contest_votes_by_time ON contest_votes (contest_id, cast_at);

-- An approval ballot's choices (contests with max_choices > 1); the vote's project_id is one of them.
CREATE TABLE contest_vote_choices (
    vote_id     INTEGER NOT NULL REFERENCES contest_votes(id) ON DELETE CASCADE,
    project_id  INTEGER NOT NULL REFERENCES contest_projects(id) ON DELETE CASCADE,
    PRIMARY KEY (vote_id, project_id)
) WITHOUT ROWID;
CREATE INDEX contest_vote_choices_by_project ON contest_vote_choices (project_id);

-- Voters who cast a paper ballot at a polling table, recorded by their phone number (not their
-- choice: the ballot goes into the box). One register with the bot's votes: a number is either here
-- or in contest_votes, never both, whatever a handler does.
CREATE TABLE contest_paper_voters (
    id           INTEGER PRIMARY KEY,
    contest_id   INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    phone        TEXT CHECK (phone IS NULL OR length(phone) BETWEEN 12 AND 128),
    village_id   INTEGER REFERENCES villages(id),
    recorded_by  INTEGER REFERENCES people(id) ON DELETE SET NULL,
    recorded_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX one_paper_vote_per_phone ON contest_paper_voters (contest_id, phone);

CREATE TRIGGER paper_voter_not_in_bot BEFORE INSERT ON contest_paper_voters
WHEN EXISTS (SELECT 1 FROM contest_votes WHERE contest_id = NEW.contest_id AND phone = NEW.phone)
BEGIN
    SELECT RAISE(ABORT, 'register: this phone voted in the bot');
END;

CREATE TRIGGER bot_voter_not_on_paper BEFORE INSERT ON contest_votes
WHEN EXISTS (SELECT 1 FROM contest_paper_voters WHERE contest_id = NEW.contest_id AND phone = NEW.phone)
BEGIN
    SELECT RAISE(ABORT, 'register: this phone voted on paper');
END;

-- «Report pressure or vote buying»: to the meeting's chair and the operator, never the akim's staff.
CREATE TABLE contest_reports (
    id                 INTEGER PRIMARY KEY,
    rural_district_id  INTEGER NOT NULL REFERENCES rural_districts(id),
    contest_id         INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    number             INTEGER NOT NULL,  -- told to the resident: №1, №2 … within the rural district
    person_id          INTEGER REFERENCES people(id) ON DELETE SET NULL,  -- the author; removed on deletion
    body               TEXT CHECK (body IS NULL OR length(body) <= 2000),
    voice_file_id      TEXT,
    created_at         TEXT NOT NULL,
    UNIQUE (rural_district_id, number),
    CHECK (length(trim(coalesce(body, ''))) > 0 OR voice_file_id IS NOT NULL)
);

-- The progress of a funded project, posted by staff: a stage with photos and a location.
CREATE TABLE project_progress (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES contest_projects(id) ON DELETE CASCADE,
    stage        TEXT NOT NULL CHECK (stage IN ('started', 'half', 'finished')),
    note         TEXT CHECK (note IS NULL OR length(note) <= 1000),
    photos_json  TEXT NOT NULL DEFAULT '[]',
    latitude     REAL CHECK (latitude IS NULL OR latitude BETWEEN -90 AND 90),
    longitude    REAL CHECK (longitude IS NULL OR longitude BETWEEN -180 AND 180),
    posted_by    INTEGER REFERENCES people(id) ON DELETE SET NULL,
    posted_at    TEXT NOT NULL
);
CREATE INDEX project_progress_by_project ON project_progress (project_id, id);

-- A resident's verdict on a finished project: one per person, changeable.
CREATE TABLE project_feedback (
    project_id  INTEGER NOT NULL REFERENCES contest_projects(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    answer      TEXT NOT NULL CHECK (answer IN ('done', 'problem')),
    body        TEXT CHECK (body IS NULL OR length(body) <= 1000),
    at          TEXT NOT NULL,
    PRIMARY KEY (project_id, person_id)
);

-- The audit trail learns one more kind of actor: the meeting's chair, who keeps or annuls flagged
-- votes (not the akim's staff). SQLite cannot change a CHECK in place: the table is copied as it is.
CREATE TABLE audit_log_new (
    id                 INTEGER PRIMARY KEY,
    at                 TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    actor_telegram_id  INTEGER,          -- NULL for the command line and the scheduler
    actor_kind         TEXT NOT NULL CHECK (actor_kind IN ('staff', 'operator', 'cli', 'system', 'refused', 'chair')),
    rural_district_id  INTEGER REFERENCES rural_districts(id),
    action             TEXT NOT NULL,
    object_type        TEXT,
    object_id          INTEGER,
    before_json        TEXT,
    after_json         TEXT
);
INSERT INTO audit_log_new SELECT id, at, actor_telegram_id, actor_kind, rural_district_id, action, object_type,
    object_id, before_json, after_json FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_by_rural_district ON audit_log (rural_district_id, at);
