/**
 * Who may connect: accounts and password hashes, JWT issuing and verification, the Origin policy,
 * and the handshake check that combines them.
 */
package dev.chat.auth;
