-- Issue 13 (what each role expected): the townships' boundaries for the supervisor's map (GeoJSON geometry from the
-- county file), and the day a unit expects to finish work that is due in days (a meeting's decision), instead of an
-- ETA in minutes (yyyy-MM-dd, as the other dialects keep it).
ALTER TABLE townships ADD COLUMN boundary text NULL;
ALTER TABLE assignments ADD COLUMN expected_on text NULL CHECK (char_length(expected_on) <= 10);
