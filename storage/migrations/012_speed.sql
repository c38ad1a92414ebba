-- Speed at a region's size (issue 17): the screens that list many things read a page through an
-- index, whatever the number of residents (python -m bench screens checks the plans).

-- An initiative's supports, counted as they come and go, so the district's list can be sorted by
-- them through an index instead of counting every initiative's supports for every page.
ALTER TABLE initiatives ADD COLUMN supports INTEGER NOT NULL DEFAULT 0 CHECK (supports >= 0);
UPDATE initiatives SET supports = (SELECT count(*) FROM initiative_supports s WHERE s.initiative_id = initiatives.id);
CREATE TRIGGER initiative_supports_added AFTER INSERT ON initiative_supports BEGIN
    UPDATE initiatives SET supports = supports + 1 WHERE id = NEW.initiative_id;
END;
CREATE TRIGGER initiative_supports_removed AFTER DELETE ON initiative_supports BEGIN
    UPDATE initiatives SET supports = supports - 1 WHERE id = OLD.initiative_id;
END;
CREATE TRIGGER initiative_supports_moved AFTER UPDATE OF initiative_id ON initiative_supports
    WHEN OLD.initiative_id IS NOT NEW.initiative_id BEGIN
    UPDATE initiatives SET supports = supports - 1 WHERE id = OLD.initiative_id;
    UPDATE initiatives SET supports = supports + 1 WHERE id = NEW.initiative_id;
END;

-- The district's published initiatives, newest or most supported first (storage.initiatives.published).
CREATE INDEX initiatives_listed_newest ON initiatives (rural_district_id, submitted_at DESC, id DESC)
    WHERE published = 1 AND status NOT IN ('merged', 'hidden');
CREATE INDEX initiatives_listed_supported ON initiatives (rural_district_id, supports DESC, id DESC)
    WHERE published = 1 AND status NOT IN ('merged', 'hidden');

-- The search in titles walks the current documents newest first, reading only this index.
CREATE INDEX documents_searchable ON documents (rural_district_id, published_at DESC, id DESC, search)
    WHERE status = 'published' AND superseded_at IS NULL;

-- A village's contests, newest deadline first, in the order the list shows them.
CREATE INDEX contests_by_deadline ON contests (rural_district_id, closes_at DESC, id DESC);

-- A contest's votes cast in the bot by the voter's village and by the quarter hour (UTC) they were
-- first cast, counted as they come and go: the public turnout curve on every resident's contest
-- screen and the staff's turnout read a few hundred of these instead of every vote. Every time zone's
-- day starts on a quarter hour, so the local days are exact. Annulled votes stay counted here, as
-- they stay in the record (the curve and the turnout count every vote cast).
CREATE TABLE contest_vote_counts (
    contest_id  INTEGER NOT NULL REFERENCES contests(id) ON DELETE CASCADE,
    village     INTEGER NOT NULL,  -- contest_votes.village_id, 0 for none
    quarter     TEXT NOT NULL,     -- 'YYYY-MM-DDTHH:MM', MM one of 00, 15, 30, 45
    votes       INTEGER NOT NULL CHECK (votes >= 0),
    PRIMARY KEY (contest_id, village, quarter)
) WITHOUT ROWID;
INSERT INTO contest_vote_counts (contest_id, village, quarter, votes)
    SELECT v.contest_id, coalesce(v.village_id, 0), substr(v.cast_at, 1, 14) || printf('%02d', CAST(substr(v.cast_at, 15, 2) AS INTEGER) / 15 * 15), count(*) FROM contest_votes v GROUP BY 1, 2, 3;
CREATE TRIGGER contest_vote_counts_added AFTER INSERT ON contest_votes BEGIN
    INSERT INTO contest_vote_counts (contest_id, village, quarter, votes)
        VALUES (NEW.contest_id, coalesce(NEW.village_id, 0), substr(NEW.cast_at, 1, 14) || printf('%02d', CAST(substr(NEW.cast_at, 15, 2) AS INTEGER) / 15 * 15), 1)
        ON CONFLICT (contest_id, village, quarter) DO UPDATE SET votes = votes + 1;
END;
CREATE TRIGGER contest_vote_counts_removed AFTER DELETE ON contest_votes BEGIN
    UPDATE contest_vote_counts SET votes = votes - 1
     WHERE contest_id = OLD.contest_id AND village = coalesce(OLD.village_id, 0) AND quarter = substr(OLD.cast_at, 1, 14) || printf('%02d', CAST(substr(OLD.cast_at, 15, 2) AS INTEGER) / 15 * 15);
END;
CREATE TRIGGER contest_vote_counts_moved AFTER UPDATE OF contest_id, village_id, cast_at ON contest_votes BEGIN
    UPDATE contest_vote_counts SET votes = votes - 1
     WHERE contest_id = OLD.contest_id AND village = coalesce(OLD.village_id, 0) AND quarter = substr(OLD.cast_at, 1, 14) || printf('%02d', CAST(substr(OLD.cast_at, 15, 2) AS INTEGER) / 15 * 15);
    INSERT INTO contest_vote_counts (contest_id, village, quarter, votes)
        VALUES (NEW.contest_id, coalesce(NEW.village_id, 0), substr(NEW.cast_at, 1, 14) || printf('%02d', CAST(substr(NEW.cast_at, 15, 2) AS INTEGER) / 15 * 15), 1)
        ON CONFLICT (contest_id, village, quarter) DO UPDATE SET votes = votes + 1;
END;

-- What a contest's tally is computed from changed: any write to its votes, their choices or its
-- projects bumps tally_version, so the results of a closed contest are computed once per change
-- (storage.contests.tallies keeps them) instead of once per resident who opens them.
ALTER TABLE contests ADD COLUMN tally_version INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER tally_vote_added AFTER INSERT ON contest_votes BEGIN
    UPDATE contests SET tally_version = tally_version + 1 WHERE id = NEW.contest_id;
END;
CREATE TRIGGER tally_vote_changed AFTER UPDATE ON contest_votes BEGIN
    UPDATE contests SET tally_version = tally_version + 1 WHERE id IN (OLD.contest_id, NEW.contest_id);
END;
CREATE TRIGGER tally_vote_removed AFTER DELETE ON contest_votes BEGIN
    UPDATE contests SET tally_version = tally_version + 1 WHERE id = OLD.contest_id;
END;
CREATE TRIGGER tally_choice_added AFTER INSERT ON contest_vote_choices BEGIN
    UPDATE contests SET tally_version = tally_version + 1
     WHERE id = (SELECT contest_id FROM contest_projects WHERE id = NEW.project_id);
END;
CREATE TRIGGER tally_choice_removed AFTER DELETE ON contest_vote_choices BEGIN
    UPDATE contests SET tally_version = tally_version + 1
     WHERE id = (SELECT contest_id FROM contest_projects WHERE id = OLD.project_id);
END;
CREATE TRIGGER tally_project_added AFTER INSERT ON contest_projects BEGIN
    UPDATE contests SET tally_version = tally_version + 1 WHERE id = NEW.contest_id;
END;
CREATE TRIGGER tally_project_changed AFTER UPDATE ON contest_projects BEGIN
    UPDATE contests SET tally_version = tally_version + 1 WHERE id IN (OLD.contest_id, NEW.contest_id);
END;
CREATE TRIGGER tally_project_removed AFTER DELETE ON contest_projects BEGIN
    UPDATE contests SET tally_version = tally_version + 1 WHERE id = OLD.contest_id;
END;

-- A project's counted votes from the index alone, when the results are computed.
CREATE INDEX contest_votes_counted ON contest_votes (contest_id, project_id) WHERE status = 'counted';
