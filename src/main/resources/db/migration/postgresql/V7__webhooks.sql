-- Webhooks (issue 17). The outbox: every event a webhook reports, written in the transaction that
-- stores what it describes (a message's commit, a room's creation, a membership), so an event
-- exists exactly when its cause does, once however many nodes there are; the one node that holds
-- webhook_lease posts the rows in id order and deletes them once the receiver took them.
-- Columns by event: message.* room, user_name (from, or by for a delete), seq, target, reply_to,
-- text; member.* room, user_name; room.created room, owner, is_private; user.* user_name.
-- Per database only for the id column:
-- PostgreSQL: an identity column (a sequence), which never hands an id out twice.
CREATE TABLE webhook_outbox (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    happened_at BIGINT       NOT NULL,
    type        VARCHAR(24)  NOT NULL,
    room        VARCHAR(400),
    user_name   VARCHAR(64),
    seq         BIGINT,
    target      BIGINT,
    reply_to    BIGINT,
    text        TEXT,
    owner       VARCHAR(64),
    is_private  BOOLEAN
);
