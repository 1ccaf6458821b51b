-- The chat's store of record. One set of migrations for SQLite and PostgreSQL: only types and
-- statements both accept (VARCHAR, TEXT, BIGINT, BOOLEAN, partial indexes). Times are epoch
-- milliseconds in BIGINT, so neither database's timestamp or time-zone rules play a part.

-- Facts about the store itself: its epoch (the name of the history the seqs belong to).
CREATE TABLE store_info (
    name  VARCHAR(64)  PRIMARY KEY,
    value VARCHAR(256) NOT NULL
);

-- Registered users. origin is 'local' (a password here); provider users (another issue) get theirs.
CREATE TABLE users (
    name          VARCHAR(64)  PRIMARY KEY,
    password_hash VARCHAR(256),
    origin        VARCHAR(16)  NOT NULL,
    created_at    BIGINT       NOT NULL
);

-- Every conversation: a client room, or '@alice+bob' for two users' direct messages. last_seq is
-- the sequencer: a commit locks the row, takes the next seqs and stores them with the messages,
-- so seqs are gap-free and survive any retention (which deletes messages, never this row).
CREATE TABLE rooms (
    name       VARCHAR(80) PRIMARY KEY,
    owner      VARCHAR(64),
    is_private BOOLEAN     NOT NULL DEFAULT FALSE,
    last_seq   BIGINT      NOT NULL DEFAULT 0,
    created_at BIGINT      NOT NULL
);

CREATE TABLE messages (
    room        VARCHAR(80) NOT NULL,
    seq         BIGINT      NOT NULL,
    sender      VARCHAR(64) NOT NULL,
    client_id   VARCHAR(64),
    text        TEXT        NOT NULL,
    accepted_at BIGINT      NOT NULL,
    -- the sending connection (node-N): a message read back from here (a gap fill) still skips it,
    -- since it got an ack instead
    origin_connection VARCHAR(80),
    PRIMARY KEY (room, seq)
);
-- A resend with the same id within the dedupe window finds its first seq here.
CREATE INDEX messages_client_id ON messages (room, sender, client_id) WHERE client_id IS NOT NULL;
-- Retention deletes the oldest first.
CREATE INDEX messages_accepted_at ON messages (accepted_at);

CREATE TABLE invitations (
    room       VARCHAR(80) NOT NULL,
    user_name  VARCHAR(64) NOT NULL,
    invited_by VARCHAR(64) NOT NULL,
    created_at BIGINT      NOT NULL,
    PRIMARY KEY (room, user_name)
);

-- For the next issues, created now so that they add columns rather than reshape tables:
-- a user's rooms and read position (rooms that follow the user), and server-side sessions.
CREATE TABLE memberships (
    user_name VARCHAR(64) NOT NULL,
    room      VARCHAR(80) NOT NULL,
    joined_at BIGINT      NOT NULL,
    read_seq  BIGINT      NOT NULL DEFAULT 0,
    PRIMARY KEY (user_name, room)
);
CREATE INDEX memberships_room ON memberships (room);

CREATE TABLE sessions (
    id         VARCHAR(64) PRIMARY KEY,
    user_name  VARCHAR(64) NOT NULL,
    created_at BIGINT      NOT NULL,
    expires_at BIGINT      NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_user ON sessions (user_name);
