/**
 * Who may connect: accounts, password hashes and the failed-login throttle, JWT issuing and
 * verification (our own HS256 tokens and an external identity provider's RS256/ES256 ones), the
 * Origin policy, and the handshake check that combines them.
 */
package dev.chat.auth;
