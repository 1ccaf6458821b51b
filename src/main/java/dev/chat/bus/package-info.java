/**
 * How nodes act as one: the {@link dev.chat.bus.Bus} that carries committed messages, presence,
 * typing and per-user events between nodes, the in-memory single-node bus, and
 * {@link dev.chat.bus.NodeCodec}, the one wire format of what nodes exchange.
 */
package dev.chat.bus;
