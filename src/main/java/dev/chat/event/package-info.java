/**
 * The events of a room ({@link dev.chat.event.RoomEvent}): what the store commits, the bus carries
 * between nodes and the room registry fans out. Depends on nothing else of the chat.
 */
package dev.chat.event;
