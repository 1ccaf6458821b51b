-- Webhooks (issue 17), the part both databases write alike (the outbox's id column differs: V7,
-- once per database): which node sends the outbox, and who is online on which node.

-- Which node posts the outbox now: one row, taken over by another node when it expires.
CREATE TABLE webhook_lease (
    name       VARCHAR(16) PRIMARY KEY,
    holder     VARCHAR(64) NOT NULL,
    expires_at BIGINT      NOT NULL
);

-- Who is online for user.online and user.offline, cluster-wide: a row per node that has a user
-- connected (after the offline debounce), one row per user whose flag says what was reported last
-- (locked by the transaction that changes it: two nodes never both report the same change), and
-- each node's heartbeat, so the rows of a node that died are reaped by the others.
CREATE TABLE online_nodes (
    user_name VARCHAR(64) NOT NULL,
    node      VARCHAR(64) NOT NULL,
    PRIMARY KEY (user_name, node)
);
CREATE INDEX online_nodes_node ON online_nodes (node);
CREATE TABLE online_users (
    user_name VARCHAR(64) PRIMARY KEY,
    online    BOOLEAN     NOT NULL
);
CREATE TABLE webhook_nodes (
    node    VARCHAR(64) PRIMARY KEY,
    seen_at BIGINT      NOT NULL
);
