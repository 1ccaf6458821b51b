-- User names (issue 15): a provider's user name may be up to 64 code points, so a direct room,
-- '@' + two names with '%' and '+' escaped as three characters each + '+', is up to
-- 1 + 2 * 64 * 3 + 1 = 386 characters (RoomEvent.directRoom); VARCHAR(80) held two names of the
-- old 32-character syntax. Every column that holds a room name gets the one width. Widening a
-- VARCHAR changes only the catalogue in PostgreSQL: no table is rewritten, no index rebuilt.
-- Stored names do not change (names of the old syntax need no escape).
ALTER TABLE rooms ALTER COLUMN name TYPE VARCHAR(400);
ALTER TABLE messages ALTER COLUMN room TYPE VARCHAR(400);
ALTER TABLE invitations ALTER COLUMN room TYPE VARCHAR(400);
ALTER TABLE memberships ALTER COLUMN room TYPE VARCHAR(400);
