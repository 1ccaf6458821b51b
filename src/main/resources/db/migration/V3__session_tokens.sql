-- Sessions of local accounts (issue 15): each login is a row of sessions (made in V1); every
-- refresh token it was given is a row here, by the SHA-256 of the token (never the token), with
-- its generation. The session's generation is its current token's: a token found here with an
-- older one was rotated out, and presenting it again revokes the session (RFC 9700 §4.14.2).
ALTER TABLE sessions ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
-- Expired sessions are deleted oldest first (bounded storage).
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE refresh_tokens (
    token_hash VARCHAR(64) PRIMARY KEY,
    session_id VARCHAR(64) NOT NULL,
    generation BIGINT      NOT NULL,
    created_at BIGINT      NOT NULL
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id, generation);
