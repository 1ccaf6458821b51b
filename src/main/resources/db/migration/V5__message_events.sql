-- Who a message mentions (@name of a member): one row per mentioned user, keyed for counting a
-- user's mentions after their read position in one room (an index range scan, no history scan).
CREATE TABLE mentions (
    user_name VARCHAR(64) NOT NULL,
    room      VARCHAR(80) NOT NULL,
    seq       BIGINT      NOT NULL,
    PRIMARY KEY (user_name, room, seq)
);

-- Every event of a conversation is a row of messages with its own seq, so since, history and gap
-- fills carry changes as they carry messages. kind: 'message', or a change of the message target:
-- 'edit' (text is the new text), 'delete', 'react' (emoji, reaction_on: whether it is there now).
-- A message's row also holds its current state, updated by its changes in their commit:
-- edited_at (the latest edit), deleted (its text and its edits' texts are blanked), and mentions
-- (the members it mentions, one per line: a name holds no control character).
ALTER TABLE messages ADD COLUMN kind VARCHAR(8) NOT NULL DEFAULT 'message';
ALTER TABLE messages ADD COLUMN target BIGINT;
ALTER TABLE messages ADD COLUMN reply_to BIGINT;
ALTER TABLE messages ADD COLUMN emoji VARCHAR(80);
ALTER TABLE messages ADD COLUMN reaction_on BOOLEAN;
ALTER TABLE messages ADD COLUMN edited_at BIGINT;
ALTER TABLE messages ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE messages ADD COLUMN mentions TEXT;

-- Who reacted to a message with what, now: a react toggles its row.
CREATE TABLE reactions (
    room      VARCHAR(80) NOT NULL,
    seq       BIGINT      NOT NULL,
    emoji     VARCHAR(80) NOT NULL,
    user_name VARCHAR(64) NOT NULL,
    at        BIGINT      NOT NULL,
    PRIMARY KEY (room, seq, emoji, user_name)
);
