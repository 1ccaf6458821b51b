-- User names (issue 15): PostgreSQL's room columns grow to VARCHAR(400) for the longer direct
-- rooms (see postgresql/V4__longer_direct_rooms.sql). SQLite does not enforce a VARCHAR's length,
-- so there is nothing to change here; the version is kept so both databases count the same.
SELECT 1;
