/** Rooms and their members on this node, sends and history, private rooms, and the ordered fan-out of room events to local members. */
package dev.chat.room;
