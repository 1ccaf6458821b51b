/** Who is in which room across the cluster, and the presence events that follow from it. */
package dev.chat.presence;
