-- Project contests: a contest, the villages it covers, its projects, the votes cast in the bot,
-- and the votes counted offline (paper ballots, show of hands at a gathering).

CREATE TABLE contests (
    id                 INTEGER PRIMARY KEY,
    rural_district_id  INTEGER NOT NULL REFERENCES rural_districts(id),
    title_kk           TEXT NOT NULL DEFAULT '',
    title_ru           TEXT NOT NULL DEFAULT '',
    description_kk     TEXT NOT NULL DEFAULT '',
    description_ru     TEXT NOT NULL DEFAULT '',
    -- money by source, whole tenge
    money_budget       INTEGER NOT NULL DEFAULT 0 CHECK (money_budget >= 0),     -- rural district budget
    money_fees         INTEGER NOT NULL DEFAULT 0 CHECK (money_fees >= 0),       -- voluntary fees
    money_sponsors     INTEGER NOT NULL DEFAULT 0 CHECK (money_sponsors >= 0),   -- sponsorship
    money_investors    INTEGER NOT NULL DEFAULT 0 CHECK (money_investors >= 0),  -- investors' funds
    opens_at           TEXT NOT NULL,
    closes_at          TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'closed')),
    -- the last change of the window that residents are told about: 'closed_early' or 'extended'
    change_kind        TEXT CHECK (change_kind IS NULL OR change_kind IN ('closed_early', 'extended')),
    change_reason      TEXT,
    published_at       TEXT,
    closed_at          TEXT,
    created_by         INTEGER REFERENCES people(id),
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    CHECK (length(trim(title_kk)) > 0 OR length(trim(title_ru)) > 0),
    CHECK (closes_at > opens_at)
);
CREATE INDEX contests_by_rural_district ON contests (rural_district_id, status);
-- what the scheduler looks for: published contests past their deadline
CREATE INDEX contests_due ON contests (status, closes_at);

CREATE TABLE contest_villages (
    contest_id  INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    village_id  INTEGER NOT NULL REFERENCES villages(id),
    PRIMARY KEY (contest_id, village_id)
);

CREATE TABLE contest_projects (
    id              INTEGER PRIMARY KEY,
    contest_id      INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    title_kk        TEXT NOT NULL DEFAULT '',
    title_ru        TEXT NOT NULL DEFAULT '',
    description_kk  TEXT NOT NULL DEFAULT '',
    description_ru  TEXT NOT NULL DEFAULT '',
    category        TEXT NOT NULL CHECK (category IN ('greening', 'park', 'square', 'sports', 'playground', 'other')),
    village_id      INTEGER REFERENCES villages(id),
    cost            INTEGER NOT NULL CHECK (cost > 0),
    photo_file_id   TEXT,
    offline_votes   INTEGER NOT NULL DEFAULT 0 CHECK (offline_votes >= 0),
    CHECK (length(trim(title_kk)) > 0 OR length(trim(title_ru)) > 0)
);
CREATE INDEX contest_projects_by_contest ON contest_projects (contest_id);

-- One row per voter per contest. Changing one's vote updates the row (project_id, changed_at):
-- the two unique indexes are the rule «one person, one vote» and «one phone number, one vote»,
-- even across Telegram accounts and under concurrent taps.
CREATE TABLE contest_votes (
    id          INTEGER PRIMARY KEY,
    contest_id  INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    project_id  INTEGER NOT NULL REFERENCES contest_projects(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    phone       TEXT NOT NULL CHECK (phone GLOB '+7[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'),
    village_id  INTEGER REFERENCES villages(id),  -- the voter's village when voting, for turnout
    cast_at     TEXT NOT NULL,
    changed_at  TEXT,
    changes     INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX one_vote_per_person ON contest_votes (contest_id, person_id);
CREATE UNIQUE INDEX one_vote_per_phone ON contest_votes (contest_id, phone);
CREATE INDEX contest_votes_by_project ON contest_votes (contest_id, project_id);

-- The offline count of a contest: the photo of the signed protocol it was entered from.
CREATE TABLE contest_protocols (
    id             INTEGER PRIMARY KEY,
    contest_id     INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    photo_file_id  TEXT NOT NULL,
    tally_json     TEXT NOT NULL,  -- {"project_id": votes, ...} as entered
    entered_by     INTEGER REFERENCES people(id),
    entered_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
);
