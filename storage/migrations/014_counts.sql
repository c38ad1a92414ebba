-- Speed at a region's size (issue 17), continued: the staff's turnout read every resident of the
-- covered villages to count them (100,000 index entries at a region's size, python -m bench
-- screens, staff.turnout). The residents registered in each village, counted as they come, move
-- and go, so the turnout reads one row per village whatever the number of residents. Every row of
-- people with both a district and a village is counted, as the count over people did.
CREATE TABLE village_residents (
    rural_district_id  INTEGER NOT NULL,
    village_id         INTEGER NOT NULL,
    residents          INTEGER NOT NULL CHECK (residents >= 0),
    PRIMARY KEY (rural_district_id, village_id)
) WITHOUT ROWID;
INSERT INTO village_residents (rural_district_id, village_id, residents)
    SELECT rural_district_id, village_id, count(*) FROM people
     WHERE rural_district_id IS NOT NULL AND village_id IS NOT NULL GROUP BY 1, 2;
CREATE TRIGGER village_residents_added AFTER INSERT ON people
    WHEN NEW.rural_district_id IS NOT NULL AND NEW.village_id IS NOT NULL BEGIN
    INSERT INTO village_residents (rural_district_id, village_id, residents)
        VALUES (NEW.rural_district_id, NEW.village_id, 1)
        ON CONFLICT (rural_district_id, village_id) DO UPDATE SET residents = residents + 1;
END;
CREATE TRIGGER village_residents_removed AFTER DELETE ON people
    WHEN OLD.rural_district_id IS NOT NULL AND OLD.village_id IS NOT NULL BEGIN
    UPDATE village_residents SET residents = residents - 1
     WHERE rural_district_id = OLD.rural_district_id AND village_id = OLD.village_id;
END;
CREATE TRIGGER village_residents_moved AFTER UPDATE OF rural_district_id, village_id ON people
    WHEN OLD.rural_district_id IS NOT NEW.rural_district_id OR OLD.village_id IS NOT NEW.village_id BEGIN
    UPDATE village_residents SET residents = residents - 1
     WHERE rural_district_id = OLD.rural_district_id AND village_id = OLD.village_id;
    INSERT INTO village_residents (rural_district_id, village_id, residents)
        SELECT NEW.rural_district_id, NEW.village_id, 1 WHERE NEW.rural_district_id IS NOT NULL AND NEW.village_id IS NOT NULL
        ON CONFLICT (rural_district_id, village_id) DO UPDATE SET residents = residents + 1;
END;
