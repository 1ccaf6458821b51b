/** Composition: {@link dev.chat.app.ChatApp} wires a node together; the dispatcher routes client requests. */
package dev.chat.app;
