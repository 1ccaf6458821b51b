-- Users a backend banned through the server API (POST api/server/users/{user}/ban): they cannot log
-- in, refresh, connect or be messaged directly until the row is gone (DELETE .../ban). Its own table,
-- not a users column: a provider's user can be banned before the node has ever seen them.
CREATE TABLE bans (
    user_name  VARCHAR(64) PRIMARY KEY,
    banned_by  VARCHAR(64) NOT NULL,
    created_at BIGINT      NOT NULL
);
