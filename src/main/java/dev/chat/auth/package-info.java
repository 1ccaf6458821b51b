/**
 * Who may connect: accounts, password hashes and the failed-login and registration throttles, the
 * sessions of local accounts (refresh tokens, rotation, revocation; {@link dev.chat.auth.Sessions}), JWT
 * issuing and verification (our own HS256 tokens and an external identity provider's RS256/ES256
 * ones), the Origin policy, the client's address behind trusted proxies that every per-address limit
 * counts, and the handshake check that combines them with the handshake rate per address.
 */
package dev.chat.auth;
