/** Rooms and their members on this node, and the fan-out of room events to local members. */
package dev.chat.room;
