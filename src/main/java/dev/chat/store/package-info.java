/**
 * The store of record: every message of every room and direct conversation (sequenced here),
 * rooms with their owners and invitations, registered users and their sessions, in SQLite (the embedded default,
 * one file) or PostgreSQL (shared by a cluster), through JDBC. {@link dev.chat.store.Database} owns
 * the connection pool, the Flyway migrations and the outage state; {@link dev.chat.store.GroupCommit}
 * is the one writer of messages.
 */
package dev.chat.store;
