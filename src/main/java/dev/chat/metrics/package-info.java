/** What the node counts and measures, exposed by {@code GET /metrics} (Micrometer, Prometheus format). */
package dev.chat.metrics;
