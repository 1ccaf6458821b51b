-- Who a message mentions (@name of a member): one row per mentioned user, keyed for counting a
-- user's mentions after their read position in one room (an index range scan, no history scan).
CREATE TABLE mentions (
    user_name VARCHAR(64) NOT NULL,
    room      VARCHAR(80) NOT NULL,
    seq       BIGINT      NOT NULL,
    PRIMARY KEY (user_name, room, seq)
);
