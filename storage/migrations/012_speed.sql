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

-- A project's counted votes from the index alone (storage.contests.tallies), and turnout by village
-- (by day reads 009's contest_votes_by_time).
CREATE INDEX contest_votes_counted ON contest_votes (contest_id, project_id) WHERE status = 'counted';
CREATE INDEX contest_votes_by_village ON contest_votes (contest_id, village_id);
