package dev.chat.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import org.flywaydb.core.api.ResourceProvider;
import org.flywaydb.core.api.resource.LoadableResource;

/**
 * The schema migrations, named here rather than found by a classpath scan: a scan of a WAR's
 * classes depends on the container's virtual file system (WildFly's VFS among them), a list does
 * not. Add each new file to {@link #FILES}; Flyway checks the rest (order, checksums).
 */
final class Migrations implements ResourceProvider {
    /** Under {@code db/migration/} on the classpath, in version order. */
    static final List<String> FILES = List.of("V1__schema.sql", "V2__owner_indexes.sql", "V3__session_tokens.sql",
            "V4__longer_direct_rooms.sql", "V5__message_events.sql", "V6__bans.sql",
            "V7__webhooks.sql", "V8__webhook_sender_and_online_users.sql");
    /**
     * The few whose SQL one of the two databases does not accept, each written twice, under
     * {@code db/migration/postgresql/} and {@code db/migration/sqlite/}; the rest are shared.
     */
    static final java.util.Set<String> PER_DATABASE = java.util.Set.of("V4__longer_direct_rooms.sql", "V7__webhooks.sql");
    private static final String DIR = "db/migration/";

    private final Database.Kind kind;

    Migrations(Database.Kind kind) {
        this.kind = kind;
    }

    private String path(String file) {
        return PER_DATABASE.contains(file) ? DIR + kind.name().toLowerCase(java.util.Locale.ROOT) + "/" + file : DIR + file;
    }

    @Override
    public LoadableResource getResource(String name) {
        return FILES.contains(name) ? new Sql(name) : null;
    }

    @Override
    public Collection<LoadableResource> getResources(String prefix, String[] suffixes) {
        return FILES.stream()
                .filter(f -> f.startsWith(prefix) && List.of(suffixes).stream().anyMatch(f::endsWith))
                .map(f -> (LoadableResource) new Sql(f))
                .toList();
    }

    /** One migration file on the classpath. */
    private final class Sql extends LoadableResource {
        private final String file;

        private final String path;

        Sql(String file) {
            this.file = file;
            this.path = path(file);
        }

        @Override
        public Reader read() {
            InputStream in = Migrations.class.getClassLoader().getResourceAsStream(path);
            if (in == null) {
                throw new UncheckedIOException(new IOException("migration " + path + " is missing from the classpath"));
            }
            return new InputStreamReader(in, StandardCharsets.UTF_8);
        }

        @Override
        public String getAbsolutePath() {
            return path;
        }

        @Override
        public String getAbsolutePathOnDisk() {
            return path;
        }

        @Override
        public String getFilename() {
            return file;
        }

        @Override
        public String getRelativePath() {
            return file;
        }
    }
}
