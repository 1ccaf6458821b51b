package dev.chat.embedded;

import dev.chat.connection.Connection;
import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * {@code CHAT_LOG_FORMAT=json}: one JSON object per line, for log collectors that parse lines
 * (Loki, Elasticsearch, Cloud Logging). Fields: {@code ts}, {@code level}, {@code logger},
 * {@code thread}, {@code message} (formatted as the text format would), and, when the line is about
 * a connection (a {@link Connection} among its parameters), {@code connection}, {@code user} and
 * {@code trace}; {@code error} holds a stack trace. Client text reaches a line already quoted and
 * escaped ({@code LogText}); JSON escaping then keeps it inside its string.
 */
final class JsonLogFormatter extends Formatter {
    @Override
    public String format(LogRecord r) {
        JsonObjectBuilder line = Json.createObjectBuilder()
                .add("ts", Instant.ofEpochMilli(r.getMillis()).toString())
                .add("level", r.getLevel().getName())
                .add("logger", r.getLoggerName() == null ? "" : r.getLoggerName())
                .add("thread", Thread.currentThread().getName())
                .add("message", formatMessage(r));
        Object[] params = r.getParameters();
        if (params != null) {
            for (Object p : params) {
                if (p instanceof Connection c) {
                    line.add("connection", c.id()).add("user", c.user()).add("trace", c.traceId());
                    break;
                }
            }
        }
        if (r.getThrown() != null) {
            StringWriter trace = new StringWriter();
            r.getThrown().printStackTrace(new PrintWriter(trace));
            line.add("error", trace.toString());
        }
        return line.build().toString() + System.lineSeparator();
    }
}
