-- Quotas count what a user owns: the rooms they created and the invitations they gave stand on
-- these indexes, so the count is an index range, not a scan of every room or invitation.
CREATE INDEX rooms_owner ON rooms (owner);
CREATE INDEX invitations_invited_by ON invitations (invited_by);
