/**
 * How nodes act as one: the {@link dev.chat.cluster.ClusterBus} that sequences room messages and
 * carries them and presence between nodes, with the in-memory single-node implementation.
 */
package dev.chat.cluster;
